#pragma once

// Counts of the messages the runtime's exchanges send, by sending stage, for
// the benchmark that shows messages growing with instances, not key groups.
// Shared by the actors of one run; relaxed atomics: counts, not ordering.

#include <atomic>
#include <cstdint>
#include <vector>

#include "eddy/actors/run.hpp"

namespace eddy::actors {

class message_counters {
public:
  enum kind : uint8_t { frame, frame_ack, greeting, delivery, kinds };

  explicit message_counters(uint32_t stages) : counts_(size_t{stages} * kinds) {
  }

  /// Stage `stage` sent one message of kind `k`.
  void sent(kind k, uint32_t stage) noexcept {
    if (size_t i = size_t{stage} * kinds + k; i < counts_.size())
      counts_[i].fetch_add(1, std::memory_order_relaxed);
  }

  message_counts snapshot() const {
    message_counts m;
    auto stages = counts_.size() / kinds;
    for (size_t s = 0; s < stages; ++s) {
      auto at = [&](kind k) { return counts_[s * kinds + k].load(std::memory_order_relaxed); };
      m.frames.push_back(at(frame));
      m.frame_acks.push_back(at(frame_ack));
      m.greetings.push_back(at(greeting));
      m.deliveries.push_back(at(delivery));
    }
    return m;
  }

private:
  std::vector<std::atomic<uint64_t>> counts_;
};

} // namespace eddy::actors
