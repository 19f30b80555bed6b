#pragma once

#include <cstdint>
#include <vector>

#include "plan.hpp"

namespace eddy::actors {

/// Which node runs each exchange (stage, instance) of a plan, and with it the
/// instance's partitions: the assignment every node combines with the plan.
/// Node numbers are worker numbers (0-based); the local mode is one node.
class placement {
public:
  /// Everything on node 0.
  static placement single(const plan& p);

  /// Instance i of a stage with n instances on worker i * workers / n:
  /// Flink's range formula, so each worker gets a contiguous share of every
  /// stage (a stage with fewer instances than workers leaves some without one).
  static placement spread(const plan& p, uint32_t workers);

  uint32_t node_of(uint32_t exchange_id) const {
    return node_.at(exchange_id);
  }
  uint32_t node_of(const plan& p, uint32_t s, uint32_t instance) const {
    return node_of(p.exchange_id(s, instance));
  }

  /// Whether every consumer instance of stage `s` runs on `node`.
  bool consumers_on(const plan& p, uint32_t s, uint32_t node) const;

private:
  std::vector<uint32_t> node_; ///< by plan::exchange_id
};

} // namespace eddy::actors
