#pragma once

#include <memory>
#include <vector>

#include <caf/actor.hpp>

#include "partition_actor.hpp"

namespace eddy::actors {

/// Restart policy of a supervisor: exponential backoff from `backoff_ms`
/// (doubling, at most 2 s), and at most `budget` restarts of one partition
/// within `window_ms`; past that the failure escalates.
struct restart_policy {
  uint32_t budget = 5;
  uint64_t window_ms = 60'000;
  uint64_t backoff_ms = 10;
};

/// Spawns the supervisor of one operator instance: it owns the partitions of
/// its key-group range (given as their configs), restarts a failed one with
/// backoff (the new incarnation's hello tells its exchange), and escalates to `job` with
/// (failed_atom, text naming operator, key group and the error) once a
/// partition's restart budget is spent. A query_atom goes to the current
/// incarnation of its key group's partition (an error while it restarts).
caf::actor spawn_operator_supervisor(caf::actor_system& sys,
                                     std::vector<std::shared_ptr<const partition_config>> cfgs,
                                     restart_policy policy, caf::actor job);

} // namespace eddy::actors
