#pragma once

#include <mutex>
#include <vector>

#include <caf/actor.hpp>

namespace eddy::actors {

/// Where each participant (stage, index) of the node's dataflow lives now.
/// Supervisors update it on restart; producers and consumers look handles up
/// when they send. Shared by the node's actors; thread-safe.
class directory {
public:
  explicit directory(std::vector<uint32_t> stage_sizes) {
    for (auto n : stage_sizes)
      stages_.emplace_back(n);
  }

  caf::actor get(uint32_t stage, uint32_t index) const {
    std::lock_guard<std::mutex> guard{mtx_};
    return stages_[stage][index];
  }
  void set(uint32_t stage, uint32_t index, caf::actor a) {
    std::lock_guard<std::mutex> guard{mtx_};
    stages_[stage][index] = std::move(a);
  }
  uint32_t size(uint32_t stage) const {
    return static_cast<uint32_t>(stages_[stage].size());
  }
  uint32_t stages() const {
    return static_cast<uint32_t>(stages_.size());
  }
  /// Drops every handle so the actors can terminate.
  void clear() {
    std::lock_guard<std::mutex> guard{mtx_};
    for (auto& s : stages_)
      for (auto& a : s)
        a = nullptr;
  }

private:
  mutable std::mutex mtx_;
  std::vector<std::vector<caf::actor>> stages_;
};

} // namespace eddy::actors
