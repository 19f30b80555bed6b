#pragma once

// When a producer may send a watermark that rides on no batch: at most once
// per interval (DESIGN.md, Time), so a quiet edge is not flooded with
// watermark-only messages; one held back goes out when the interval is over.

#include <algorithm>
#include <cstdint>
#include <optional>

namespace eddy::actors {

/// Paces the watermark-only messages of one producer (a source, an
/// exchange, a partition's reports to its exchange). The caller asks due()
/// before it sends, says sent() when the interval starts again, and hold()
/// when it kept a watermark back; hold() asks for one flush timer at a
/// time, and fired() says that timer came. Time is whatever the caller
/// passes (the steady clock in the actors). Plain C++, owned by one actor;
/// not thread-safe.
class watermark_pacer {
public:
  explicit watermark_pacer(int64_t interval_ms = 0) : interval_ms_(interval_ms) {
  }

  /// True if a watermark-only message may go at `now_ms`.
  bool due(int64_t now_ms) const noexcept {
    return now_ms - last_ms_ >= interval_ms_;
  }

  /// The interval starts again at `now_ms`.
  void sent(int64_t now_ms) noexcept {
    last_ms_ = now_ms;
  }

  /// A watermark was held back at `now_ms`: returns in how many ms a flush
  /// timer should come (when the interval is over), or nothing if one is
  /// on its way already.
  std::optional<int64_t> hold(int64_t now_ms) noexcept {
    if (scheduled_)
      return std::nullopt;
    scheduled_ = true;
    return std::max<int64_t>(1, interval_ms_ - (now_ms - last_ms_));
  }

  /// The flush timer asked for by hold() came.
  void fired() noexcept {
    scheduled_ = false;
  }

private:
  int64_t interval_ms_;
  int64_t last_ms_ = 0; ///< when the interval last started
  bool scheduled_ = false;
};

} // namespace eddy::actors
