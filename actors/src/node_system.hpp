#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <caf/actor_system_config.hpp>

#include "eddy/actors/run.hpp"
#include "eddy/job.hpp"
#include "job_layout.hpp"
#include "plan.hpp"

namespace eddy::actors {

/// The CAF configuration of a node of job `cfg`: scheduler threads, the
/// message types that cross nodes, and for a cluster role the middleman
/// with heartbeats and a connection timeout (both off by default in CAF
/// 0.17, and a hung peer is then never noticed).
std::unique_ptr<caf::actor_system_config> node_system_config(const job_config& cfg);

/// The plan of job `j` with `layout` (the same on every node).
plan plan_of(const job& j, const job_layout& layout);

/// A result for bad configuration or input: exit code 2 and `what`.
run_result bad_input(std::string what);

inline double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

} // namespace eddy::actors
