#pragma once

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <utility>
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
    : offsets_(std::move(edge_offsets)), slot_(targets, none) {
  }

  void push(uint32_t edge, uint32_t target, std::string_view key, int64_t time,
            std::string_view payload) override {
    auto flat = offsets_[edge] + target;
    auto& slot = slot_[flat];
    if (slot == none) {
      slot = static_cast<uint32_t>(open_.size());
      open_.emplace_back(flat, dataflow::record_batch{});
    }
    open_[slot].second.append(key, time, payload);
    bytes_ += key.size() + payload.size();
  }

  /// Calls `fn(flat target, record_batch&&)` for every non-empty batch, in
  /// the order their targets were first pushed to, and resets.
  template <class F>
  void take(F&& fn) {
    for (auto& [t, b] : open_) {
      slot_[t] = none;
      fn(t, std::move(b));
    }
    reset();
  }

  void propose_watermark(int64_t wm) override {
    watermark_ = std::max(watermark_, wm);
  }
  /// The highest watermark proposed by a timestamp assigner in the chain.
  int64_t watermark() const noexcept {
    return watermark_;
  }

  bool empty() const noexcept {
    return open_.empty();
  }
  /// Approximate bytes collected since the last take().
  size_t bytes() const noexcept {
    return bytes_;
  }

  /// Drops everything collected since the last take().
  void discard() {
    for (auto& [t, b] : open_)
      slot_[t] = none;
    reset();
  }

private:
  static constexpr uint32_t none = UINT32_MAX;

  /// Empties open_; a group that touched many targets does not leave its
  /// capacity behind in every partition.
  void reset() {
    if (open_.capacity() > 16)
      open_ = {};
    else
      open_.clear();
    bytes_ = 0;
  }

  std::vector<uint32_t> offsets_;
  // Sparse: a stage-1 partition at 1024 key groups has 1024 targets, and a
  // dense vector of empty record_batch cost 56 KiB per partition (59 MiB of
  // the job at 1024 key groups, bench_memory); a slot costs 4 bytes.
  std::vector<uint32_t> slot_; ///< by flat target: its batch in open_, or none
  std::vector<std::pair<uint32_t, dataflow::record_batch>> open_; ///< (flat target, batch)
  size_t bytes_ = 0;
  int64_t watermark_ = min_time;
};

} // namespace eddy::actors
