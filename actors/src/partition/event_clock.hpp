#pragma once

// A keyed partition's event time (DESIGN.md, Time), in the order it moves:
// the input's watermark bounds what may still arrive; the operator's follows
// it as its event-time timers fire; the released one is that of the last
// durable entry, since a watermark never leaves ahead of the outputs before
// it; the reported one is what the exchange was last told.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "eddy/time.hpp"

namespace eddy::actors {

/// The watermarks of one partition. Plain C++, owned by one partition
/// actor; not thread-safe.
class event_clock {
public:
  /// A clock over `producers` input channels.
  explicit event_clock(uint32_t producers = 0) : batches_(producers, min_time) {
  }

  /// An applied batch of `producer` carried watermark `wm`: redelivered
  /// data moves event time too, before the exchange's watermark does.
  void batch(uint32_t producer, int64_t wm);

  /// The exchange delivered the producer instances' combined watermark
  /// (min_time: no news).
  void delivered(int64_t wm) noexcept {
    delivered_ = std::max(delivered_, wm);
  }

  /// Every producer ended: the input's watermark is +inf.
  void end() noexcept {
    ended_ = true;
  }
  bool ended() const noexcept {
    return ended_;
  }

  /// The input's watermark: both the exchange's combined watermark and the
  /// minimum over the producers' batch watermarks are lower bounds of every
  /// producer's.
  int64_t input() const noexcept {
    return ended_ ? max_time : std::max(delivered_, min_batch_);
  }

  /// Moves the operator's watermark up to the input's. Returns the new one
  /// if it moved: the event-time timers up to it are due.
  std::optional<int64_t> advance() noexcept {
    auto wm = input();
    if (wm <= watermark_)
      return std::nullopt;
    watermark_ = wm;
    return wm;
  }
  /// The operator's watermark, as far as its timers have fired.
  int64_t watermark() const noexcept {
    return watermark_;
  }

  /// An entry with watermark `wm` was released.
  void released(int64_t wm) noexcept {
    released_ = std::max(released_, wm);
  }
  int64_t released() const noexcept {
    return released_;
  }

  /// True if the exchange has not been told the released watermark yet.
  bool unreported() const noexcept {
    return released_ > reported_;
  }
  /// The released watermark went to the exchange.
  void reported() noexcept {
    reported_ = released_;
  }

private:
  std::vector<int64_t> batches_; ///< by producer: carried by its last applied batch
  int64_t min_batch_ = min_time;
  int64_t delivered_ = min_time;
  bool ended_ = false;
  int64_t watermark_ = min_time;
  int64_t released_ = min_time;
  int64_t reported_ = min_time;
};

inline void event_clock::batch(uint32_t producer, int64_t wm) {
  auto& bw = batches_.at(producer);
  if (wm <= bw)
    return;
  // Only the producer at the minimum can raise it: no rescan for the others.
  bool was_min = bw == min_batch_;
  bw = wm;
  if (was_min)
    min_batch_ = *std::min_element(batches_.begin(), batches_.end());
}

} // namespace eddy::actors
