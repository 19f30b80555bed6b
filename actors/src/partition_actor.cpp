#include "partition_actor.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <optional>

#include "batch_port.hpp"
#include "eddy/dataflow/watermark_tracker.hpp"
#include "eddy/time.hpp"
#include "directory.hpp"
#include "logging.hpp"
#include "protocol.hpp"
#include "records_codec.hpp"

namespace eddy::actors {

namespace {

using clock = std::chrono::steady_clock;

/// A journal entry on its way to disk: what it releases once durable.
struct in_flight_entry {
  uint64_t seq = 0;
  std::vector<position> acks;          ///< producer pid -> applied seq
  std::vector<target_batch> outputs;
  int64_t watermark = min_time;        ///< released with the outputs, never before them
};

/// Input that waits for output credit, in arrival order.
struct pending_input {
  enum kind_t : uint8_t { batch, end, watermark };
  kind_t kind = batch;
  uint64_t producer = 0;
  batch_ptr records;        ///< for kind batch
  uint64_t seq = 0;         ///< for end and watermark: the producer's next seq
  int64_t wm = min_time;    ///< for watermark
};

struct partition_state {
  std::shared_ptr<const partition_config> cfg;
  caf::actor supervisor;
  journal::partition_id pid = 0;
  uint64_t epoch = 0;
  uint64_t seq = 0; ///< last journal entry written or being written

  std::unique_ptr<batch_port> port;
  std::unique_ptr<dataflow::partition_logic> logic;

  // Channels, only touched by this actor.
  std::vector<channel_in> inputs;      ///< by producer index
  std::vector<uint64_t> durable_hw;    ///< by producer index: acked to the producer
  std::vector<channel_out> outputs;    ///< by consumer index
  std::map<uint32_t, uint64_t> acks_due;  ///< producer index -> seq, since last flush
  std::vector<uint32_t> acked_changed;    ///< consumers whose ack moved since last flush
  std::deque<pending_input> pending;
  std::deque<in_flight_entry> in_flight;

  // Time, only touched by this actor.
  std::optional<dataflow::watermark_tracker> clock;
  int64_t watermark = min_time;      ///< the operator's, as far as timers have fired
  std::vector<int64_t> sent_watermark; ///< by consumer
  int64_t released_watermark = min_time; ///< of the last entry released downstream
  clock::time_point last_watermark_only{}; ///< when watermark-only messages last went out
  bool watermark_flush_scheduled = false;
  int64_t ptimer_at = max_time;      ///< when the scheduled ptimer_atom is due

  bool flush_scheduled = false;
  bool end_sent = false;
  uint64_t entries_since_snapshot = 0;
  clock::time_point last_snapshot = clock::now();

