#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "eddy/error.hpp"
#include "eddy/journal/sqlite_journal.hpp"

namespace eddy::actors::cluster {

/// Which worker number each state directory holds, kept in the
/// coordinator's journal: a worker's journal holds the state of the tasks
/// placed on its number, so a worker that comes back with the same state
/// directory (a restarted cluster) gets the same number again.
class worker_slots {
public:
  /// The slots stored in `jn`, for a job on `workers` workers; the first
  /// start stores `workers`. errc::invalid_argument when the journal holds
  /// the job on another number of workers.
  static expected<worker_slots> open(journal::sqlite_journal& jn, uint32_t workers);

  /// The number of the worker keeping its state in `state_dir`: the one
  /// stored for it, else the first number no directory holds yet (stored
  /// now). errc::invalid_argument when every number belongs to another
  /// directory.
  expected<uint32_t> claim(const std::string& state_dir);

  /// The state directory of worker `w` ("" while unclaimed).
  const std::string& dir_of(uint32_t w) const {
    return dirs_.at(w);
  }

  uint32_t workers() const noexcept {
    return static_cast<uint32_t>(dirs_.size());
  }

private:
  journal::sqlite_journal* jn_ = nullptr;
  std::vector<std::string> dirs_; ///< by worker number; "" while unclaimed
};

} // namespace eddy::actors::cluster
