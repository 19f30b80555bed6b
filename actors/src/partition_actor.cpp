// The CAF side of a keyed partition: its messages in and out, the
// self-messages of its timers, and failure. What it decides is in
// partition/, plain C++ tested without CAF.

#include "partition_actor.hpp"

#include <algorithm>
#include <chrono>

#include "actor_support.hpp"
#include "batch_port.hpp"
#include "eddy/journal/sqlite_journal.hpp"
#include "eddy/time.hpp"
#include "logging.hpp"
#include "partition/entry_builder.hpp"
#include "partition/event_clock.hpp"
#include "partition/in_flight.hpp"
#include "partition/input_channels.hpp"
#include "partition/pending_inputs.hpp"
#include "partition/processing_timer.hpp"
#include "partition/recovery.hpp"
#include "partition/snapshot.hpp"
#include "partition/snapshot_policy.hpp"
#include "protocol.hpp"
#include "records_codec.hpp"
#include "metrics/wait_timer.hpp"
#include "node_system.hpp"
#include "transport/outbox.hpp"
#include "transport/watermark_pacer.hpp"

namespace eddy::actors {

namespace {

/// State entries a partition visits for expired TTL values per group.
constexpr size_t ttl_cleanup_per_group = 64;
constexpr size_t ttl_cleanup_per_tick = 4096; ///< a quiet partition's sweep per snapshot tick

struct partition_state {
  std::shared_ptr<const partition_config> cfg;
  caf::actor supervisor;
  journal::partition_id pid = 0;
  uint64_t epoch = 0;

  std::unique_ptr<batch_port> port;
  std::unique_ptr<dataflow::partition_logic> logic;

  // Only touched by this actor.
  input_channels inputs;
  outbox outputs;               ///< by flat consumer index
  pending_inputs pending;       ///< deliveries waiting for output credit
  entry_builder entries;
  in_flight_entries in_flight;  ///< entries on their way to disk
  event_clock clock;
  watermark_pacer report_pacer; ///< watermark-only reports to the exchange
  processing_timer ptimer;
  snapshot_policy snapshots{0, 0, 0};
  bool group_scheduled = false;
  bool end_sent = false;

