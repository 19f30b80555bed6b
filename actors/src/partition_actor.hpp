#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor.hpp>

#include "eddy/dataflow/partition_logic.hpp"
#include "metrics/catalog.hpp"
#include "plan.hpp"

namespace eddy::actors {

/// What a partition needs to know to run: who it is, where its exchange
/// is, and how often to snapshot. Shared by a partition's incarnations.
struct partition_config {
  std::shared_ptr<const plan> the_plan;
  uint32_t stage = 1;       ///< its keyed stage (1..n)
  uint32_t key_group = 0;   ///< its index within the stage
  std::string op_name;      ///< for logs and errors
  bool journal = true;      ///< false: snapshots only
  /// Outputs leave before their entry is durable: every consumer is a
  /// partition on the same journal (see spawn_partition).
  bool release_early = false;
  uint64_t snapshot_every_entries = 1000;
  uint64_t snapshot_interval_ms = 10'000; ///< also when it has gone quiet
  size_t window_bytes = size_t{256} << 10; ///< outputs unacknowledged before it pauses
  int64_t watermark_interval_ms = 5;       ///< watermark-only reports at most this often
  dataflow::logic_factory make_logic;
  caf::actor exchange;      ///< of its operator instance
  caf::actor journal_actor;
  metrics::instance_metrics series; ///< of its operator instance
};

/// Spawns one incarnation of a keyed partition: a persistent actor that
/// recovers its state from the journal (snapshot + later entries, with a new
/// epoch), hands its unacknowledged outbox to its exchange and greets it with
/// its high-water marks, then processes the deliveries of its exchange. Each
/// group of inputs becomes one journal entry holding the state changes, the
/// outputs with their channel seqs, and the new input positions; acks and
/// outputs leave only once the entry is durable. With `release_early` the
/// outputs leave as soon as the entry is on its way to the journal: a
/// consumer on the same journal journals their effect in the same SQLite
/// transaction or a later one, so nothing durable can depend on an entry
/// that is not; acks, and outputs to sinks or to other journals, still
/// wait for durability (DESIGN.md invariant 2). The journal cannot refuse
/// such an entry: a successor is spawned only once its predecessor is down,
/// so the predecessor's entries reach the journal before the successor's
/// recovery takes a new epoch. It answers a query_atom with one key's
/// state as JSON once it has recovered, reading only. When user code throws, it
/// tells `supervisor` (failed_atom, key group, text) and exits with an error.
caf::actor spawn_partition(caf::actor_system& sys, std::shared_ptr<const partition_config> cfg,
                           caf::actor supervisor);

} // namespace eddy::actors
