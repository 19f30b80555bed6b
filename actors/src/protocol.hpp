#pragma once

// The messages between the runtime's actors of one node, in one place. Every
// participant of the dataflow is (stage, index): stage 0 is the source,
// stages 1..n the keyed operators (index = key group), stage n+1 the sink;
// its journal partition id is journal::partition_id_of(stage, index).

#include <caf/all.hpp>

#include "eddy/actors/channel.hpp"
#include "eddy/journal/sqlite_journal.hpp"

namespace eddy::actors {

// -- data channels ------------------------------------------------------------

/// (batch_atom, uint64 producer, uint32 target, batch_ptr): records for consumer `target`.
using batch_atom = caf::atom_constant<caf::atom("batch")>;
/// (end_atom, uint64 producer, uint32 target, uint64 first_seq): end of stream after first_seq - 1.
using end_atom = caf::atom_constant<caf::atom("end")>;
/// (watermark_atom, uint64 producer, uint32 target, int64 wm, uint64 next_seq): the
/// producer's event time reached wm after everything before next_seq (sent when
/// no batch carries it).
using watermark_atom = caf::atom_constant<caf::atom("watermark")>;
/// Self-message of a partition: its earliest processing-time timer is due.
using ptimer_atom = caf::atom_constant<caf::atom("ptimer")>;
/// (ack_atom, uint64 consumer, uint64 seq): the consumer (its partition id) durably applied up to seq.
using ack_atom = caf::atom_constant<caf::atom("ack")>;
/// (hello_atom, uint64 consumer, uint64 hw): the consumer (re)started at hw; redeliver after it.
using hello_atom = caf::atom_constant<caf::atom("hello")>;

// -- journal ------------------------------------------------------------------

/// (append_atom, pid, epoch, seq, std::string body) → later (durable_atom, pid, seq, uint8 status).
using append_atom = caf::atom_constant<caf::atom("append")>;
/// (save_atom, pid, epoch, seq, std::string body): snapshot; same reply as append.
using save_atom = caf::atom_constant<caf::atom("save")>;
using durable_atom = caf::atom_constant<caf::atom("durable")>;
/// (recover_atom, pid) → (uint64 epoch, std::string snapshot, uint64 snapshot_seq,
///  std::vector<std::string> entries, uint64 last_seq): acquires a new epoch first.
using recover_atom = caf::atom_constant<caf::atom("recover")>;

// -- lifecycle ----------------------------------------------------------------

/// Self-message: close the current group (journal, partition, sink).
using flush_atom = caf::atom_constant<caf::atom("flush")>;
/// Sends a partition's watermark-only messages held back by its interval.
using wmflush_atom = caf::atom_constant<caf::atom("wmflush")>;
/// Self-message of a source: read the next chunk.
using pump_atom = caf::atom_constant<caf::atom("pump")>;
/// (done_atom): the sink committed the end of every input.
using done_atom = caf::atom_constant<caf::atom("done")>;
/// (failed_atom, std::string): the job cannot go on.
using failed_atom = caf::atom_constant<caf::atom("failed")>;
/// (restart_atom, uint32 key group): supervisor's backoff timer.
using restart_atom = caf::atom_constant<caf::atom("restart")>;
/// (progress_atom, uint64 values): a source's count of values read in this run,
/// sent to the job about once a second.
using progress_atom = caf::atom_constant<caf::atom("progress")>;

/// (ready_atom) → true: a supervisor has spawned its children.
using ready_atom = caf::atom_constant<caf::atom("ready")>;
/// Never sent: the handler of an actor waiting for its recovery.
using idle_atom = caf::atom_constant<caf::atom("idle")>;

/// Bytes a channel may hold unacknowledged before its producer pauses.
inline constexpr size_t channel_window_bytes = size_t{256} << 10;

/// Bytes a source may hold unacknowledged over all its channels.
inline constexpr size_t source_window_bytes = size_t{16} << 20;

} // namespace eddy::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(eddy::actors::batch_ptr)
