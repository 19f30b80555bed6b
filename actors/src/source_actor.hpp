#pragma once

#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>

#include "eddy/dataflow/graph.hpp"
#include "message_counters.hpp"
#include "plan.hpp"

namespace eddy::actors {

struct source_config {
  const dataflow::source_stage* stage = nullptr; ///< owned by the job, outlives the run
  std::shared_ptr<const plan> the_plan;
  uint32_t instance = 0;       ///< its instance of stage 0
  uint32_t epoch = 0;          ///< its cluster epoch (transport/epoch_fence.hpp)
  std::vector<std::string> splits; ///< the job layout's splits, by stage-0 index
  size_t chunk = 32768;        ///< values read per pump
  size_t window_bytes = size_t{4} << 20; ///< unacknowledged bytes of the instance before it pauses
  int64_t watermark_interval_ms = 5; ///< watermark-only frames at most this often
  caf::actor journal_actor;
  caf::actor job;              ///< told (failed_atom, text) when the source fails
  std::shared_ptr<message_counters> counters = std::make_shared<message_counters>(0); ///< counts nothing unless the run gives its own
};

/// Spawns a source instance (detached: reading blocks); it is its own
/// exchange. It reads the splits the plan gives it (a contiguous range of
/// stage-0 indexes, one per split), round-robin one chunk each. Once given
/// the plan's exchanges (init_atom) it recovers each split's checkpoint —
/// its read position and the next seq of each of its channels — from the
/// journal, reads chunks while its window has room, routes records by key
/// group into one batch per channel and sends them as one frame per
/// consumer instance (its watermark: the minimum over its splits still
/// reading), and saves a split's checkpoint once consumers have
/// acknowledged everything up to one of its chunk boundaries (DESIGN.md
/// invariant 4). At the end of a bounded input it ends its links once all is
/// acknowledged.
caf::actor spawn_source(caf::actor_system& sys, source_config cfg);

} // namespace eddy::actors
