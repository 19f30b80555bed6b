#pragma once

// A partition keeps one self-message scheduled for its earliest
// processing-time timer, not one per timer: pending CAF timers cost memory
// and keep the actor alive (CAF-0.17.md, pitfall 7).

#include <algorithm>
#include <cstdint>
#include <optional>

#include "eddy/time.hpp"

namespace eddy::actors {

/// When the partition's processing-time self-message is due. Plain C++,
/// owned by one partition actor; not thread-safe.
class processing_timer {
public:
  /// The earliest timer is at `next` (max_time: none). Returns the delay of
  /// a new self-message if none is due by then; one due later still comes,
  /// and finds nothing or something later to fire.
  std::optional<int64_t> schedule(int64_t next, int64_t now) noexcept {
    if (next >= at_)
      return std::nullopt;
    at_ = next;
    return std::max<int64_t>(0, next - now);
  }

  /// A self-message came: the next schedule() asks for another.
  void fired() noexcept {
    at_ = max_time;
  }

private:
  int64_t at_ = max_time; ///< when the earliest self-message scheduled is due
};

} // namespace eddy::actors
