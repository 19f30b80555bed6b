#pragma once

// Event time and processing time, in milliseconds since the Unix epoch.

#include <chrono>
#include <cstdint>
#include <limits>

namespace eddy {

/// No event time yet: the watermark before any was seen.
inline constexpr int64_t min_time = std::numeric_limits<int64_t>::min();

/// The watermark at the end of a bounded input: every timer fires.
inline constexpr int64_t max_time = std::numeric_limits<int64_t>::max();

/// Wall-clock milliseconds since the Unix epoch (processing time).
inline int64_t processing_time_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

} // namespace eddy
