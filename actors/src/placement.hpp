#pragma once

#include <cstdint>
#include <vector>

#include "plan.hpp"

namespace eddy::actors {

/// Which node runs each exchange (stage, instance) of a plan, with its
/// partitions, and which node's journal holds its state (its *home*): the
/// assignment every node combines with the plan. Node numbers are worker
/// numbers (0-based); the local mode is one node.
class placement {
public:
  /// Everything on node 0.
  static placement single(const plan& p);

  /// Instance i of a stage with n instances has its home on worker
  /// i * workers / n (Flink's range formula, so each worker's journal holds
  /// a contiguous share of every stage) and runs there while that worker is
  /// `alive`; all instances of a lost worker run on one alive worker (lost
  /// workers are given to the alive ones in turn), still with their state
  /// in the lost worker's journal, which only one process can open. Empty
  /// `alive`: all are.
  static placement spread(const plan& p, uint32_t workers, const std::vector<bool>& alive = {});

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

} // namespace eddy::actors
