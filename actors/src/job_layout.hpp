#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "eddy/error.hpp"
#include "eddy/job.hpp"
#include "eddy/journal/sqlite_journal.hpp"

namespace eddy::actors {

/// What a job fixes at its first start and keeps across restarts, because
/// channels, checkpoints and a sink's marks are numbered by it: the source's
/// splits (each one index of stage 0, with its own position and channels,
/// as a key group is one index of a keyed stage) and each sink's instance
/// count (each instance one index with its own marks and part file).
struct job_layout {
  uint32_t split_hint = 1;         ///< the `desired` the splits were enumerated for
  std::vector<std::string> splits; ///< the source's split descriptors, at least one
  std::vector<uint32_t> sink_instances; ///< by sink
};

/// The layout stored in journal `jn`, or, when the journal holds no layout
/// and no partition (a job's first start), the layout for the job's
/// parallelism, stored before anything runs. A restart refuses (errc::
/// invalid_argument naming `where`) a source whose splits for the stored
/// hint differ from the stored ones: its input or configuration changed.
/// Stores `l` as the layout of journal `jn` (a job resumed from a
/// savepoint takes the savepoint's before settle_layout()).
error store_layout(journal::sqlite_journal& jn, const job_layout& l);

expected<job_layout> settle_layout(const job& j, journal::sqlite_journal& jn, const std::string& where);

} // namespace eddy::actors
