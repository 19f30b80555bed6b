#include "placement.hpp"

namespace eddy::actors {

placement placement::single(const plan& p) {
  return spread(p, 1);
}

placement placement::spread(const plan& p, uint32_t workers, const std::vector<bool>& alive) {
  std::vector<uint32_t> survivors;
  for (uint32_t w = 0; w < workers; ++w)
    if (alive.empty() || alive.at(w))
      survivors.push_back(w);
  placement result;
  result.node_.resize(p.exchanges());
  result.home_.resize(p.exchanges());
  // A lost worker's tasks all go to one survivor, because only one process
  // at a time can open its journal; lost workers are taken in turn.
  std::vector<uint32_t> heir(workers);
  for (uint32_t w = 0, next = 0; w < workers; ++w)
    heir[w] = survivors.empty() || alive.empty() || alive.at(w) ? w : survivors[next++ % survivors.size()];
  for (uint32_t s = 0; s < p.stages().size(); ++s) {
    auto n = p.stage(s).instances;
    for (uint32_t i = 0; i < n; ++i) {
      auto id = p.exchange_id(s, i);
      auto home = static_cast<uint32_t>(uint64_t{i} * workers / n);
      result.home_[id] = home;
      result.node_[id] = heir[home];
    }
  }
  return result;
}

placement placement::of(std::vector<uint32_t> nodes, std::vector<uint32_t> homes) {
  placement result;
  result.node_ = std::move(nodes);
  result.home_ = std::move(homes);
  return result;
}

} // namespace eddy::actors
