#include "placement.hpp"

#include <algorithm>
#include <numeric>

namespace eddy::actors {

placement placement::single(const plan& p) {
  return of_slices(p, {0});
}

uint32_t placement::slices_of(const plan& p) {
  uint32_t widest = 1;
  for (auto& s : p.stages())
    widest = std::max(widest, s.instances);
  return widest;
}

placement placement::of_slices(const plan& p, const std::vector<uint32_t>& owners) {
  auto slices = static_cast<uint32_t>(owners.size());
  placement result;
  result.node_.resize(p.exchanges());
  result.home_.resize(p.exchanges());
  for (uint32_t s = 0; s < p.stages().size(); ++s) {
    auto n = p.stage(s).instances;
    for (uint32_t i = 0; i < n; ++i) {
      auto id = p.exchange_id(s, i);
      auto slice = static_cast<uint32_t>(uint64_t{i} * slices / n);
      result.home_[id] = slice;
      result.node_[id] = owners.at(slice);
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

std::vector<uint32_t> natural_owners(uint32_t slices, uint32_t workers) {
  std::vector<uint32_t> owners(slices);
  for (uint32_t j = 0; j < slices; ++j)
    owners[j] = static_cast<uint32_t>(uint64_t{j} * workers / slices);
  return owners;
}

std::vector<uint32_t> share_slices(const std::vector<uint32_t>& current, const std::vector<uint32_t>& natural,
                                   const std::vector<bool>& alive) {
  auto slices = current.size();
  auto is_alive = [&](uint32_t w) { return w < alive.size() && alive[w]; };
  std::vector<uint32_t> workers; // alive ones
  for (uint32_t w = 0; w < alive.size(); ++w)
    if (alive[w])
      workers.push_back(w);
  std::vector<size_t> load(alive.size());
  for (auto w : current)
    if (is_alive(w))
      ++load[w];
  // Shares: slices / alive, one more for the first slices % alive workers,
  // taken by those that hold the most now (the fewest moves).
  std::vector<size_t> share(alive.size());
  auto by_load = workers;
  std::stable_sort(by_load.begin(), by_load.end(), [&](auto a, auto b) { return load[a] > load[b]; });
  for (size_t k = 0; k < by_load.size(); ++k)
    share[by_load[k]] = slices / workers.size() + (k < slices % workers.size() ? 1 : 0);
  std::vector<uint32_t> owners = current;
  std::vector<size_t> pool; // slices without an owner
  for (size_t j = 0; j < slices; ++j)
    if (!is_alive(current[j]))
      pool.push_back(j);
  // Above its share: give up adopted slices first, the last ones first.
  for (auto w : workers)
    for (int pass = 0; pass < 2 && load[w] > share[w]; ++pass)
      for (size_t j = slices; j-- > 0 && load[w] > share[w];)
        if (owners[j] == w && (pass == 1 || natural.at(j) != w)) {
          pool.push_back(j);
          owners[j] = UINT32_MAX;
          --load[w];
        }
  std::sort(pool.begin(), pool.end());
  // Below its share: take own slices back first, then any in order.
  for (int pass = 0; pass < 2; ++pass)
    for (auto w : workers)
      for (auto it = pool.begin(); it != pool.end() && load[w] < share[w];)
        if (pass == 1 || natural.at(*it) == w) {
          owners[*it] = w;
          ++load[w];
          it = pool.erase(it);
        } else {
          ++it;
        }
  return owners;
}

} // namespace eddy::actors
