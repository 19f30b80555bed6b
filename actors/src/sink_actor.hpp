#pragma once

#include <memory>

#include <caf/actor.hpp>

#include "eddy/dataflow/graph.hpp"
#include "message_counters.hpp"
#include "plan.hpp"

namespace eddy::actors {

struct sink_config {
  const dataflow::sink_stage* stage = nullptr; ///< owned by the job, outlives the run
  std::shared_ptr<const plan> the_plan;
  uint32_t stage_index = 2;    ///< its stage in the plan
  uint32_t instance = 0;
  uint32_t epoch = 0;          ///< its cluster epoch (transport/epoch_fence.hpp)
  caf::actor journal_actor;
  caf::actor job;              ///< told (done_atom, records) or (failed_atom, text)
  std::shared_ptr<message_counters> counters = std::make_shared<message_counters>(0); ///< counts nothing unless the run gives its own
};

/// Spawns a sink instance (detached: writing blocks); it is its own
/// exchange. Once given the plan's exchanges (init_atom) it recovers its
/// committed position and per-channel high-water marks, opens the sink there
/// (which discards an uncommitted tail), greets its producers, drops
/// duplicates, writes the rest, and per group commits the sink and then
/// stores position and marks in the journal, in that order, before
/// acknowledging (DESIGN.md invariant 5). It reports done once every
/// producer instance has ended and all of it is committed.
caf::actor spawn_sink(caf::actor_system& sys, sink_config cfg);

} // namespace eddy::actors
