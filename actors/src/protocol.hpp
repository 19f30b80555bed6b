#pragma once

// Every message between the runtime's actors, with its fields, in one place.
//
// Words (DESIGN.md): a stage's *index* owns state and numbers channels (a key
// group, or a source or sink instance); an *instance* is an execution unit
// owning a range of indexes, with one *exchange* through which every logical
// channel of its indexes travels. A logical channel is (producer index →
// consumer index) with its own seqs, acks and dedup; between two exchanges,
// one *link* multiplexes all of them, so messages grow with instances, not
// key groups:
//
//   partition ─outputs─▶ exchange ══frame══▶ exchange ─deliver─▶ partition
//   partition ◀─acked─── exchange ◀═frame_ack═ exchange ◀─acks─── partition
//   partition ─hello───▶ exchange ══greeting══▶ exchange (redelivers after hw)
//
// The source is its own exchange on the way out, a sink on the way in.
// Messages marked (link) cross between exchanges and, in a cluster, nodes:
// they and their fields have `inspect` overloads (at the end of this file;
// batches in batch_inspect.hpp) and are registered with CAF by
// add_link_message_types() (link_types.hpp). The others never leave their
// process: they stay CAF_ALLOW_UNSAFE_MESSAGE_TYPE and unregistered (sent
// to another node, one would arrive as an empty message).

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "batch_inspect.hpp"
#include "transport/channel.hpp"
#include "eddy/time.hpp"

