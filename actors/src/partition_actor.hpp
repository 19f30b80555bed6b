#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor.hpp>

#include "eddy/dataflow/partition_logic.hpp"
#include "outputs.hpp"

namespace eddy::actors {

class directory;

/// What a partition needs to know to run: who it is, who feeds it, where its
/// outputs go, and how often to snapshot. Shared by a partition's incarnations.
struct partition_config {
  uint32_t stage = 1;       ///< its keyed stage (1..n)
  uint32_t key_group = 0;   ///< its index within the stage
  std::string op_name;      ///< for logs and errors
  uint32_t producer_stage = 0; ///< the stage feeding it (0: the source)
  uint32_t producers = 1;      ///< that stage's instances
  output_routes routes;        ///< where its main and side outputs go
  bool journal = true;      ///< false: snapshots only
  uint64_t snapshot_every_entries = 1000;
  uint64_t snapshot_interval_ms = 10'000;
  int64_t idle_timeout_ms = 0; ///< an input silent this long stops holding the watermark back
  int64_t watermark_interval_ms = 5; ///< watermark-only messages at most this often
  dataflow::logic_factory make_logic;
  std::shared_ptr<directory> dir;
  caf::actor journal_actor;
};

/// Spawns one incarnation of a keyed partition: a persistent actor that
/// recovers its state from the journal (snapshot + later entries, with a new
/// epoch), greets its producers with its high-water marks, then processes
/// record batches. Each group of inputs becomes one journal entry holding
/// the state changes, the outputs with their channel seqs, and the new input
/// positions; acks and outputs leave only once the entry is durable.
/// When user code throws, it tells `supervisor` (failed_atom, key group,
/// text) and exits with an error.
caf::actor spawn_partition(caf::actor_system& sys, std::shared_ptr<const partition_config> cfg,
                           caf::actor supervisor);

} // namespace eddy::actors
