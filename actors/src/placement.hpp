#pragma once

#include <cstdint>
#include <vector>

#include "plan.hpp"

namespace eddy::actors {

/// Which node runs each exchange (stage, instance) of a plan, with its
/// partitions, and which journal holds its state (its *home*): the
/// assignment every node combines with the plan. Node numbers are worker
/// numbers (0-based); the local mode is one node with one journal.
///
/// In a cluster the state is split into *slices*, one journal each, fixed
/// at the job's first start: instance i of a stage with n instances has its
/// home in slice i * slices / n (Flink's range formula), and a slice is what
/// moves between workers, all its instances together, because only one
/// process at a time can open its journal.
class placement {
public:
  /// Everything on node 0, in one journal (home 0).
  static placement single(const plan& p);

  /// One slice per instance of the plan's widest stage: as fine as a move
  /// can be, since an instance does not split.
  static uint32_t slices_of(const plan& p);

  /// Every instance in its slice, every slice on worker `owners[slice]`.
  static placement of_slices(const plan& p, const std::vector<uint32_t>& owners);

  /// From the vectors of a message (by exchange id).
  static placement of(std::vector<uint32_t> nodes, std::vector<uint32_t> homes);

  uint32_t node_of(uint32_t exchange_id) const {
    return node_.at(exchange_id);
  }
  uint32_t node_of(const plan& p, uint32_t s, uint32_t instance) const {
    return node_of(p.exchange_id(s, instance));
  }
  uint32_t home_of(uint32_t exchange_id) const {
    return home_.at(exchange_id);
  }
  const std::vector<uint32_t>& nodes() const noexcept {
    return node_;
  }
  const std::vector<uint32_t>& homes() const noexcept {
    return home_;
  }

private:
  std::vector<uint32_t> node_; ///< by plan::exchange_id
  std::vector<uint32_t> home_; ///< by plan::exchange_id
};

/// The worker each slice starts on, by the range formula: slice j of
/// `slices` on worker j * workers / slices.
std::vector<uint32_t> natural_owners(uint32_t slices, uint32_t workers);

/// Which alive worker runs each slice next: a fair share for each (the
/// number of slices over the alive workers, rounded down or up) with as few
/// moves as can be. A slice stays where it runs (`current`) unless its
/// worker is lost or has more than its share; a worker that gives slices up
/// gives those it adopted first, and a worker below its share takes back its
/// own (`natural`) first, so a worker that returns gets its own slices
/// again. `alive` is by worker number and must have one alive worker.
std::vector<uint32_t> share_slices(const std::vector<uint32_t>& current, const std::vector<uint32_t>& natural,
                                   const std::vector<bool>& alive);

} // namespace eddy::actors
