#pragma once

#include <memory>

#include <caf/actor.hpp>

#include "eddy/dataflow/graph.hpp"

namespace eddy::actors {

class directory;

struct sink_config {
  const dataflow::sink_stage* stage = nullptr; ///< owned by the job, outlives the run
  uint32_t stage_index = 2;    ///< its stage number in the directory
  uint32_t producer_stage = 0; ///< the stage feeding it (0: the source)
  uint32_t producers = 1;      ///< that stage's instances
  std::shared_ptr<directory> dir;
  caf::actor journal_actor;
  caf::actor job;              ///< told (done_atom, records) or (failed_atom, text)
};

/// Spawns the sink driver (detached: writing blocks). It recovers its
/// committed position and per-producer high-water marks, opens the sink there
/// (which discards an uncommitted tail), drops duplicates, writes the rest,
/// and per group commits the sink and then stores position and marks in the
/// journal, in that order, before acknowledging the producers (DESIGN.md
/// invariant 5). It reports done once every producer's end is committed.
caf::actor spawn_sink(caf::actor_system& sys, sink_config cfg);

} // namespace eddy::actors