  static inline const char* name = "partition";
};

using partition_actor_t = caf::stateful_actor<partition_state>;

using journal::index_of;

std::string who(const partition_state& st) {
  return st.cfg->op_name + "/" + std::to_string(st.cfg->key_group);
}

void fail(partition_actor_t* self, const std::string& what) {
  auto& st = self->state;
  log::runtime()->warn("partition {} failed: {}", who(st), what);
  self->send(st.supervisor, failed_atom::value, st.cfg->key_group, what);
  self->quit(caf::make_error(caf::sec::runtime_error, what));
}

caf::actor consumer(partition_state& st, uint32_t target) {
  return st.cfg->routes.consumer(*st.cfg->dir, target);
}

caf::actor producer(partition_state& st, uint32_t index) {
  return st.cfg->dir->get(st.cfg->producer_stage, index);
}

journal::partition_id producer_pid(const partition_state& st, uint32_t index) {
  return journal::partition_id_of(st.cfg->producer_stage, index);
}

void send_batch(partition_actor_t* self, uint32_t target, const batch_ptr& b) {
  auto& st = self->state;
  self->send(consumer(st, target), batch_atom::value, st.pid, target, b);
}

bool has_credit(const partition_state& st) {
  for (auto& o : st.outputs)
    if (!o.has_credit(channel_window_bytes))
      return false;
  return true;
}

void schedule_flush(partition_actor_t* self) {
  if (!self->state.flush_scheduled) {
    self->state.flush_scheduled = true;
    self->send(self, flush_atom::value);
  }
}

void check_end(partition_actor_t* self) {
  auto& st = self->state;
  if (st.end_sent || !st.pending.empty() || !st.in_flight.empty() || st.flush_scheduled)
    return;
  for (auto& in : st.inputs)
    if (!in.ended)
      return;
  st.end_sent = true;
  for (uint32_t t = 0; t < st.outputs.size(); ++t) {
    st.outputs[t].end_sent = true;
    self->send(consumer(st, t), end_atom::value, st.pid, t, st.outputs[t].next_seq());
  }
}

/// Moves the operator's watermark to what its inputs allow and fires the
/// event-time timers it passes. Returns false if user code threw.
bool advance(partition_actor_t* self) {
  auto& st = self->state;
  auto wm = st.clock->current(processing_time_now());
  if (wm <= st.watermark)
    return true;
  st.watermark = wm;
  try {
    st.logic->advance_watermark(wm);
  } catch (const std::exception& e) {
    fail(self, std::string{"user code threw in on_timer: "} + e.what());
    return false;
  }
  schedule_flush(self);
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

/// Applies one batch from `producer` (index) through the user logic.
/// Returns false if user code threw (the actor has quit).
bool apply(partition_actor_t* self, uint32_t producer_index, const dataflow::record_batch& b) {
  auto& st = self->state;
  auto& in = st.inputs[producer_index];
  auto v = in.check(b.first_seq, b.count);
  if (!v.apply) {
    // A duplicate the producer may not know we have: ack what is durable.
    if (st.durable_hw[producer_index] >= b.last_seq())
      self->send(producer(st, producer_index), ack_atom::value, st.pid,
                 st.durable_hw[producer_index]);
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
  st.acks_due[producer_index] = b.last_seq();
  st.clock->update(producer_index, b.watermark, processing_time_now());
  schedule_flush(self);
  return advance(self);
}

void apply_end(partition_actor_t* self, uint32_t producer_index, uint64_t first_seq) {
  auto& st = self->state;
  auto& in = st.inputs[producer_index];
  if (in.accepts_end(first_seq)) {
    in.ended = true;
    st.clock->end(producer_index);
    advance(self);
  }
}

void apply_watermark(partition_actor_t* self, uint32_t producer_index, int64_t wm,
                     uint64_t next_seq) {
  auto& st = self->state;
  // Only once everything before it is applied: a watermark never overtakes data.
  if (st.inputs[producer_index].accepts_end(next_seq)) {
    st.clock->update(producer_index, wm, processing_time_now());
    advance(self);
  }
}

/// Works through inputs that waited for credit, in order.
void drain_pending(partition_actor_t* self) {
  auto& st = self->state;
  while (!st.pending.empty() && has_credit(st)) {
    auto p = std::move(st.pending.front());
    st.pending.pop_front();
    switch (p.kind) {
      case pending_input::batch:
        if (!apply(self, index_of(p.producer), *p.records))
          return;
        break;
      case pending_input::end:
        apply_end(self, index_of(p.producer), p.seq);
        break;
      case pending_input::watermark:
        apply_watermark(self, index_of(p.producer), p.wm, p.seq);
        break;
    }
  }
}

/// Tells consumers that got no batch with it the watermark of the released
/// entries, at most once per watermark interval: every partition of a keyed
/// stage feeds every partition of the next, so each watermark step costs
/// (key groups)^2 messages, and event time that moves every millisecond
/// would send them every millisecond. A held-back watermark goes out when
/// the interval ends (a wmflush_atom); it covers everything sent before it.
void send_watermarks(partition_actor_t* self) {
  auto& st = self->state;
  auto now = clock::now();
  auto interval = std::chrono::milliseconds(st.cfg->watermark_interval_ms);
  if (now - st.last_watermark_only < interval) {
    if (!st.watermark_flush_scheduled) {
      st.watermark_flush_scheduled = true;
      self->delayed_send(self, st.last_watermark_only + interval - now, wmflush_atom::value);
    }
    return;
  }
  bool sent = false;
  for (uint32_t t = 0; t < st.outputs.size(); ++t) {
    if (st.released_watermark > st.sent_watermark[t]) {
      st.sent_watermark[t] = st.released_watermark;
      self->send(consumer(st, t), watermark_atom::value, st.pid, t, st.released_watermark,
                 st.outputs[t].sent_next_seq());
      sent = true;
    }
  }
  if (sent)
    st.last_watermark_only = now;
}

/// Sends what a durable entry held back: outputs downstream, acks upstream.
void release(partition_actor_t* self, in_flight_entry& e) {
  auto& st = self->state;
  for (auto& tb : e.outputs) {
    tb.batch.watermark = e.watermark;
    st.sent_watermark[tb.target] = std::max(st.sent_watermark[tb.target], e.watermark);
    auto ptr = std::make_shared<const dataflow::record_batch>(std::move(tb.batch));
    st.outputs[tb.target].sent(ptr);
    send_batch(self, tb.target, ptr);
  }
  st.released_watermark = std::max(st.released_watermark, e.watermark);
  send_watermarks(self);
  for (auto& a : e.acks) {
    auto idx = index_of(a.channel);
    st.durable_hw[idx] = std::max(st.durable_hw[idx], a.seq);
    self->send(producer(st, idx), ack_atom::value, st.pid, a.seq);
  }
}

void write_snapshot(partition_actor_t* self) {
  auto& st = self->state;
  snapshot_record s;
  st.logic->snapshot(s.state);
  for (uint32_t i = 0; i < st.inputs.size(); ++i)
    if (st.inputs[i].hw() > 0)
      s.inputs.push_back({producer_pid(st, i), st.inputs[i].hw()});
  for (uint32_t t = 0; t < st.outputs.size(); ++t) {
    auto& o = st.outputs[t];
    if (o.next_seq() > 1) {
      s.next_seqs.push_back({t, o.next_seq()});
      s.acked.push_back({t, o.acked()});
    }
    for (auto& b : o.all_unacked())
      s.outbox.push_back({t, *b});
  }
  for (auto& e : st.in_flight)
    for (auto& tb : e.outputs)
      s.outbox.push_back(tb);
  self->send(st.cfg->journal_actor, save_atom::value, st.pid, st.epoch, st.seq, encode(s));
  st.entries_since_snapshot = 0;
  st.last_snapshot = clock::now();
}

/// Closes the current group of inputs into one journal entry.
void flush(partition_actor_t* self) {
  auto& st = self->state;
  st.flush_scheduled = false;
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
    st.outputs[target].assign(b);
    f.outputs.push_back({target, std::move(b)});
  });
  for (auto& [idx, seq] : st.acks_due)
    f.acks.push_back({producer_pid(st, idx), seq});
  st.acks_due.clear();
  for (auto t : st.acked_changed)
    e.acked.push_back({t, st.outputs[t].acked()});
  st.acked_changed.clear();
  f.seq = ++st.seq;
  if (st.cfg->journal) {
    e.inputs = f.acks;
    e.outputs = std::move(f.outputs);
    auto body = encode(e);
    f.outputs = std::move(e.outputs);
    self->send(st.cfg->journal_actor, append_atom::value, st.pid, st.epoch, f.seq, std::move(body));
    st.in_flight.push_back(std::move(f));
  } else {
    release(self, f);
  }
  ++st.entries_since_snapshot;
  auto interval = std::chrono::milliseconds(st.cfg->snapshot_interval_ms);
  if (st.entries_since_snapshot >= st.cfg->snapshot_every_entries
      || clock::now() - st.last_snapshot >= interval)
    write_snapshot(self);
  schedule_processing_timer(self);
  check_end(self);
}

/// Rebuilds the partition from its snapshot and later entries, then
/// redelivers its unacknowledged outputs and greets its producers.
void recover(partition_actor_t* self, uint64_t epoch, const std::string& snapshot,
             const std::vector<std::string>& entries, uint64_t last_seq) {
  auto& st = self->state;
  st.epoch = epoch;
  st.seq = last_seq;
  std::vector<std::vector<dataflow::record_batch>> outbox(st.outputs.size());
  std::vector<uint64_t> next(st.outputs.size(), 1), acked(st.outputs.size(), 0);
  auto add_output = [&](target_batch& tb) {
    if (tb.target >= outbox.size())
      throw decode_error("output to consumer " + std::to_string(tb.target) + " of "
                         + std::to_string(outbox.size()));
    next[tb.target] = std::max(next[tb.target], tb.batch.last_seq() + 1);
    outbox[tb.target].push_back(std::move(tb.batch));
  };
  auto set_input = [&](const position& p) {
    auto idx = index_of(p.channel);
    if (idx >= st.inputs.size())
      throw decode_error("input from producer " + std::to_string(idx));
    st.inputs[idx].hw(std::max(st.inputs[idx].hw(), p.seq));
  };
  if (!snapshot.empty()) {
    auto s = decode_snapshot(snapshot);
    st.logic->restore(s.state);
    for (auto& p : s.inputs)
      set_input(p);
    for (auto& p : s.next_seqs)
      next.at(p.channel) = std::max(next.at(p.channel), p.seq);
    for (auto& p : s.acked)
      acked.at(p.channel) = std::max(acked.at(p.channel), p.seq);
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
      acked.at(p.channel) = std::max(acked.at(p.channel), p.seq);
  }
  for (uint32_t t = 0; t < st.outputs.size(); ++t) {
    st.outputs[t].restore(next[t], acked[t]);
    for (auto& b : outbox[t]) {
      if (b.last_seq() <= acked[t])
        continue;
      auto ptr = std::make_shared<const dataflow::record_batch>(std::move(b));
      st.outputs[t].sent(ptr);
      send_batch(self, t, ptr);
    }
  }
  for (uint32_t i = 0; i < st.inputs.size(); ++i) {
    st.durable_hw[i] = st.inputs[i].hw();
    self->send(producer(st, i), hello_atom::value, st.pid, st.inputs[i].hw());
  }
  log::runtime()->debug("partition {} recovered epoch {} with {} entries after its snapshot, "
                        "{} keys",
                        who(st), epoch, entries.size(), st.logic->key_count());
}

caf::behavior running(partition_actor_t* self) {
  return {
    [=](batch_atom, uint64_t producer_pid, uint32_t, const batch_ptr& b) {
      auto& st = self->state;
      if (!st.pending.empty() || !has_credit(st)) {
        st.pending.push_back({pending_input::batch, producer_pid, b, 0, min_time});
        return;
      }
      apply(self, index_of(producer_pid), *b);
    },
    [=](end_atom, uint64_t producer_pid, uint32_t, uint64_t first_seq) {
      auto& st = self->state;
      if (!st.pending.empty()) {
        st.pending.push_back({pending_input::end, producer_pid, nullptr, first_seq, min_time});
        return;
      }
      apply_end(self, index_of(producer_pid), first_seq);
      schedule_flush(self); // check_end runs after the current group
    },
    [=](watermark_atom, uint64_t producer_pid, uint32_t, int64_t wm, uint64_t next_seq) {
      auto& st = self->state;
      if (!st.pending.empty()) {
        st.pending.push_back({pending_input::watermark, producer_pid, nullptr, next_seq, wm});
        return;
      }
      apply_watermark(self, index_of(producer_pid), wm, next_seq);
    },
    [=](ptimer_atom) {
      auto& st = self->state;
      st.ptimer_at = max_time;
      try {
        st.logic->fire_processing_timers(processing_time_now());
      } catch (const std::exception& e) {
        return fail(self, std::string{"user code threw in on_timer: "} + e.what());
      }
      schedule_flush(self);
      schedule_processing_timer(self);
    },
    [=](flush_atom) { flush(self); },
    [=](wmflush_atom) {
      self->state.watermark_flush_scheduled = false;
      if (!self->state.end_sent)
        send_watermarks(self);
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
    [=](ack_atom, uint64_t consumer_pid, uint64_t seq) {
      auto& st = self->state;
      auto target = st.cfg->routes.flat_of(consumer_pid);
      if (target >= st.outputs.size())
        return;
      if (seq > st.outputs[target].acked()
          && std::find(st.acked_changed.begin(), st.acked_changed.end(), target)
               == st.acked_changed.end())
        st.acked_changed.push_back(target);
      st.outputs[target].ack(seq);
      drain_pending(self);
      check_end(self);
    },
    [=](hello_atom, uint64_t consumer_pid, uint64_t hw) {
      auto& st = self->state;
      auto target = st.cfg->routes.flat_of(consumer_pid);
      if (target >= st.outputs.size())
        return;
      for (auto& b : st.outputs[target].unacked_after(hw))
        send_batch(self, target, b);
      if (st.sent_watermark[target] > min_time)
        self->send(consumer(st, target), watermark_atom::value, st.pid, target,
                   st.sent_watermark[target], st.outputs[target].sent_next_seq());
      if (st.outputs[target].end_sent)
        self->send(consumer(st, target), end_atom::value, st.pid, target,
                   st.outputs[target].next_seq());
    },
  };
}

caf::behavior partition_behavior(partition_actor_t* self,
                                 std::shared_ptr<const partition_config> cfg,
                                 caf::actor supervisor) {
  auto& st = self->state;
  st.cfg = cfg;
  st.supervisor = std::move(supervisor);
  st.pid = journal::partition_id_of(cfg->stage, cfg->key_group);
  st.port = std::make_unique<batch_port>(cfg->routes.offsets(), cfg->routes.size());
  st.inputs.resize(cfg->producers);
  st.durable_hw.resize(cfg->producers);
  st.outputs.resize(cfg->routes.size());
  st.sent_watermark.resize(cfg->routes.size(), min_time);
  st.clock.emplace(cfg->producers, cfg->idle_timeout_ms);
  try {
    st.logic = cfg->make_logic(*st.port);
    st.logic->logging(cfg->journal);
  } catch (const std::exception& e) {
    fail(self, std::string{"constructing the function threw: "} + e.what());
    return {};
  }
  self->set_default_handler(caf::skip); // inputs wait in the mailbox until recovered
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
      },
      [=](caf::error& err) { fail(self, "recovery failed: " + self->system().render(err)); });
  return {[](idle_atom) {}}; // keeps the actor alive until recovered
}

} // namespace

caf::actor spawn_partition(caf::actor_system& sys, std::shared_ptr<const partition_config> cfg,
                           caf::actor supervisor) {
  return sys.spawn(partition_behavior, std::move(cfg), std::move(supervisor));
}

} // namespace eddy::actors
