#pragma once

#include <chrono>
#include <memory>

#include <caf/actor_system.hpp>

#include "eddy/actors/run.hpp"
#include "node_system.hpp"

namespace eddy::actors::cluster {

/// Destroys `sys` once a cluster node is done. With the middleman, CAF
/// 0.17's shutdown sometimes waits forever for a detached actor that has
/// terminated but is still referenced (seen about once in three runs
/// after a peer was lost: ~actor_system blocks in await_detached_threads).
/// Every effect of the node is durable or discarded by then, so after
/// `grace` the process exits with `result`'s exit code instead of hanging,
/// and logs its error first (the caller that would print it never runs).
void shut_down(std::unique_ptr<caf::actor_system> sys, const run_result& result, std::chrono::milliseconds grace);

/// Runs `body(sys)` (a cluster node's life) in a new actor system for job
/// `cfg`, then destroys it with shut_down() and a grace of 3 s.
template <class Body>
run_result run_in_node_system(const job_config& cfg, Body body) {
  auto sys_cfg = node_system_config(cfg);
  auto sys = std::make_unique<caf::actor_system>(*sys_cfg);
  auto result = body(*sys);
  shut_down(std::move(sys), result, std::chrono::seconds(3));
  return result;
}

} // namespace eddy::actors::cluster
