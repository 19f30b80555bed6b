#pragma once

#include "eddy/actors/run.hpp"
#include "eddy/job.hpp"

namespace eddy::actors::cluster {

/// `--role worker`: joins the coordinator at --coordinator, runs the tasks
/// it is given with its own journal in --state-dir, and exits with the
/// job's status once the coordinator stops it (0 when the job completed).
run_result run_worker(job& j);

} // namespace eddy::actors::cluster
