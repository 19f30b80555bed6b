#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "eddy/job.hpp"

namespace eddy::actors {

/// Messages the runtime's exchanges sent in a run, by sending stage (0 the
/// source, 1..n the keyed operators, then the sinks): frames, frame acks and
/// greetings between instances, and deliveries (with acked positions) from
/// an exchange to its own partitions.
struct message_counts {
  std::vector<uint64_t> frames, frame_acks, greetings, deliveries;
};

/// What a run did.
struct run_result {
  int exit_code = 0;       ///< 0 done, 1 the job failed, 2 bad configuration or input
  std::string error;       ///< one line naming what failed, when exit_code != 0
  uint64_t records_out = 0; ///< records the sink wrote in this run
  double seconds = 0;
  message_counts messages;
};

/// Runs `j` on this node (the `local` mode: every actor in one process) until
/// its bounded input is processed and every output committed, or until it
/// fails. Checks the job, its connectors and its state directory before
/// anything is written. Never prints to stdout.
run_result execute(job& j);

/// Runs `j` like execute() and turns the result into an exit code, printing
/// `<job>: error: <what>` to stderr on failure and the usage on `--help`.
int run(job& j);

} // namespace eddy::actors

namespace eddy {
using actors::run;
} // namespace eddy
