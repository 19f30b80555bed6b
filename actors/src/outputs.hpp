#pragma once

#include <cstdint>
#include <vector>

#include <caf/actor.hpp>

#include "directory.hpp"
#include "eddy/journal/sqlite_journal.hpp"

namespace eddy::actors {

/// One output edge of a producer as the runtime routes it: the consumer
/// stage (its number in the directory) and the flat indexes of its instances.
struct edge_route {
  uint32_t stage = 0;  ///< consumer stage number
  uint32_t first = 0;  ///< flat index of its instance 0
  uint32_t count = 1;  ///< its instances: key groups, or 1 for a sink
};

/// A producer's consumers over all its output edges, numbered flat: edge 0's
/// instances first, then edge 1's, ... Immutable after construction.
class output_routes {
public:
  output_routes() = default;
  explicit output_routes(std::vector<edge_route> edges) : edges_(std::move(edges)) {
    for (auto& e : edges_)
      total_ = std::max(total_, e.first + e.count);
  }

  /// Number of flat consumer indexes.
  uint32_t size() const noexcept {
    return total_;
  }
  /// Flat index of edge `e`'s first consumer, for each edge.
  std::vector<uint32_t> offsets() const {
    std::vector<uint32_t> result;
    for (auto& e : edges_)
      result.push_back(e.first);
    return result;
  }
  /// The actor behind flat index `flat`, looked up now.
  caf::actor consumer(const directory& dir, uint32_t flat) const {
    for (auto& e : edges_)
      if (flat >= e.first && flat < e.first + e.count)
        return dir.get(e.stage, flat - e.first);
    return nullptr;
  }
  /// The flat index of the consumer whose journal partition id is `pid`, or
  /// size() if it is none of ours.
  uint32_t flat_of(journal::partition_id pid) const {
    auto stage = journal::stage_of(pid);
    auto index = journal::index_of(pid);
    for (auto& e : edges_)
      if (e.stage == stage && index < e.count)
        return e.first + index;
    return total_;
  }

private:
  std::vector<edge_route> edges_;
  uint32_t total_ = 0;
};

} // namespace eddy::actors
