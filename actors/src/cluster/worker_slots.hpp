#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "eddy/error.hpp"
#include "eddy/journal/sqlite_journal.hpp"

namespace eddy::actors::cluster {

/// Which worker number each state directory holds, kept in the
/// coordinator's journal, and how many workers the job first started on.
/// The slices of the job's state start in the state directories of those
/// first workers (../placement.hpp), so a worker that comes back with the
/// same state directory (a restarted cluster) gets the same number again,
/// and a directory no worker had before (a worker added to the running
/// job) gets the next number.
class worker_slots {
public:
  /// The slots stored in `jn`; the first start stores `workers` as the
  /// number of first workers.
  static expected<worker_slots> open(journal::sqlite_journal& jn, uint32_t workers);

  /// The number of the worker keeping its state in `state_dir`: the one
  /// stored for it, else the first of the first workers' numbers that no
  /// directory holds yet, else a new one (stored now).
  expected<uint32_t> claim(const std::string& state_dir);

  /// The state directory of worker `w` ("" while unclaimed).
  const std::string& dir_of(uint32_t w) const {
    return dirs_.at(w);
  }

  /// Every worker number known: the first workers and those added since.
  uint32_t workers() const noexcept {
    return static_cast<uint32_t>(dirs_.size());
  }

  /// How many workers the job first started on.
  uint32_t first_workers() const noexcept {
    return first_;
  }

private:
  journal::sqlite_journal* jn_ = nullptr;
  uint32_t first_ = 0;
  std::vector<std::string> dirs_; ///< by worker number; "" while unclaimed
};

} // namespace eddy::actors::cluster
