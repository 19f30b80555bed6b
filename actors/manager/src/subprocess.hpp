#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace eddy::manager {

struct process_result {
  int exit_code = -1;     ///< the status it exited with; 128+N when killed by signal N
  std::string output;     ///< its stdout and stderr, interleaved
  bool timed_out = false; ///< killed (with its process group) after the timeout
};

/// Runs `argv` to its end and returns what it printed. It runs in a session
/// of its own, with no descriptor of the manager's but its output pipe, so
/// that what it leaves running (a launched cluster) neither holds the
/// manager's sockets nor dies with the manager.
process_result run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

} // namespace eddy::manager
