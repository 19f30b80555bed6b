#include "placement.hpp"

namespace eddy::actors {

placement placement::single(const plan& p) {
  return spread(p, 1);
}

placement placement::spread(const plan& p, uint32_t workers) {
  placement result;
  result.node_.resize(p.exchanges());
  for (uint32_t s = 0; s < p.stages().size(); ++s) {
    auto n = p.stage(s).instances;
    for (uint32_t i = 0; i < n; ++i)
      result.node_[p.exchange_id(s, i)] = static_cast<uint32_t>(uint64_t{i} * workers / n);
  }
  return result;
}

bool placement::consumers_on(const plan& p, uint32_t s, uint32_t node) const {
  for (auto& edge : p.stage(s).outputs)
    for (uint32_t i = 0; i < p.stage(edge.stage).instances; ++i)
      if (node_of(p, edge.stage, i) != node)
        return false;
  return true;
}

} // namespace eddy::actors
