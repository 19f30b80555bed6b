#pragma once

// Taking a savepoint: a directory that appears under its final name only
// once complete (a half-written one is never listed or used), bodies
// written from consistent copies of the job's journals, the manifest last.

#include <filesystem>
#include <string>
#include <vector>

#include "eddy/error.hpp"
#include "eddy/job.hpp"
#include "job_layout.hpp"
#include "savepoint/manifest.hpp"

namespace eddy::actors::savepoint {

/// Where a savepoint is written (`pending`, a hidden sibling) and the name it
/// gets when complete (`final`).
struct target {
  std::filesystem::path pending;
  std::filesystem::path final;
};

/// Creates the pending directory of a new savepoint: `to` if given (it must
/// not exist), else `root/savepoint-<UTC time>` (names sort by time).
expected<target> begin(const std::filesystem::path& root, const std::string& to);

/// The manifest of job `j` with `layout`, without bodies yet.
manifest manifest_of(const job& j, const job_layout& layout, const std::string& origin);

/// Writes the bodies of each journal copy (path, body file name) into the
/// pending directory `pending`, removing each copy.
expected<std::vector<body_ref>> write_copies(const std::filesystem::path& pending,
                                             const std::vector<std::pair<std::string, std::string>>& copies);

/// Writes `m` and renames the savepoint to its final name. Refuses (and
/// leaves it pending) a manifest with two images of one participant.
error finish(const target& t, const manifest& m);

/// Removes what a failed savepoint left.
void abandon(const target& t);

} // namespace eddy::actors::savepoint
