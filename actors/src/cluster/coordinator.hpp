#pragma once

#include "eddy/actors/run.hpp"
#include "eddy/job.hpp"

namespace eddy::actors::cluster {

/// `--role coordinator`: listens on --listen, waits for --workers workers
/// running the same job, places the job's instances on them (placement.hpp),
/// starts them, and ends the job once every sink committed its end (exit 0)
/// or fails it when a worker fails or is lost (exit 1). Runs no task itself.
run_result run_coordinator(job& j);

} // namespace eddy::actors::cluster
