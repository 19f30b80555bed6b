#pragma once

#include <chrono>
#include <memory>

#include <caf/actor_system.hpp>

namespace eddy::actors::cluster {

/// Destroys `sys` once a cluster node is done. With the middleman, CAF
/// 0.17's shutdown sometimes waits forever for a detached actor that has
/// terminated but is still referenced (seen about once in three runs
/// after a peer was lost: ~actor_system blocks in await_detached_threads).
/// Every effect of the node is durable or discarded by then, so after
/// `grace` the process exits with `exit_code` instead of hanging.
void shut_down(std::unique_ptr<caf::actor_system> sys, int exit_code, std::chrono::milliseconds grace);

} // namespace eddy::actors::cluster
