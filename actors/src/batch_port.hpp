#pragma once

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <vector>

#include "eddy/dataflow/batch.hpp"
#include "eddy/dataflow/output_port.hpp"
#include "eddy/time.hpp"

namespace eddy::actors {

/// Collects a producer's outputs into one batch per consumer until take().
/// Owned by one actor; not thread-safe.
class batch_port final : public dataflow::output_port {
public:
  /// `edge_offsets[e]` is the flat index of target 0 of output edge `e`;
  /// `targets` the number of flat indexes over all edges.
  batch_port(std::vector<uint32_t> edge_offsets, uint32_t targets)
    : offsets_(std::move(edge_offsets)), batches_(targets) {
  }

  void push(uint32_t edge, uint32_t target, std::string_view key, int64_t time,
            std::string_view payload) override {
    auto flat = offsets_[edge] + target;
    auto& b = batches_[flat];
    if (b.count == 0)
      touched_.push_back(flat);
    b.append(key, time, payload);
    bytes_ += key.size() + payload.size();
  }

  /// Calls `fn(flat target, record_batch&&)` for every non-empty batch and resets.
  template <class F>
  void take(F&& fn) {
    for (auto t : touched_) {
      fn(t, std::move(batches_[t]));
      batches_[t] = dataflow::record_batch{};
    }
    touched_.clear();
    bytes_ = 0;
  }

  void propose_watermark(int64_t wm) override {
    watermark_ = std::max(watermark_, wm);
  }
  /// The highest watermark proposed by a timestamp assigner in the chain.
  int64_t watermark() const noexcept {
    return watermark_;
  }

  bool empty() const noexcept {
    return touched_.empty();
  }
  /// Approximate bytes collected since the last take().
  size_t bytes() const noexcept {
    return bytes_;
  }

  /// Drops everything collected since the last take().
  void discard() {
    for (auto t : touched_)
      batches_[t] = dataflow::record_batch{};
    touched_.clear();
    bytes_ = 0;
  }

private:
  std::vector<uint32_t> offsets_;
  std::vector<dataflow::record_batch> batches_;
  std::vector<uint32_t> touched_;
  size_t bytes_ = 0;
  int64_t watermark_ = min_time;
};

} // namespace eddy::actors