namespace eddy::actors {

/// A batch on logical channel (producer index → flat consumer index at the producer).
struct flat_batch {
  uint32_t flat = 0;
  batch_ptr batch;
};

/// A batch on logical channel (producer index → consumer index) inside a frame.
struct channel_batch {
  uint32_t producer = 0;
  uint32_t consumer = 0;
  batch_ptr batch;
};

/// A batch on logical channel (producer index → this consumer).
struct input_batch {
  uint32_t producer = 0;
  batch_ptr batch;
};

/// A position of logical channel (producer index → consumer index).
struct channel_seq {
  uint32_t producer = 0;
  uint32_t consumer = 0;
  uint64_t seq = 0;
};

/// A producer index and a seq: one input position of a consumer.
struct input_seq {
  uint32_t producer = 0;
  uint64_t seq = 0;
};

/// A consumer index and a seq: one output position of a producer.
struct output_seq {
  uint32_t flat = 0;
  uint64_t seq = 0;
};

/// A consumer (re)started at these high-water marks: redeliver after them.
struct consumer_hello {
  uint32_t consumer = 0;
  std::vector<input_seq> hws; ///< producer indexes absent: hw 0
};

// -- partition → its exchange ------------------------------------------------

/// Outputs of one partition whose journal entry is durable, in seq order
/// per channel, and its watermark after them. `recovered`: a new incarnation
/// hands over its whole unacknowledged outbox (the exchange ignores batches
/// it holds already). `ended`: the partition sends nothing after this.
struct outputs_msg {
  uint32_t producer = 0;
  std::vector<flat_batch> batches;
  int64_t watermark = min_time;
  bool recovered = false;
  bool ended = false;
};

/// A partition durably applied its inputs up to these seqs.
struct acks_msg {
  uint32_t consumer = 0;
  std::vector<input_seq> acks;
};

/// A partition incarnation is ready at these high-water marks. The exchange
/// learns the partition's current handle from the sender of this message,
/// unless an incarnation of a later `epoch` (its journal epoch) said hello.
struct hello_msg {
  consumer_hello hello;
  uint64_t epoch = 0;
};

/// A partition saw a gap on channel (producer → it) after `hw`: asks for redelivery.
struct resend_msg {
  uint32_t consumer = 0;
  input_seq after;
};

// -- exchange → partition ----------------------------------------------------

/// Inputs for one partition, in order per channel. Each batch carries its
/// producer's watermark after it (`record_batch::watermark`, which travels
/// with redeliveries too); `watermark` is the producer instances' combined
/// watermark after all of them (min_time: no news); `end`: every
/// producer has ended and everything it sent is applied.
struct deliver_msg {
  std::vector<input_batch> batches;
  int64_t watermark = min_time;
  bool end = false;
};

/// The consumers durably applied these outputs of the partition.
struct acked_msg {
  std::vector<output_seq> acked;
};

// -- between exchanges (link) ------------------------------------------------

/// Batches of many logical channels from one producer instance to one
/// consumer instance, in seq order per channel, and the producer instance's
/// watermark after them (min_time: no news). `answers`: consumer indexes
/// whose greeting this frame completes (every redelivery for them came
/// before). `end`: the producer instance is done and all it sent is acknowledged.
struct frame_msg {
  uint32_t producer_stage = 0;
  uint32_t producer_instance = 0;
  uint32_t epoch = 0; ///< the producer's cluster epoch (transport/epoch_fence.hpp)
  std::vector<channel_batch> batches;
  std::vector<uint32_t> answers;
  int64_t watermark = min_time;
  bool end = false;
};

/// Acknowledgements of many logical channels from one consumer instance.
struct frame_ack_msg {
  uint32_t consumer_stage = 0;
  uint32_t consumer_instance = 0;
  uint32_t epoch = 0; ///< the consumer's cluster epoch
  std::vector<channel_seq> acks;
};

/// Consumers of one instance (re)started or saw gaps: redeliver after their
/// high-water marks and answer each in a frame.
struct greeting_msg {
  uint32_t consumer_stage = 0;
  uint32_t consumer_instance = 0;
  uint32_t epoch = 0; ///< the consumer's cluster epoch
  std::vector<consumer_hello> hellos;
};

// -- journal -----------------------------------------------------------------

/// (append_atom, pid, epoch, seq, std::string body) → later (durable_atom, pid, seq, uint8 status).
using append_atom = caf::atom_constant<caf::atom("append")>;
/// (save_atom, pid, epoch, seq, std::string body): snapshot; same reply as append.
using save_atom = caf::atom_constant<caf::atom("save")>;
using durable_atom = caf::atom_constant<caf::atom("durable")>;
/// (recover_atom, pid) → (uint64 epoch, std::string snapshot, uint64 snapshot_seq,
///  std::vector<std::string> entries, uint64 last_seq): acquires a new epoch first.
using recover_atom = caf::atom_constant<caf::atom("recover")>;
/// (freeze_atom, std::string dir) → (std::string copy): commits what is
/// staged, copies the journal file into `dir` (savepoint/) and commits
/// nothing more until (thaw_atom), or for at most freeze_limit: a
/// savepoint's copies of several journals, frozen together, are one
/// consistent cut (invariant 2 makes every durable state one). Errors
/// come back as a CAF error.
using freeze_atom = caf::atom_constant<caf::atom("freeze")>;
using thaw_atom = caf::atom_constant<caf::atom("thaw")>;

// -- self-messages and lifecycle ---------------------------------------------

/// Self-message: close the current group (journal, partition, sink, exchange).
using close_group_atom = caf::atom_constant<caf::atom("closegrp")>;
/// Self-message: send watermarks held back by the watermark interval.
using wmflush_atom = caf::atom_constant<caf::atom("wmflush")>;
/// Self-message of a partition: its earliest processing-time timer is due.
using ptimer_atom = caf::atom_constant<caf::atom("ptimer")>;
/// Self-message of a partition: time to check whether it should snapshot.
using snaptick_atom = caf::atom_constant<caf::atom("snaptick")>;
/// Self-message of a source: read the next chunk.
using pump_atom = caf::atom_constant<caf::atom("pump")>;
/// Self-message of an exchange or source: retransmit what waits too long for an ack.
using retransmit_atom = caf::atom_constant<caf::atom("retransmt")>;
/// (init_atom, std::vector<caf::actor> exchanges): the exchanges of the plan,
/// by plan::exchange_id (sources and sinks are their own).
using init_atom = caf::atom_constant<caf::atom("init")>;
/// (moved_atom, std::vector<caf::actor> exchanges): after init, some exchanges
/// moved to other nodes (a failover or a return): the plan's exchanges as
/// they are now, by plan::exchange_id. Sent before the moved ones start.
using moved_atom = caf::atom_constant<caf::atom("moved")>;
/// (done_atom, uint64 records): the sink committed the end of every input.
using done_atom = caf::atom_constant<caf::atom("done")>;
/// (failed_atom, std::string): the job cannot go on.
using failed_atom = caf::atom_constant<caf::atom("failed")>;
/// (failed_atom, uint32 key group, std::string): a partition tells its supervisor why it quits.
/// (restart_atom, uint32 key group): supervisor's backoff timer.
using restart_atom = caf::atom_constant<caf::atom("restart")>;
/// (recovered_atom, uint32 key group): a partition tells its supervisor it
/// has recovered and takes input. (recovered_atom, uint32 key groups): a
/// supervisor tells the job that all its partitions did, once per
/// supervisor. Worker → coordinator: (recovered_atom, uint32 generation,
/// uint32 slice, uint32 key groups): the tasks with their state in that
/// slice's journal all recovered on the sending worker.
using recovered_atom = caf::atom_constant<caf::atom("recovered")>;
/// (pause_atom, bool): a source reads nothing more (a stop with savepoint), or again;
/// once all it sent is acknowledged and its checkpoint durable it tells
/// the job (drained_atom, uint32 instance). Worker → coordinator:
/// (drained_atom, uint32 generation, uint32 instance).
using pause_atom = caf::atom_constant<caf::atom("pause")>;
using drained_atom = caf::atom_constant<caf::atom("drained")>;
/// (progress_atom, uint32 instance, uint64 values): a source instance's count of values read in this run.
using progress_atom = caf::atom_constant<caf::atom("progress")>;
/// (query_atom, uint32 stage, uint32 key group, std::string key bytes) →
/// std::string: the state of one key as a JSON object (one member per
/// state, partition_logic::state_json), or an error saying why not. Asked
/// of an operator supervisor (which delegates to the partition of the key
/// group) and, across nodes, of a worker's agent (which delegates to its
/// supervisor); only reads (query/README.md).
using query_atom = caf::atom_constant<caf::atom("query")>;

/// The least credit a keyed partition gets, whatever its instance's share
/// of job_config::channel_budget_bytes: room for a handful of batches, so a
/// partition never waits for an ack after every single output.
inline constexpr size_t min_index_window_bytes = size_t{4} << 10;

/// The credit of each producing instance (source or keyed operator
/// instance): `channel_budget` split evenly over them all.
inline size_t instance_window_bytes(uint64_t channel_budget, uint32_t producing_instances) {
  return static_cast<size_t>(channel_budget / std::max<uint32_t>(producing_instances, 1));
}

/// How long a batch may wait for its ack before its exchange sends it again
/// (a lost message must never stall a channel).
inline constexpr int64_t retransmit_after_ms = 200;

/// How long a consumer waits for a producer instance to answer its greeting
/// before it greets again (the greeting may have gone to an incarnation
/// that died); far above an answer's usual milliseconds, since each
/// greeting again makes the producer redeliver all it holds unacknowledged.
inline constexpr int64_t regreet_after_ms = 5000;

// -- how link messages cross nodes -------------------------------------------
//
// Every field, in declaration order: a field left out here would silently
// arrive as its default on another node (test/actors/link_messages.test.cpp
// compares each one after a round trip between two processes).

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, channel_batch& x) {
  return f(caf::meta::type_name("eddy.channel_batch"), x.producer, x.consumer, x.batch);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, channel_seq& x) {
  return f(caf::meta::type_name("eddy.channel_seq"), x.producer, x.consumer, x.seq);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, input_seq& x) {
  return f(caf::meta::type_name("eddy.input_seq"), x.producer, x.seq);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, consumer_hello& x) {
  return f(caf::meta::type_name("eddy.consumer_hello"), x.consumer, x.hws);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, frame_msg& x) {
  return f(caf::meta::type_name("eddy.frame"), x.producer_stage, x.producer_instance, x.epoch, x.batches,
           x.answers, x.watermark, x.end);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, frame_ack_msg& x) {
  return f(caf::meta::type_name("eddy.frame_ack"), x.consumer_stage, x.consumer_instance, x.epoch, x.acks);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, greeting_msg& x) {
  return f(caf::meta::type_name("eddy.greeting"), x.consumer_stage, x.consumer_instance, x.epoch, x.hellos);
}

} // namespace eddy::actors

// Local only. batch_ptr must not be listed: CAF 0.17's inspectors skip a
// field of an allowed-unsafe type without a word, so batches would not travel.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(eddy::actors::outputs_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(eddy::actors::acks_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(eddy::actors::hello_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(eddy::actors::resend_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(eddy::actors::deliver_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(eddy::actors::acked_msg)
