#pragma once

#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "transport/channel.hpp"

namespace eddy::actors {

/// What the runtime holds for one unacknowledged batch beyond its record
/// bytes: the record_batch and its shared control block, its entries in the
/// producer's outbox and its exchange's channel, and its place in frames and
/// deliveries. Between two keyed stages at 1024 key groups most batches hold
/// one or two records of ~30 bytes, so credit that counted record bytes
/// alone let each partition keep ~500 batches and the job ~300 MiB
/// (bench_memory, heaptrack). Estimated from the allocations heaptrack
/// shows per batch: ~80 for the batch and its control block, ~100 for its
/// exchange's channel entry, ~60 for the outbox's, ~50 in frames and
/// deliveries, a heap buffer for records past 15 bytes.
inline constexpr size_t batch_overhead_bytes = 256;

/// The output channels of one producer index (a partition or a source
/// instance), by flat consumer index: the seqs it assigned, what its
/// consumers acknowledged, and the batches released and not yet
/// acknowledged (kept for snapshots and credit; its exchange keeps them for
/// redelivery). Dense positions, sparse batches: memory grows with the
/// channels that hold data, not with the key groups squared.
/// Plain C++, owned by one actor; not thread-safe.
class outbox {
public:
  explicit outbox(uint32_t channels = 0) : next_(channels, 1), acked_(channels, 0) {
  }

  uint32_t channels() const noexcept {
    return static_cast<uint32_t>(next_.size());
  }
  uint64_t next_seq(uint32_t flat) const {
    return next_.at(flat);
  }
  uint64_t acked(uint32_t flat) const {
    return acked_.at(flat);
  }

  /// Gives `b`, bound for `flat`, the channel's next seqs.
  void assign(uint32_t flat, dataflow::record_batch& b) {
    b.first_seq = next_.at(flat);
    next_[flat] += b.count;
  }

  /// Restores a channel after recovery: seqs below `next` were assigned, up
  /// to `acked` acknowledged.
  void restore(uint32_t flat, uint64_t next, uint64_t acked) {
    next_.at(flat) = std::max(next, acked + 1);
    acked_[flat] = acked;
  }

  /// What batch `b` costs of a producer's credit: its record bytes plus
  /// batch_overhead_bytes.
  static size_t cost(const dataflow::record_batch& b) noexcept {
    return b.data.size() + batch_overhead_bytes;
  }

  /// Keeps the released batch `b` of channel `flat` until it is acknowledged.
  void sent(uint32_t flat, batch_ptr b) {
    bytes_ += cost(*b);
    unacked_[flat].push_back(std::move(b));
  }

  /// The consumer behind `flat` applied everything up to `seq`. Returns true
  /// if the acknowledged position moved.
  bool ack(uint32_t flat, uint64_t seq) {
    if (flat >= acked_.size())
      return false;
    // The same or a lower ack still releases what was sent since: a consumer
    // ahead of a source's checkpoint acks its mark for every replayed
    // duplicate (as channel_out::ack; without it the replay's bytes stay, and
    // a replay longer than the window ends in a source waiting for credit).
    bool moved = seq > acked_[flat];
    acked_[flat] = std::max(acked_[flat], seq);
    if (auto it = unacked_.find(flat); it != unacked_.end()) {
      auto& q = it->second;
      while (!q.empty() && q.front()->last_seq() <= acked_[flat]) {
        bytes_ -= cost(*q.front());
        q.pop_front();
      }
      if (q.empty())
        unacked_.erase(it);
    }
    return moved;
  }

  /// Calls `fn(flat, batch_ptr)` for every unacknowledged batch.
  template <class F>
  void for_each_unacked(F&& fn) const {
    for (auto& [flat, q] : unacked_)
      for (auto& b : q)
        fn(flat, b);
  }

  /// What the batches released and not yet acknowledged cost (cost()):
  /// the producer's credit in use.
  size_t bytes() const noexcept {
    return bytes_;
  }
private:
  std::vector<uint64_t> next_;
  std::vector<uint64_t> acked_;
  std::unordered_map<uint32_t, batch_queue> unacked_;
  size_t bytes_ = 0;
};

} // namespace eddy::actors
