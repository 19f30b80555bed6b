#pragma once

// The bodies of a savepoint (FORMAT.md here): one image per participant,
// its latest snapshot and the journal entries after it, read from a copy of
// a journal and written back into a fresh one.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "eddy/error.hpp"
#include "eddy/journal/sqlite_journal.hpp"
#include "savepoint/manifest.hpp"

namespace eddy::actors::savepoint {

/// One participant's durable state: its snapshot (empty: none) at
/// `snapshot_seq` and the entries after it, in seq order.
struct image {
  uint64_t snapshot_seq = 0;
  std::string snapshot;
  std::vector<std::pair<uint64_t, std::string>> entries; ///< (seq, body)
};

/// Copies the journal `file` (and its -wal) into directory `to`, which it
/// creates; the journal's writer must be idle meanwhile. Returns the copy's
/// path.
expected<std::filesystem::path> copy_journal(const std::filesystem::path& file,
                                             const std::filesystem::path& to);

/// Writes the image of every participant of the journal copy `journal_file`
/// into `dir/file`, fsynced, and returns where each lies.
expected<std::vector<body_ref>> write_bodies(const std::filesystem::path& journal_file,
                                             const std::filesystem::path& dir, const std::string& file);

/// Checks every body of savepoint `dir` against its size and checksum,
/// reading each file once: a resume refuses a damaged savepoint before
/// anything runs.
error verify_bodies(const std::filesystem::path& dir, const std::vector<body_ref>& refs);

/// Reads and checks (size and checksum) the image `ref` of savepoint `dir`.
expected<image> read_image(const std::filesystem::path& dir, const body_ref& ref);

/// Stages `img` of `pid` into fresh journal `jn` (commit() writes it).
void stage_image(journal::sqlite_journal& jn, journal::partition_id pid, const image& img);

} // namespace eddy::actors::savepoint
