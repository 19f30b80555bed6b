#include "partition_actor.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <optional>

#include "actor_support.hpp"
#include "batch_port.hpp"
#include "eddy/journal/sqlite_journal.hpp"
#include "eddy/time.hpp"
#include "logging.hpp"
#include "protocol.hpp"
#include "records_codec.hpp"
#include "transport/outbox.hpp"

namespace eddy::actors {

namespace {

/// A journal entry on its way to disk: what it releases once durable.
struct in_flight_entry {
  uint64_t seq = 0;
  std::vector<input_seq> acks;
  std::vector<target_batch> outputs;
  int64_t watermark = min_time; ///< released with the outputs, never before them
};

/// State entries a partition visits for expired TTL values per group.
constexpr size_t ttl_cleanup_per_group = 64;

struct partition_state {
  std::shared_ptr<const partition_config> cfg;
  caf::actor supervisor;
  journal::partition_id pid = 0;
  uint32_t producer_stage = 0;
  uint64_t epoch = 0;
  uint64_t seq = 0; ///< last journal entry written or being written

  std::unique_ptr<batch_port> port;
  std::unique_ptr<dataflow::partition_logic> logic;

  // Channels, only touched by this actor.
  std::vector<channel_in> inputs;       ///< by producer index
  std::vector<uint64_t> durable_hw;     ///< by producer index: acknowledged
  std::vector<uint64_t> resend_asked;   ///< by producer index: hw a redelivery was asked after
  outbox outputs;                       ///< by flat consumer index
  std::vector<input_seq> acks_due;      ///< since the last group
  std::vector<uint32_t> acked_changed;  ///< consumers whose ack moved since the last group
  std::deque<deliver_msg> pending;      ///< deliveries waiting for output credit
  std::deque<in_flight_entry> in_flight;

  // Time, only touched by this actor.
  int64_t input_watermark = min_time;    ///< what the exchange delivered
  std::vector<int64_t> batch_watermarks; ///< by producer index: carried by its last batch
  int64_t min_batch_watermark = min_time;
  bool upstream_ended = false;
  int64_t watermark = min_time;          ///< the operator's, as far as timers have fired
  int64_t released_watermark = min_time; ///< of the last entry released
  int64_t reported_watermark = min_time; ///< last told the exchange
  int64_t last_report_ms = 0;
  bool report_scheduled = false;
  int64_t ptimer_at = max_time;          ///< when the scheduled ptimer_atom is due

