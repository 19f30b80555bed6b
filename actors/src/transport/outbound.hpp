#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "plan.hpp"
#include "protocol.hpp"
#include "transport/epoch_fence.hpp"

namespace eddy::actors {

/// The producing side of one exchange: every logical channel of its local
/// producer indexes, multiplexed into one frame per consumer instance.
/// Keeps released batches until their consumer acknowledges them, redelivers
/// on a greeting, tracks the instance's watermark (the minimum over its
/// producers), and ends every link once all its producers ended and all they
/// sent is acknowledged. Plain C++, owned by one actor; not thread-safe.
class outbound {
public:
  /// `epoch`: this instance's cluster epoch, on its frames.
  outbound(const plan& p, uint32_t stage, uint32_t instance, uint32_t epoch = 0);

  /// Producer `producer` released `b` on channel `flat`. Ignores a batch it
  /// holds already (a recovering producer hands over its whole outbox).
  void add(uint32_t producer, uint32_t flat, const batch_ptr& b);

  /// Producer `producer`'s watermark after everything it added.
  void watermark(uint32_t producer, int64_t wm);

  /// Producer `producer` sends nothing more (or, false: it restarted).
  void ended(uint32_t producer, bool yes);

  /// Applies acknowledgements; calls `fn(producer, flat, seq)` per channel.
  /// Ignores those of a replaced incarnation of the consumer (older epoch):
  /// false then.
  template <class F>
  bool ack(const frame_ack_msg& m, int64_t now_ms, F&& fn) {
    if (stale(m.consumer_stage, m.consumer_instance, m.epoch))
      return false;
    for (auto& a : m.acks) {
      auto flat = plan_.flat_of(stage_, m.consumer_stage, a.consumer);
      if (flat >= plan_.stage(stage_).flat_size || !local(a.producer))
        continue;
      auto& dst = dests_[dest_of(flat)];
      auto it = channels_.find(key(a.producer, flat));
      if (it != channels_.end()) {
        it->second.ack(a.seq);
        if (!it->second.holds_batches()) {
          channels_.erase(it);
          --dst.holding;
        }
      }
      heard(dst, now_ms);
      fn(a.producer, flat, a.seq);
    }
    return true;
  }

  /// Redelivers to the greeting consumers after their high-water marks and
  /// answers each of them in the next frame to their instance (not to a
  /// replaced incarnation: an older epoch; false then).
  bool greet(const greeting_msg& m);

  /// Sends again the first unacknowledged batch of every channel to
  /// instances that have not acknowledged anything for `after_ms`, doubled
  /// per retry without an ack, or for four of their usual gaps between acks
  /// if longer (under backpressure acks come late, not never); both at most
  /// 16 × `after_ms`. Returns how many batches it sent again.
  size_t retransmit(int64_t now_ms, int64_t after_ms);

  /// "counter#2 (no ack for 3200 ms)": the links the last retransmit() sent
  /// batches again to, for its warning (a link that stays silent is a stall).
  std::string last_retried() const;

  /// Calls `fn(exchange id, frame_msg&&)` for each frame to send: every one
  /// holding batches, answers or an end, and, if `watermark_due`,
  /// watermark-only frames to instances behind the instance's watermark.
  /// Returns true if a watermark was held back (not due).
  template <class F>
  bool take(bool watermark_due, int64_t now_ms, F&& fn) {
    auto wm = instance_watermark();
    bool end_now = !end_sent_ && all_ended() && channels_.empty();
    bool held = false;
    for (uint32_t d = 0; d < dests_.size(); ++d) {
      auto& dst = dests_[d];
      auto& f = dst.frame;
      bool content = !f.batches.empty() || !f.answers.empty() || f.end || end_now;
      bool behind = wm > dst.sent_watermark;
      if (!content && !(behind && watermark_due)) {
        held = held || behind;
        continue;
      }
      if (behind) {
        f.watermark = wm;
        dst.sent_watermark = wm;
      }
      f.end = f.end || end_now;
      f.producer_stage = stage_;
      f.producer_instance = instance_;
      f.epoch = epoch_;
      if (!f.batches.empty())
        dst.last_sent_ms = now_ms;
      fn(dst.exchange, std::move(f));
      f = frame_msg{};
    }
    end_sent_ = end_sent_ || end_now;
    return held;
  }

  /// The minimum watermark over the local producers that have not ended (the
  /// highest any proposed once all have).
  int64_t instance_watermark() const noexcept;
  bool end_sent() const noexcept {
    return end_sent_;
  }

private:
  struct dest {
    uint32_t stage = 0;
    uint32_t instance = 0;
    uint32_t exchange = 0;
    frame_msg frame;
    int64_t sent_watermark = min_time;
    int64_t last_ack_ms = 0;
    int64_t last_sent_ms = 0;
    int64_t last_retry_ms = -1;     ///< when it was last retransmitted to
    int64_t retry_interval_ms = 0;  ///< silence before the next retry (backs off)
    uint32_t holding = 0;           ///< channels to it holding unacknowledged batches
    bool held_at_last_ack = false;  ///< holding > 0 after the last ack
    int64_t ack_gap_ms = 0;         ///< smoothed time between its acks while it held batches
  };

  /// An ack from `d` came at `now_ms`: the gap since the one before, while
  /// batches waited for it, goes into its usual gap (smoothed as TCP's RTT,
  /// RFC 6298), so that a link slow under load is not taken for a silent one.
  static void heard(dest& d, int64_t now_ms) {
    if (d.held_at_last_ack && now_ms > d.last_ack_ms) {
      auto gap = now_ms - d.last_ack_ms;
      d.ack_gap_ms = d.ack_gap_ms == 0 ? gap : (7 * d.ack_gap_ms + gap) / 8;
    }
    d.last_ack_ms = now_ms;
    d.held_at_last_ack = d.holding > 0;
  }

  static uint64_t key(uint32_t producer, uint32_t flat) noexcept {
    return uint64_t{producer} << 32 | flat;
  }
  bool local(uint32_t producer) const noexcept {
    return producers_.contains(producer);
  }
  bool all_ended() const noexcept;
  uint32_t dest_of(uint32_t flat) const;
  /// Whether a message of consumer instance (stage, instance) at `epoch`
  /// comes from a replaced incarnation.
  bool stale(uint32_t consumer_stage, uint32_t consumer_instance, uint32_t epoch);
  void push(uint32_t producer, uint32_t flat, const batch_ptr& b);

  const plan& plan_;
  uint32_t stage_;
  uint32_t instance_;
  uint32_t epoch_;
  key_group_range producers_;
  std::vector<int64_t> watermarks_; ///< by local producer
  std::vector<char> ended_;         ///< by local producer
  std::vector<dest> dests_;
  std::vector<uint32_t> dest_base_; ///< by output edge: its first dest
  std::unordered_map<uint64_t, channel_out> channels_; ///< only those holding batches
  bool end_sent_ = false;
  epoch_fence fence_{0}; ///< by dest
  std::vector<std::pair<uint32_t, int64_t>> retried_; ///< by the last retransmit(): dest, ms since its last ack (-1: none yet)
};

} // namespace eddy::actors
