#pragma once

#include <memory>

#include <caf/actor.hpp>

#include "eddy/dataflow/graph.hpp"
#include "plan.hpp"

namespace eddy::actors {

struct source_config {
  const dataflow::source_stage* stage = nullptr; ///< owned by the job, outlives the run
  std::shared_ptr<const plan> the_plan;
  uint32_t instance = 0;       ///< its index in stage 0
  size_t chunk = 32768;        ///< values read per pump
  uint32_t split_hint = 1;     ///< `desired` for the source's splits on a fresh start
  size_t window_bytes = size_t{4} << 20; ///< unacknowledged bytes before it pauses
  int64_t watermark_interval_ms = 5; ///< watermark-only frames at most this often
  caf::actor journal_actor;
  caf::actor job;              ///< told (failed_atom, text) when the source fails
};

/// Spawns a source instance (detached: reading blocks); it is its own
/// exchange. Once given the plan's exchanges (init_atom) it recovers its
/// checkpoint — the read position and the next seq of every channel — from
/// the journal, opens a reader per split of the source (all in this actor,
/// read round-robin one chunk each, the watermark the minimum over the
/// splits still reading; the position packs every split's and the
/// round-robin cursor, see FORMAT.md), reads chunks while its window has room, routes records by
/// key group into one batch per channel and sends them as one frame per
/// consumer instance, and saves a new checkpoint once consumers have
/// acknowledged everything up to a chunk boundary (DESIGN.md invariant 4).
/// At the end of a bounded input it ends its links once all is acknowledged.
caf::actor spawn_source(caf::actor_system& sys, source_config cfg);

} // namespace eddy::actors