  bool group_scheduled = false;
  bool end_sent = false;
  uint64_t entries_since_snapshot = 0;
  int64_t last_snapshot_ms = steady_ms();

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

journal::partition_id producer_pid(const partition_state& st, uint32_t index) {
  return journal::partition_id_of(st.producer_stage, index);
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
  if (st.end_sent || !st.upstream_ended || !st.pending.empty() || !st.in_flight.empty()
      || st.group_scheduled)
    return;
  st.end_sent = true;
  outputs_msg m;
  m.producer = st.cfg->key_group;
  m.watermark = st.released_watermark;
  m.ended = true;
  self->send(st.cfg->exchange, std::move(m));
}

/// The input's watermark: both the exchange's combined watermark and the
/// minimum over the producers' batch watermarks are lower bounds of every
/// producer's; the batches' make event time advance with redelivered data.
int64_t input_watermark(const partition_state& st) {
  return st.upstream_ended ? max_time : std::max(st.input_watermark, st.min_batch_watermark);
}

/// Moves the operator's watermark to what its input allows and fires the
/// event-time timers it passes. Returns false if user code threw.
bool advance(partition_actor_t* self) {
  auto& st = self->state;
  auto wm = input_watermark(st);
  if (wm <= st.watermark)
    return true;
  log::runtime()->trace("{} watermark {} -> {}", who(*st.cfg), st.watermark, wm);
  st.watermark = wm;
  try {
    st.logic->advance_watermark(wm);
  } catch (const std::exception& e) {
    fail(self, std::string{"user code threw in on_timer: "} + e.what());
    return false;
  }
  schedule_group(self);
  return true;
}

/// Keeps one ptimer_atom scheduled for the earliest processing-time timer.
void schedule_processing_timer(partition_actor_t* self) {
  auto& st = self->state;
  auto next = st.logic->next_processing_timer();
  if (next >= st.ptimer_at)
    return;
  st.ptimer_at = next;
  auto delay = std::max<int64_t>(0, next - processing_time_now());
  self->delayed_send(self, std::chrono::milliseconds(delay), ptimer_atom::value);
}

/// Applies one batch from producer `producer` through the user logic.
/// Returns false if user code threw (the actor has quit).
bool apply(partition_actor_t* self, uint32_t producer, const dataflow::record_batch& b) {
  auto& st = self->state;
  if (producer >= st.inputs.size()) {
    log::runtime()->warn("{} ignored a batch of foreign producer {}", who(*st.cfg), producer);
    return true;
  }
  auto& in = st.inputs[producer];
  auto v = in.check(b.first_seq, b.count);
  if (!v.apply) {
    if (b.first_seq > in.hw() + 1) {
      // A gap: something before this batch was lost. Ask once per position.
      if (st.resend_asked[producer] != in.hw() + 1) {
        st.resend_asked[producer] = in.hw() + 1;
        self->send(st.cfg->exchange, resend_msg{st.cfg->key_group, {producer, in.hw()}});
      }
    } else if (st.durable_hw[producer] >= b.last_seq()) {
      // A duplicate the producer may not know we have: ack what is durable.
      self->send(st.cfg->exchange, acks_msg{st.cfg->key_group, {{producer, st.durable_hw[producer]}}});
    }
    return true;
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
  in.hw(b.last_seq());
  st.acks_due.push_back({producer, b.last_seq()});
  auto& bw = st.batch_watermarks[producer];
  if (b.watermark > bw) {
    bool was_min = bw == st.min_batch_watermark;
    bw = b.watermark;
    if (was_min)
      st.min_batch_watermark = *std::min_element(st.batch_watermarks.begin(), st.batch_watermarks.end());
  }
  schedule_group(self);
  return true;
}

/// Applies a delivery of the exchange: batches, then its watermark and end.
bool apply(partition_actor_t* self, const deliver_msg& d) {
  auto& st = self->state;
  for (auto& b : d.batches)
    if (!apply(self, b.producer, *b.batch))
      return false;
  st.input_watermark = std::max(st.input_watermark, d.watermark);
  if (d.end) {
    st.upstream_ended = true;
    schedule_group(self); // check_end runs after the current group
  }
  return advance(self);
}

/// Works through deliveries that waited for credit, in order.
void drain_pending(partition_actor_t* self) {
  auto& st = self->state;
  while (!st.pending.empty() && has_credit(st)) {
    auto d = std::move(st.pending.front());
    st.pending.pop_front();
    if (!apply(self, d))
      return;
  }
}

/// Tells the exchange the watermark of the released entries when no batch
/// carried it, at most once per watermark interval (the exchange forwards
/// the instance's minimum).
void report_watermark(partition_actor_t* self) {
  auto& st = self->state;
  if (st.released_watermark <= st.reported_watermark || st.end_sent)
    return;
  auto now = steady_ms();
  auto wait = st.last_report_ms + st.cfg->watermark_interval_ms - now;
  if (wait > 0) {
    if (!st.report_scheduled) {
      st.report_scheduled = true;
      self->delayed_send(self, std::chrono::milliseconds(wait), wmflush_atom::value);
    }
    return;
  }
  st.last_report_ms = now;
  st.reported_watermark = st.released_watermark;
  outputs_msg m;
  m.producer = st.cfg->key_group;
  m.watermark = st.released_watermark;
  self->send(st.cfg->exchange, std::move(m));
}

/// Sends what a durable entry held back: outputs downstream, acks upstream.
void release(partition_actor_t* self, in_flight_entry& e) {
  auto& st = self->state;
  st.released_watermark = std::max(st.released_watermark, e.watermark);
  if (!e.outputs.empty()) {
    outputs_msg m;
    m.producer = st.cfg->key_group;
    m.watermark = st.released_watermark;
    for (auto& tb : e.outputs) {
      tb.batch.watermark = e.watermark;
      auto ptr = std::make_shared<const dataflow::record_batch>(std::move(tb.batch));
      st.outputs.sent(tb.target, ptr);
      m.batches.push_back({tb.target, std::move(ptr)});
    }
    st.reported_watermark = st.released_watermark;
    self->send(st.cfg->exchange, std::move(m));
  } else {
    report_watermark(self);
  }
  if (!e.acks.empty()) {
    for (auto& a : e.acks)
      st.durable_hw[a.producer] = std::max(st.durable_hw[a.producer], a.seq);
    self->send(st.cfg->exchange, acks_msg{st.cfg->key_group, std::move(e.acks)});
  }
}

void write_snapshot(partition_actor_t* self) {
  auto& st = self->state;
  snapshot_record s;
  st.logic->snapshot(s.state);
  for (uint32_t i = 0; i < st.inputs.size(); ++i)
    if (st.inputs[i].hw() > 0)
      s.inputs.push_back({producer_pid(st, i), st.inputs[i].hw()});
  for (uint32_t t = 0; t < st.outputs.channels(); ++t) {
    if (st.outputs.next_seq(t) > 1) {
      s.next_seqs.push_back({t, st.outputs.next_seq(t)});
      s.acked.push_back({t, st.outputs.acked(t)});
    }
  }
  st.outputs.for_each_unacked([&](uint32_t t, const batch_ptr& b) { s.outbox.push_back({t, *b}); });
  for (auto& e : st.in_flight)
    for (auto& tb : e.outputs)
      s.outbox.push_back(tb);
  self->send(st.cfg->journal_actor, save_atom::value, st.pid, st.epoch, st.seq, encode(s));
  st.entries_since_snapshot = 0;
  st.last_snapshot_ms = steady_ms();
}

/// Closes the current group of inputs into one journal entry.
void close_group(partition_actor_t* self) {
  auto& st = self->state;
  st.group_scheduled = false;
  // Expired TTL values go in the background too (Flink's incremental
  // cleanup), so memory stays bounded under key churn; the erasures are
  // journaled with this group.
  st.logic->cleanup_expired(processing_time_now(), ttl_cleanup_per_group);
  entry_record e;
  st.logic->take_log(e.state_log);
  if (st.acks_due.empty() && st.port->empty() && e.state_log.empty()) {
    // Nothing to journal; the watermark may still have moved.
    if (!st.in_flight.empty()) {
      st.in_flight.back().watermark = st.watermark; // not before the outputs held back
    } else {
      in_flight_entry none;
      none.watermark = st.watermark;
      release(self, none);
    }
    return check_end(self);
  }
  in_flight_entry f;
  f.watermark = st.watermark;
  st.port->take([&](uint32_t target, dataflow::record_batch&& b) {
    st.outputs.assign(target, b);
    f.outputs.push_back({target, std::move(b)});
  });
  f.acks = std::move(st.acks_due);
  st.acks_due.clear();
  for (auto t : st.acked_changed)
    e.acked.push_back({t, st.outputs.acked(t)});
  st.acked_changed.clear();
  f.seq = ++st.seq;
  if (st.cfg->journal) {
    for (auto& a : f.acks)
      e.inputs.push_back({producer_pid(st, a.producer), a.seq});
    e.outputs = std::move(f.outputs);
    auto body = encode(e);
    f.outputs = std::move(e.outputs);
    self->send(st.cfg->journal_actor, append_atom::value, st.pid, st.epoch, f.seq, std::move(body));
    st.in_flight.push_back(std::move(f));
  } else {
    release(self, f);
  }
  ++st.entries_since_snapshot;
  if (st.entries_since_snapshot >= st.cfg->snapshot_every_entries
      || steady_ms() - st.last_snapshot_ms >= static_cast<int64_t>(st.cfg->snapshot_interval_ms))
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
  st.seq = last_seq;
  auto channels = st.outputs.channels();
  std::vector<std::vector<dataflow::record_batch>> outbox(channels);
  std::vector<uint64_t> next(channels, 1), acked(channels, 0);
  auto add_output = [&](target_batch& tb) {
    if (tb.target >= channels)
      throw decode_error("output to consumer " + std::to_string(tb.target) + " of "
                         + std::to_string(channels));
    next[tb.target] = std::max(next[tb.target], tb.batch.last_seq() + 1);
    outbox[tb.target].push_back(std::move(tb.batch));
  };
  auto set_input = [&](const position& p) {
    auto idx = journal::index_of(p.peer);
    if (idx >= st.inputs.size())
      throw decode_error("input from producer " + std::to_string(idx));
    st.inputs[idx].hw(std::max(st.inputs[idx].hw(), p.seq));
  };
  auto set_acked = [&](const position& p) {
    if (p.peer >= channels)
      throw decode_error("ack of consumer " + std::to_string(p.peer));
    acked[p.peer] = std::max(acked[p.peer], p.seq);
  };
  if (!snapshot.empty()) {
    auto s = decode_snapshot(snapshot);
    st.logic->restore(s.state);
    for (auto& p : s.inputs)
      set_input(p);
    for (auto& p : s.next_seqs) {
      if (p.peer >= channels)
        throw decode_error("next seq of consumer " + std::to_string(p.peer));
      next[p.peer] = std::max(next[p.peer], p.seq);
    }
    for (auto& p : s.acked)
      set_acked(p);
    for (auto& tb : s.outbox)
      add_output(tb);
  }
  for (auto& body : entries) {
    auto e = decode_entry(body);
    st.logic->apply_log(e.state_log);
    for (auto& p : e.inputs)
      set_input(p);
    for (auto& tb : e.outputs)
      add_output(tb);
    for (auto& p : e.acked)
      set_acked(p);
  }
  outputs_msg handover;
  handover.producer = st.cfg->key_group;
  handover.recovered = true;
  for (uint32_t t = 0; t < channels; ++t) {
    st.outputs.restore(t, next[t], acked[t]);
    for (auto& b : outbox[t]) {
      if (b.last_seq() <= acked[t])
        continue;
      auto ptr = std::make_shared<const dataflow::record_batch>(std::move(b));
      st.outputs.sent(t, ptr);
      handover.batches.push_back({t, std::move(ptr)});
    }
  }
  self->send(st.cfg->exchange, std::move(handover));
  hello_msg hello;
  hello.hello.consumer = st.cfg->key_group;
  hello.epoch = epoch;
  for (uint32_t i = 0; i < st.inputs.size(); ++i) {
    st.durable_hw[i] = st.inputs[i].hw();
    if (st.inputs[i].hw() > 0)
      hello.hello.hws.push_back({i, st.inputs[i].hw()});
  }
  self->send(st.cfg->exchange, std::move(hello));
  log::runtime()->debug("{} recovered epoch {} with {} entries after its snapshot, {} keys",
                        who(*st.cfg), epoch, entries.size(), st.logic->key_count());
}

caf::behavior running(partition_actor_t* self) {
  return {
    [=](deliver_msg& d) {
      auto& st = self->state;
      if (!st.pending.empty() || !has_credit(st)) {
        st.pending.push_back(std::move(d));
        return;
      }
      apply(self, d);
    },
    [=](acked_msg& m) {
      auto& st = self->state;
      for (auto& a : m.acked)
        if (st.outputs.ack(a.flat, a.seq)
            && std::find(st.acked_changed.begin(), st.acked_changed.end(), a.flat)
                 == st.acked_changed.end())
          st.acked_changed.push_back(a.flat);
      drain_pending(self);
      check_end(self);
    },
    [=](ptimer_atom) {
      auto& st = self->state;
      st.ptimer_at = max_time;
      try {
        st.logic->fire_processing_timers(processing_time_now());
      } catch (const std::exception& e) {
        return fail(self, std::string{"user code threw in on_timer: "} + e.what());
      }
      schedule_group(self);
      schedule_processing_timer(self);
    },
    [=](close_group_atom) { close_group(self); },
    [=](wmflush_atom) {
      self->state.report_scheduled = false;
      report_watermark(self);
    },
    [=](snaptick_atom) {
      // A partition that went quiet snapshots its tail too, so it never pins the journal.
      auto& st = self->state;
      auto interval = static_cast<int64_t>(st.cfg->snapshot_interval_ms);
      if (st.entries_since_snapshot > 0 && st.in_flight.empty()
          && steady_ms() - st.last_snapshot_ms >= interval)
        write_snapshot(self);
      self->delayed_send(self, std::chrono::milliseconds(std::max<int64_t>(interval, 10)),
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
      while (!st.in_flight.empty() && st.in_flight.front().seq <= seq) {
        release(self, st.in_flight.front());
        st.in_flight.pop_front();
      }
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
  st.producer_stage = static_cast<uint32_t>(std::max(stage.producer, 0));
  st.pid = journal::partition_id_of(cfg->stage, cfg->key_group);
  st.port = std::make_unique<batch_port>(p.port_offsets(cfg->stage, cfg->key_group), stage.flat_size);
  auto producers = p.stage(st.producer_stage).indexes;
  st.inputs.resize(producers);
  st.durable_hw.resize(producers);
  st.resend_asked.resize(producers);
  st.batch_watermarks.assign(producers, min_time);
  st.outputs = outbox{stage.flat_size};
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
        auto interval = std::max<int64_t>(static_cast<int64_t>(self->state.cfg->snapshot_interval_ms), 10);
        self->delayed_send(self, std::chrono::milliseconds(interval), snaptick_atom::value);
      },
      [=](caf::error& err) { fail(self, "recovery failed: " + self->system().render(err)); });
  return {[](close_group_atom) {}}; // nothing arrives before the hello; keeps the actor alive
}

} // namespace

caf::actor spawn_partition(caf::actor_system& sys, std::shared_ptr<const partition_config> cfg,
                           caf::actor supervisor) {
  return sys.spawn(partition_behavior, std::move(cfg), std::move(supervisor));
}

} // namespace eddy::actors
