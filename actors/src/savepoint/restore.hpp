#pragma once

// Resuming a job from a savepoint: the savepoint is checked against the job
// before anything runs, and its images are written into the job's fresh
// journals, after which the job recovers from them as after a restart.

#include <filesystem>
#include <functional>
#include <string>

#include "eddy/error.hpp"
#include "eddy/job.hpp"
#include "eddy/journal/sqlite_journal.hpp"
#include "savepoint/manifest.hpp"

namespace eddy::actors::savepoint {

/// The manifest of savepoint `dir` if job `j` can resume from it: same job
/// name, `max_key_groups` and shape, and the same keyed operators (unless
/// `--allow-non-restored-state`); otherwise errc::invalid_argument or
/// errc::corrupt with one line saying what differs.
expected<manifest> check_savepoint(const job& j, const std::filesystem::path& dir);

/// Writes the images of savepoint `dir` (checked: `m`) that `holds(stage,
/// index)` selects, and its job layout, into journal `jn` in one
/// transaction, and marks the journal as restored from it. A journal that
/// already holds state is left alone if it was restored from the same
/// savepoint (a restart), refused otherwise. `where` names the journal.
error restore_into(journal::sqlite_journal& jn, const std::filesystem::path& dir, const manifest& m,
                   const std::function<bool(uint32_t stage, uint32_t index)>& holds, const std::string& where);

} // namespace eddy::actors::savepoint