  // Metrics (metrics/catalog.hpp), looked up when the incarnation starts.
  metrics::wait_timer credit_wait;      ///< while deliveries wait for output credit
  metrics::histogram* snapshot_seconds = nullptr;
  metrics::histogram* snapshot_bytes = nullptr;
  uint64_t late_counted = 0;            ///< of logic->late_dropped()
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  static inline const char* name = "partition";
};

using partition_actor_t = caf::stateful_actor<partition_state>;

std::string who(const partition_config& cfg) {
  return "partition " + cfg.op_name + "/" + std::to_string(cfg.key_group);
}

void fail(partition_actor_t* self, const std::string& what) {
  auto& st = self->state;
  log::runtime()->warn("{} failed: {}", who(*st.cfg), what);
  self->send(st.supervisor, failed_atom::value, st.cfg->key_group, what);
  self->quit(caf::make_error(caf::sec::runtime_error, what));
}

bool has_credit(const partition_state& st) {
  return st.outputs.bytes() < st.cfg->window_bytes;
}

void schedule_group(partition_actor_t* self) {
  if (!self->state.group_scheduled) {
    self->state.group_scheduled = true;
    self->send(self, close_group_atom::value);
  }
}

void check_end(partition_actor_t* self) {
  auto& st = self->state;
  if (st.end_sent || !st.clock.ended() || !st.pending.empty() || !st.in_flight.empty()
      || st.group_scheduled)
    return;
  st.end_sent = true;
  outputs_msg m;
  m.producer = st.cfg->key_group;
  m.watermark = st.clock.released();
  m.ended = true;
  self->send(st.cfg->exchange, std::move(m));
}

void close_group(partition_actor_t* self);

/// Moves the operator's watermark to what its input allows and fires the
/// event-time timers it passes. Returns false if user code threw.
bool advance(partition_actor_t* self) {
  auto& st = self->state;
  auto before = st.clock.watermark();
  auto wm = st.clock.advance();
  if (!wm)
    return true;
  log::runtime()->trace("{} watermark {} -> {}", who(*st.cfg), before, *wm);
  auto collected = st.port->bytes();
  try {
    st.logic->advance_watermark(*wm);
  } catch (const std::exception& e) {
    fail(self, std::string{"user code threw in on_timer: "} + e.what());
    return false;
  }
  // Timers that emitted are a window's results: they go out in a journal
  // entry of their own, not behind the deliveries queued after this one.
  // (Outputs of the records before stay in the group as they would.)
  if (st.port->bytes() != collected)
    close_group(self);
  else
    schedule_group(self);
  return true;
}

/// Keeps one ptimer_atom scheduled for the earliest processing-time timer.
void schedule_processing_timer(partition_actor_t* self) {
  auto& st = self->state;
  if (auto delay = st.ptimer.schedule(st.logic->next_processing_timer(), processing_time_now()))
    self->delayed_send(self, std::chrono::milliseconds(*delay), ptimer_atom::value);
}

/// Applies one batch from producer `producer` through the user logic.
/// Returns false if user code threw (the actor has quit).
bool apply(partition_actor_t* self, uint32_t producer, const dataflow::record_batch& b) {
  auto& st = self->state;
  auto v = st.inputs.admit(producer, b);
  switch (v.what) {
    case input_channels::verdict::foreign:
      log::runtime()->warn("{} ignored a batch of foreign producer {}", who(*st.cfg), producer);
      return true;
    case input_channels::verdict::ask_resend:
      self->send(st.cfg->exchange, resend_msg{st.cfg->key_group, {producer, v.seq}});
      return true;
    case input_channels::verdict::ack_durable:
      self->send(st.cfg->exchange, acks_msg{st.cfg->key_group, {{producer, v.seq}}});
      return true;
    case input_channels::verdict::drop:
      return true;
    case input_channels::verdict::apply:
      break;
  }
  try {
    uint32_t i = 0;
    b.for_each([&](uint64_t, const dataflow::record_view& r) {
      if (i++ >= v.skip)
        st.logic->process(r);
    });
  } catch (const std::exception& e) {
    fail(self, std::string{"user code threw: "} + e.what());
    return false;
  } catch (...) {
    fail(self, "user code threw a non-standard exception");
    return false;
  }
  st.cfg->series.records_in->add(b.count - v.skip);
  st.inputs.applied(producer, b.last_seq());
  st.clock.batch(producer, b.watermark);
  schedule_group(self);
  return true;
}

/// Applies a delivery of the exchange: batches, then its watermark and end.
bool apply(partition_actor_t* self, const deliver_msg& d) {
  auto& st = self->state;
  for (auto& b : d.batches)
    if (!apply(self, b.producer, *b.batch))
      return false;
  st.clock.delivered(d.watermark);
  if (d.end) {
    st.clock.end();
    schedule_group(self); // check_end runs after the current group
  }
  return advance(self);
}

/// Tells the exchange the watermark of the released entries when no batch
/// carried it, at most once per watermark interval (the exchange forwards
/// the instance's minimum).
void report_watermark(partition_actor_t* self) {
  auto& st = self->state;
  if (!st.clock.unreported() || st.end_sent)
    return;
  auto now = steady_ms();
  if (!st.report_pacer.due(now)) {
    if (auto wait = st.report_pacer.hold(now))
      self->delayed_send(self, std::chrono::milliseconds(*wait), wmflush_atom::value);
    return;
  }
  st.report_pacer.sent(now);
  st.clock.reported();
  outputs_msg m;
  m.producer = st.cfg->key_group;
  m.watermark = st.clock.released();
  self->send(st.cfg->exchange, std::move(m));
}

/// Releases watermark `wm` with no outputs before it: reported at most once
/// per watermark interval.
void release_watermark(partition_actor_t* self, int64_t wm) {
  self->state.clock.released(wm);
  report_watermark(self);
}

/// Sends outputs downstream with the watermark `wm` they were produced at.
void release_outputs(partition_actor_t* self, std::vector<target_batch>& outputs, int64_t wm) {
  auto& st = self->state;
  if (outputs.empty())
    return release_watermark(self, wm);
  st.clock.released(wm);
  outputs_msg m;
  m.producer = st.cfg->key_group;
  m.watermark = st.clock.released();
  for (auto& tb : outputs) {
    st.cfg->series.records_out->add(tb.batch.count);
    tb.batch.watermark = wm;
    auto ptr = std::make_shared<const dataflow::record_batch>(std::move(tb.batch));
    st.outputs.sent(tb.target, ptr);
    m.batches.push_back({tb.target, std::move(ptr)});
  }
  outputs.clear();
  st.clock.reported();
  self->send(st.cfg->exchange, std::move(m));
}

/// Sends what a durable entry held back: outputs downstream (unless they
/// left early), acks upstream.
void release(partition_actor_t* self, in_flight_entry& e) {
  auto& st = self->state;
  release_outputs(self, e.outputs, e.watermark);
  if (!e.acks.empty()) {
    st.inputs.durable(e.acks);
    self->send(st.cfg->exchange, acks_msg{st.cfg->key_group, std::move(e.acks)});
  }
}

void write_snapshot(partition_actor_t* self) {
  auto& st = self->state;
  auto began = std::chrono::steady_clock::now();
  auto body = encode(snapshot_of(*st.logic, st.inputs, st.outputs, st.in_flight));
  st.snapshot_seconds->observe(seconds_since(began));
  st.snapshot_bytes->observe(static_cast<double>(body.size()));
  self->send(st.cfg->journal_actor, save_atom::value, st.pid, st.epoch, st.entries.seq(), std::move(body));
  st.snapshots.taken(steady_ms());
}

/// Closes the current group of inputs into one journal entry.
void close_group(partition_actor_t* self) {
  auto& st = self->state;
  st.group_scheduled = false;
  // Expired TTL values go in the background too (Flink's incremental
  // cleanup), so memory stays bounded under key churn; the erasures are
  // journaled with this group.
  st.logic->cleanup_expired(processing_time_now(), ttl_cleanup_per_group);
  if (auto late = st.logic->late_dropped(); late > st.late_counted) {
    st.cfg->series.late_dropped->add(static_cast<double>(late - st.late_counted));
    st.late_counted = late;
  }
  std::string log;
  st.logic->take_log(log);
  auto e = st.entries.close(std::move(log), st.inputs, *st.port, st.outputs, st.clock.watermark());
  if (!e) {
    // Nothing to journal; the watermark may still have moved. It rides on
    // the newest entry in flight unless that entry's outputs left already.
    if (st.cfg->release_early || !st.in_flight.carry(st.clock.watermark()))
      release_watermark(self, st.clock.watermark());
    return check_end(self);
  }
  if (st.cfg->journal) {
    self->send(st.cfg->journal_actor, append_atom::value, st.pid, st.epoch, e->held.seq,
               std::move(e->body));
    // Sent after the entry: the consumers' entries reach the same journal
    // later, so they commit in the same transaction or a later one.
    if (st.cfg->release_early)
      release_outputs(self, e->held.outputs, e->held.watermark);
    st.in_flight.push(std::move(e->held));
  } else {
    release(self, e->held);
  }
  if (st.snapshots.entry_closed(steady_ms()))
    write_snapshot(self);
  schedule_processing_timer(self);
  check_end(self);
}

/// Rebuilds the partition from its snapshot and later entries, then hands
/// its unacknowledged outputs to the exchange and greets it.
void recover(partition_actor_t* self, uint64_t epoch, const std::string& snapshot,
             const std::vector<std::string>& entries, uint64_t last_seq) {
  auto& st = self->state;
  st.epoch = epoch;
  st.entries.seq(last_seq);
  outputs_msg handover;
  handover.producer = st.cfg->key_group;
  handover.recovered = true;
  auto replaying = std::chrono::steady_clock::now();
  handover.batches = replay(*st.logic, snapshot, entries, st.inputs, st.outputs);
  auto replay_ms = 1000 * seconds_since(replaying);
  self->send(st.cfg->exchange, std::move(handover));
  hello_msg hello;
  hello.hello.consumer = st.cfg->key_group;
  hello.hello.hws = st.inputs.recovered();
  hello.epoch = epoch;
  self->send(st.cfg->exchange, std::move(hello));
  self->send(st.supervisor, recovered_atom::value, st.cfg->key_group);
  metrics::recovery_seconds(st.cfg->op_name).observe(seconds_since(st.started));
  size_t tail_bytes = 0;
  for (auto& e : entries)
    tail_bytes += e.size();
  log::runtime()->debug("{} recovered epoch {} with {} entries ({} bytes) after its snapshot ({} bytes), {} keys; "
                        "replayed in {:.1f} ms, {:.1f} ms after its start",
                        who(*st.cfg), epoch, entries.size(), tail_bytes, snapshot.size(), st.logic->key_count(),
                        replay_ms, 1000 * seconds_since(st.started));
}

caf::behavior running(partition_actor_t* self) {
  return {
    [=](deliver_msg& d) {
      auto& st = self->state;
      if (st.pending.wait(d, has_credit(st)))
        st.credit_wait.waiting();
      else
        apply(self, d);
    },
    [=](acked_msg& m) {
      auto& st = self->state;
      for (auto& a : m.acked)
        if (st.outputs.ack(a.flat, a.seq))
          st.entries.acked(a.flat);
      st.pending.drain([&] { return has_credit(st); },
                       [&](const deliver_msg& d) { return apply(self, d); });
      if (st.pending.empty())
        st.credit_wait.going();
      check_end(self);
    },
    [=](ptimer_atom) {
      auto& st = self->state;
      st.ptimer.fired();
      try {
        st.logic->fire_processing_timers(processing_time_now());
      } catch (const std::exception& e) {
        return fail(self, std::string{"user code threw in on_timer: "} + e.what());
      }
      schedule_group(self);
      schedule_processing_timer(self);
    },
    [=](close_group_atom) { close_group(self); },
    // A read of the state as applied: it may be ahead of the journal by
    // the entries in flight, which a crash replays from redelivered input.
    [=](query_atom, uint32_t, uint32_t, const std::string& key) { return self->state.logic->state_json(key); },
    [=](wmflush_atom) {
      self->state.report_pacer.fired();
      report_watermark(self);
    },
    [=](snaptick_atom) {
      auto& st = self->state;
      // A partition without input closes no group, so its expired TTL
      // values would stay until its next record; the tick sweeps them, and
      // a group journals the erasures.
      if (!st.group_scheduled && st.in_flight.empty()
          && st.logic->cleanup_expired(processing_time_now(), ttl_cleanup_per_tick) > 0)
        schedule_group(self);
      if (st.snapshots.quiet(steady_ms(), !st.in_flight.empty()))
        write_snapshot(self);
      self->delayed_send(self, std::chrono::milliseconds(st.snapshots.tick_ms()),
                         snaptick_atom::value);
    },
    [=](durable_atom, uint64_t, uint64_t seq, uint8_t status) {
      auto& st = self->state;
      if (status != static_cast<uint8_t>(journal::write_status::written))
        return fail(self, "the journal refused entry " + std::to_string(seq) + " of epoch "
                            + std::to_string(st.epoch)
                            + (status == static_cast<uint8_t>(journal::write_status::fenced)
                                 ? " (fenced: a newer incarnation exists)"
                                 : " (sequence conflict)"));
      st.in_flight.durable(seq, [&](in_flight_entry& e) { release(self, e); });
      check_end(self);
    },
  };
}

caf::behavior partition_behavior(partition_actor_t* self,
                                 std::shared_ptr<const partition_config> cfg,
                                 caf::actor supervisor) {
  auto& st = self->state;
  st.cfg = cfg;
  st.supervisor = std::move(supervisor);
  install_handlers(self, who(*cfg));
  auto& p = *cfg->the_plan;
  auto& stage = p.stage(cfg->stage);
  auto producer_stage = static_cast<uint32_t>(std::max(stage.producer, 0));
  st.pid = journal::partition_id_of(cfg->stage, cfg->key_group);
  st.port = std::make_unique<batch_port>(p.port_offsets(cfg->stage, cfg->key_group), stage.flat_size);
  auto producers = p.stage(producer_stage).indexes;
  st.inputs = input_channels{producer_stage, producers};
  st.outputs = outbox{stage.flat_size};
  st.entries = entry_builder{cfg->journal};
  st.clock = event_clock{producers};
  st.report_pacer = watermark_pacer{cfg->watermark_interval_ms};
  st.snapshots = snapshot_policy{cfg->snapshot_every_entries, cfg->snapshot_interval_ms, steady_ms()};
  st.snapshots.stagger(cfg->key_group);
  st.credit_wait = metrics::wait_timer{cfg->series.backpressured_seconds};
  st.snapshot_seconds = &metrics::snapshot_seconds(cfg->op_name);
  st.snapshot_bytes = &metrics::snapshot_bytes(cfg->op_name);
  try {
    st.logic = cfg->make_logic(*st.port);
    st.logic->logging(cfg->journal);
  } catch (const std::exception& e) {
    fail(self, std::string{"constructing the function threw: "} + e.what());
    return {};
  }
  self->request(cfg->journal_actor, caf::infinite, recover_atom::value, st.pid)
    .then(
      [=](uint64_t epoch, const std::string& snapshot, uint64_t,
          const std::vector<std::string>& entries, uint64_t last_seq) {
        try {
          recover(self, epoch, snapshot, entries, last_seq);
        } catch (const std::exception& e) {
          return fail(self, std::string{"recovery failed: "} + e.what());
        }
        self->become(running(self));
        schedule_processing_timer(self);
        self->delayed_send(self, std::chrono::milliseconds(self->state.snapshots.tick_ms()),
                           snaptick_atom::value);
      },
      [=](caf::error& err) { fail(self, "recovery failed: " + self->system().render(err)); });
  return {
    [](close_group_atom) {}, // nothing arrives before the hello; keeps the actor alive
    // A query waits until the state is recovered.
    [](query_atom, uint32_t, uint32_t, const std::string&) -> caf::result<std::string> { return caf::skip; },
  };
}

} // namespace

caf::actor spawn_partition(caf::actor_system& sys, std::shared_ptr<const partition_config> cfg,
                           caf::actor supervisor) {
  return sys.spawn(partition_behavior, std::move(cfg), std::move(supervisor));
}

} // namespace eddy::actors
