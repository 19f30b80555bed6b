#pragma once

#include <string>

#include "eddy/job.hpp"

namespace eddy::actors::cluster {

/// What every node of a cluster must agree on, readable in an error message:
/// the job's name, its graph (source, operators by type, sinks, and where
/// each output goes), max key groups, parallelism and whether the journal is on.
std::string job_fingerprint(const job& j);

} // namespace eddy::actors::cluster
