#pragma once

// Channels: ordered streams of record batches from one producer to one
// consumer, with per-record sequence numbers (DESIGN.md invariants 1–3).
// The producer keeps every batch until its consumer acknowledges it as
// durable, and redelivers on request; the consumer drops what it has seen.
// Credit: a producer stops when a channel holds `window_bytes` unacknowledged.
//
// Plain C++: owned and used by one actor; not thread-safe.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "eddy/dataflow/batch.hpp"
#include "transport/batch_queue.hpp"

namespace eddy::actors {

/// Producer side of one channel.
class channel_out {
public:
  /// Seq the next record will carry.
  uint64_t next_seq() const noexcept {
    return next_seq_;
  }
  /// Highest seq the consumer has acknowledged.
  uint64_t acked() const noexcept {
    return acked_;
  }

  /// Gives `b` the next seqs and holds it back until release(): it belongs
  /// to a journal entry that is not durable yet.
  void assign(dataflow::record_batch& b) {
    b.first_seq = next_seq_;
    next_seq_ += b.count;
  }

  /// Restores the position after recovery: seqs up to `next - 1` were
  /// assigned, up to `acked` acknowledged.
  void restore(uint64_t next, uint64_t acked) {
    next_seq_ = next;
    acked_ = acked;
    sent_next_ = acked + 1;
  }

  /// Records that `b` was sent and must be kept until acknowledged.
  void sent(batch_ptr b) {
    bytes_ += b->data.size();
    sent_next_ = std::max(sent_next_, b->last_seq() + 1);
    unacked_.push_back(std::move(b));
  }

  /// Seq after the last record sent: what a watermark sent now follows.
  /// (Below next_seq() while assigned batches wait for their journal entry.)
  uint64_t sent_next_seq() const noexcept {
    return sent_next_;
  }

  /// Drops every batch whose records are all at or below `seq` (or an
  /// earlier, higher ack). A consumer that restarted ahead of a producer's
  /// checkpoint acks seqs the producer has not sent again yet, and acks the
  /// same seq again for each of those batches when they arrive: so the same
  /// or a lower ack must still release what was sent since.
  void ack(uint64_t seq) {
    acked_ = std::max(acked_, seq);
    while (!unacked_.empty() && unacked_.front()->last_seq() <= acked_) {
      bytes_ -= unacked_.front()->data.size();
      unacked_.pop_front();
    }
  }

  /// The unacknowledged batches holding records after `hw`, to redeliver to
  /// a consumer that restarted with high-water mark `hw`.
  std::vector<batch_ptr> unacked_after(uint64_t hw) const {
    std::vector<batch_ptr> result;
    for (const auto& b : unacked_)
      if (b->last_seq() > hw)
        result.push_back(b);
    return result;
  }

  /// Bytes sent and not yet acknowledged.
  size_t unacked_bytes() const noexcept {
    return bytes_;
  }
  bool has_credit(size_t window_bytes) const noexcept {
    return bytes_ < window_bytes;
  }
  /// True when everything assigned has been acknowledged.
  bool drained() const noexcept {
    return acked_ + 1 >= next_seq_;
  }
  std::vector<batch_ptr> all_unacked() const {
    return {unacked_.begin(), unacked_.end()};
  }
  /// True while some batch waits for its ack.
  bool holds_batches() const noexcept {
    return !unacked_.empty();
  }
  /// The oldest unacknowledged batch; only when holds_batches().
  const batch_ptr& oldest() const {
    return unacked_.front();
  }

  /// End of stream: the producer sends nothing after it. Remembered so it is
  /// redelivered after the data on a consumer's restart.
  bool end_sent = false;

private:
  uint64_t next_seq_ = 1;
  uint64_t sent_next_ = 1;
  uint64_t acked_ = 0;
  size_t bytes_ = 0;
  batch_queue unacked_;
};

/// Consumer side of one channel: the high-water mark of applied records.
class channel_in {
public:
  /// What to do with an arriving batch.
  struct verdict {
    bool apply = false;  ///< false: duplicate or out of order, drop it
    uint32_t skip = 0;   ///< records at the front already applied
  };

  /// Decides on a batch starting at `first_seq` with `count` records. A batch
  /// that starts after hw + 1 left a gap (records lost with a restarted
  /// consumer's mailbox): it is dropped, the producer redelivers in order.
  verdict check(uint64_t first_seq, uint32_t count) const noexcept {
    if (first_seq > hw_ + 1)
      return {};
    uint64_t last = first_seq + count - 1;
    if (count == 0 || last <= hw_)
      return {};
    return {true, static_cast<uint32_t>(hw_ + 1 - first_seq)};
  }

  /// True when an end-of-stream marker at `first_seq` follows everything applied.
  bool accepts_end(uint64_t first_seq) const noexcept {
    return first_seq <= hw_ + 1;
  }

  uint64_t hw() const noexcept {
    return hw_;
  }
  void hw(uint64_t seq) noexcept {
    hw_ = seq;
  }

  bool ended = false;

private:
  uint64_t hw_ = 0;
};

} // namespace eddy::actors
