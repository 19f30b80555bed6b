#pragma once

#include <memory>

#include "eddy/error.hpp"
#include "eddy/job.hpp"
#include "eddy/journal/sqlite_journal.hpp"

namespace eddy::actors {

/// Opens the job's state directory: creates it when missing or empty;
/// otherwise it must hold an Eddy journal written by the same job with the
/// same max key groups and shape. Returns errc::invalid_argument or
/// errc::corrupt naming the directory, and changes nothing, when it does not.
/// The job's shape as its state depends on it: stages and where each output
/// goes ("source -> k0, k0 -> s0").
std::string shape_of(const job& j);

expected<std::shared_ptr<journal::sqlite_journal>> open_state_dir(const job& j);

/// The same for state directory `dir` (a cluster worker opening a slice's
/// journal). `verify`: read every page first (SQLite's quick_check); a
/// worker skips it for a slice that moved, whose journal was verified when
/// the job started and has been written by SQLite alone since.
expected<std::shared_ptr<journal::sqlite_journal>> open_state_dir(const job& j,
                                                                   const std::filesystem::path& dir,
                                                                   bool verify = true);

} // namespace eddy::actors
