#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "eddy/time.hpp"

namespace eddy::dataflow {

/// An operator's event-time clock: the minimum of its input channels'
/// watermarks (Flink's rule). A channel that ended counts as +infinity; with
/// an idle timeout, a channel silent for longer than it does not hold the
/// watermark back until it speaks again. The result never decreases.
/// Owned by one actor; not thread-safe.
class watermark_tracker {
public:
  /// `channels` inputs; `idle_timeout_ms` 0 means no channel is ever idle.
  /// A channel not heard from since `now` turns idle after the timeout too.
  watermark_tracker(size_t channels, int64_t idle_timeout_ms, int64_t now = processing_time_now())
    : channels_(channels, channel{min_time, now}), idle_timeout_ms_(idle_timeout_ms) {
    rescan();
  }

  /// Channel `i` reports watermark `wm` (or just activity with min_time) at
  /// processing time `now`.
  void update(size_t i, int64_t wm, int64_t now) {
    auto& c = channels_[i];
    if (wm > c.watermark)
      c.watermark = wm;
    c.last_heard = now;
  }

  /// Channel `i` will send nothing more.
  void end(size_t i) {
    channels_[i].watermark = max_time;
  }

  /// The operator's watermark at processing time `now`.
  int64_t current(int64_t now) {
    int64_t result = max_time;
    bool any_active = false;
    for (auto& c : channels_) {
      if (c.watermark == max_time)
        continue;
      if (idle_timeout_ms_ > 0 && now - c.last_heard > idle_timeout_ms_)
        continue; // idle: it does not hold the others back
      any_active = true;
      result = std::min(result, c.watermark);
    }
    if (!any_active && !all_ended())
      result = current_; // every live channel idle: time stands still
    if (result > current_)
      current_ = result;
    return current_;
  }

  int64_t last() const noexcept {
    return current_;
  }

private:
  struct channel;

  void raise(channel& c, int64_t wm) {
    if (c.watermark == min_ && c.watermark != max_time)
      --at_min_;
    c.watermark = wm;
  }
  /// Finds the minimum over channels that have not ended, and how many are at it.
  void rescan() {
    min_ = max_time;
    at_min_ = 0;
    for (auto& c : channels_) {
      if (c.watermark == max_time)
        continue;
      if (c.watermark < min_) {
        min_ = c.watermark;
        at_min_ = 0;
      }
      at_min_ += c.watermark == min_;
    }
  }

  bool all_ended() const {
    for (auto& c : channels_)
      if (c.watermark != max_time)
        return false;
    return true;
  }

  struct channel {
    int64_t watermark = min_time;
    int64_t last_heard = min_time;
  };
  std::vector<channel> channels_;
  int64_t idle_timeout_ms_;
  int64_t current_ = min_time;
  int64_t min_ = min_time;  ///< without idleness: the minimum over live channels
  size_t at_min_ = 0;       ///< live channels at min_; 0 means rescan
};

} // namespace eddy::dataflow
