#pragma once

#include <memory>

#include <caf/actor.hpp>

#include "eddy/dataflow/graph.hpp"
#include "outputs.hpp"

namespace eddy::actors {

class directory;

struct source_config {
  const dataflow::source_stage* stage = nullptr; ///< owned by the job, outlives the run
  output_routes routes;        ///< where its main and side outputs go
  size_t chunk = 32768;        ///< values read per pump
  uint32_t split_hint = 1;     ///< `desired` for the source's splits on a fresh start
  int64_t watermark_interval_ms = 5; ///< watermark-only messages at most this often
  std::shared_ptr<directory> dir;
  caf::actor journal_actor;
  caf::actor job;              ///< told (failed_atom, text) when the source fails
};

/// Spawns the source driver (detached: reading blocks). It recovers its
/// checkpoint — the read position and the next seq of every channel — from
/// the journal, opens a reader per split of the source (all in this actor,
/// read round-robin one chunk each, the watermark the minimum over the
/// splits still reading; the position packs every split's and the
/// round-robin cursor, see FORMAT.md), reads chunks while every channel has credit, sends one batch
/// per consumer per chunk, and saves a new checkpoint once consumers have
/// acknowledged everything up to a chunk boundary (DESIGN.md invariant 4).
/// At the end of a bounded input it sends end-of-stream on every channel.
caf::actor spawn_source(caf::actor_system& sys, source_config cfg);

} // namespace eddy::actors
