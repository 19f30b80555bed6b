#pragma once

// Snapshots bound recovery (DESIGN.md invariant 6): a partition snapshots
// after so many entries or so much time, and a quiet one snapshots its tail
// on a timer too, so one idle key group never pins the journal.

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace eddy::actors {

/// When one partition snapshots. Time is whatever the caller passes (the
/// steady clock in the actor). Plain C++, owned by one partition actor;
/// not thread-safe.
class snapshot_policy {
public:
  /// A snapshot every `every_entries` entries or `interval_ms`, counted from
  /// `now_ms` (the start of the incarnation).
  snapshot_policy(uint64_t every_entries, uint64_t interval_ms, int64_t now_ms)
    : every_entries_(every_entries), interval_ms_(static_cast<int64_t>(interval_ms)),
      last_ms_(now_ms) {
  }

  /// Partitions started together would snapshot together, every interval,
  /// in one journal transaction of all their states (1.7 MB, 100–170 ms for
  /// nexmark q5 at 300 K events/s: every write of the node waited for it).
  /// Index i starts a different share of the way into its interval and its
  /// entry count (i × the golden ratio, mod 1), so they spread.
  void stagger(uint32_t index) noexcept {
    auto share = std::fmod(static_cast<double>(index) * 0.6180339887498949, 1.0);
    last_ms_ -= static_cast<int64_t>(share * static_cast<double>(interval_ms_));
    entries_ = static_cast<uint64_t>(share * static_cast<double>(every_entries_));
  }

  /// An entry was closed at `now_ms`. Returns true if a snapshot is due.
  bool entry_closed(int64_t now_ms) noexcept {
    ++entries_;
    return entries_ >= every_entries_ || now_ms - last_ms_ >= interval_ms_;
  }

  /// The snapshot timer came at `now_ms`. Returns true if the partition
  /// went quiet: it closed entries since its snapshot, none is `in_flight`
  /// any more, and the interval is over.
  bool quiet(int64_t now_ms, bool in_flight) const noexcept {
    return entries_ > 0 && !in_flight && now_ms - last_ms_ >= interval_ms_;
  }

  /// A snapshot was taken at `now_ms`.
  void taken(int64_t now_ms) noexcept {
    entries_ = 0;
    last_ms_ = now_ms;
  }

  /// How often the snapshot timer comes: the interval, at least 10 ms.
  int64_t tick_ms() const noexcept {
    return std::max<int64_t>(interval_ms_, 10);
  }

private:
  uint64_t every_entries_;
  int64_t interval_ms_;
  uint64_t entries_ = 0; ///< closed since the last snapshot
  int64_t last_ms_;      ///< when the last snapshot was taken
};

} // namespace eddy::actors
