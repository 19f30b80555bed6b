#pragma once

// Resuming a job from a savepoint, also with upgraded code (Flink's
// `run -s`): the savepoint is checked against the job before anything runs
// (same job and key groups; operators matched by uid, each state's type the
// same or evolved by fields added or removed; operators the job dropped
// only with --allow-non-restored-state), and its images are written into
// the job's fresh journals, after which the job recovers from them as after
// a restart.

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "eddy/codec.hpp"
#include "eddy/error.hpp"
#include "eddy/job.hpp"
#include "eddy/journal/sqlite_journal.hpp"
#include "job_layout.hpp"
#include "savepoint/manifest.hpp"

namespace eddy::actors::savepoint {

/// How a savepoint's images become the job's state.
struct restore_plan {
  manifest m;
  /// By the savepoint's stage number: the job's stage with that state, or
  /// -1 when the job has no such operator or sink any more.
  std::vector<int64_t> stage_of;
  /// The job's shape differs from the savepoint's: every channel's
  /// positions start over (only a savepoint with nothing in flight allows it).
  bool reset_channels = false;
  /// By the job's keyed stage: the old layouts of the struct types its
  /// state evolved from (fields added or removed).
  std::map<uint32_t, detail::evolution> evolutions;
  job_layout layout;                ///< the job's, from the savepoint's
  std::vector<std::string> dropped; ///< what of the savepoint is not restored

  /// Whether the images of the job's keyed stage `stage` are rewritten.
  bool rewrites(uint32_t stage) const {
    auto e = evolutions.find(stage);
    return reset_channels || (e != evolutions.end() && !e->second.structs.empty());
  }
};

/// The plan to resume job `j` from savepoint `dir`; otherwise
/// errc::invalid_argument or errc::corrupt with one line saying what
/// differs (naming the operator and the state when a state's type changed).
/// `verify_all`: read every body against its checksum first (a worker,
/// whose coordinator did, checks only the images it imports, as it reads them).
expected<restore_plan> check_savepoint(const job& j, const std::filesystem::path& dir, bool verify_all = true);

/// Writes the images of savepoint `dir` (checked: `plan`) that `holds(stage,
/// index)` selects (the job's stage numbers), and its job layout, into
/// journal `jn` in one transaction, and marks the journal as restored from
/// it. A journal that already holds state is left alone if it was restored
/// from the same savepoint (a restart), refused otherwise. `where` names
/// the journal.
error restore_into(const job& j, journal::sqlite_journal& jn, const std::filesystem::path& dir,
                   const restore_plan& plan, const std::function<bool(uint32_t stage, uint32_t index)>& holds,
                   const std::string& where);

} // namespace eddy::actors::savepoint
