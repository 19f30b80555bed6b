#pragma once

#include <cstdint>
#include <vector>

namespace eddy::actors {

/// Fencing by cluster epoch on one side of a link: every frame, ack and
/// greeting carries the epoch of its sender's slice (the generation in
/// which the slice was placed where it runs; 0 in the local mode), and a
/// message from an instance with an older epoch than one already heard
/// from that instance comes from a replaced incarnation (a worker that hung
/// while its slice moved, and continued): it is ignored.
class epoch_fence {
public:
  explicit epoch_fence(size_t instances) : newest_(instances, 0) {
  }

  /// True when `epoch` is older than the newest seen from `instance`
  /// (counted in ignored()); otherwise it becomes the newest.
  bool stale(uint32_t instance, uint32_t epoch) {
    if (instance >= newest_.size())
      return false;
    if (epoch < newest_[instance]) {
      ++ignored_;
      return true;
    }
    newest_[instance] = epoch;
    return false;
  }

  /// The newest epoch heard from `instance` (0 before any).
  uint32_t newest(uint32_t instance) const noexcept {
    return instance < newest_.size() ? newest_[instance] : 0;
  }

  /// Messages ignored as stale so far.
  uint64_t ignored() const noexcept {
    return ignored_;
  }

private:
  std::vector<uint32_t> newest_; ///< by peer instance
  uint64_t ignored_ = 0;
};

} // namespace eddy::actors
