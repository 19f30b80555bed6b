#include "source_actor.hpp"

#include <chrono>
#include <algorithm>
#include <deque>

#include "actor_support.hpp"
#include "batch_port.hpp"
#include "checkpoint_recovery.hpp"
#include "eddy/journal/sqlite_journal.hpp"
#include "logging.hpp"
#include "protocol.hpp"
#include "until_init.hpp"
#include "metrics/link_bytes.hpp"
#include "metrics/wait_timer.hpp"
#include "records_codec.hpp"
#include "transport/outbound.hpp"
#include "transport/outbox.hpp"
#include "transport/watermark_pacer.hpp"

namespace eddy::actors {

namespace {

/// A chunk boundary of one split: the position after it and the next seq of each channel.
struct mark {
  std::string position;
  std::vector<uint64_t> next_seqs;
};

/// One split of the source: one index of stage 0, as a key group is one of a
/// keyed stage, with its own reader, chain and port (its chain keeps its own
/// state and proposes its own watermark), channels and checkpoint. A
/// replay of a split alone reproduces its seqs, whatever else this
/// instance reads, so splits may move between instances.
struct split_index {
  uint32_t index = 0;
  std::string split;
  journal::partition_id pid = 0;
  uint64_t epoch = 0;
  uint64_t save_seq = 0;
  std::unique_ptr<batch_port> port;
  std::unique_ptr<dataflow::source_runner> runner;
  bool finished = false;
  outbox outputs;                  ///< positions and credit, by flat consumer index
  std::deque<mark> marks;          ///< boundaries not yet fully acknowledged
  std::optional<mark> committable; ///< newest fully acknowledged, not saved yet
  bool saving = false;
};

struct source_state {
  source_config cfg;
  std::vector<split_index> splits; ///< this instance's indexes, read round-robin
  size_t next_split = 0;           ///< whose turn is next
  size_t recovering = 0;           ///< checkpoints not recovered yet
  std::unique_ptr<outbound> out;   ///< frames, redelivery
  std::vector<caf::actor> exchanges;
  std::vector<greeting_msg> early; ///< greetings that came during recovery
  std::vector<frame_ack_msg> early_acks; ///< a consumer's hello acks its marks, maybe that early
  bool waiting_for_credit = false;
  bool ended = false;
  bool paused = false;  ///< a stop with savepoint: read nothing more
  bool drained = false; ///< ... and the job was told all is acknowledged
  uint64_t values_read = 0;  ///< in this run, for progress reports
  watermark_pacer pacer;     ///< watermark-only frames
  int64_t last_report_ms = steady_ms();
  metrics::instance_metrics series;
  metrics::wait_timer credit_wait; ///< while waiting_for_credit
  static inline const char* name = "source";
};

using source_actor_t = caf::stateful_actor<source_state>;

std::string who(const source_state& st) {
  return "source " + st.cfg.stage->name + "#" + std::to_string(st.cfg.instance);
}

void fail(source_actor_t* self, const std::string& what) {
  auto& st = self->state;
  auto text = who(st) + " failed: " + what;
  log::runtime()->error("{}", text);
  self->send(st.cfg.job, failed_atom::value, text);
  self->quit(caf::make_error(caf::sec::runtime_error, text));
}

/// Sends the frames gathered so far; watermark-only ones at most once per interval.
void send_frames(source_actor_t* self) {
  auto& st = self->state;
  auto now = steady_ms();
  bool due = st.pacer.due(now);
  bool held = st.out->take(due, now, [&](uint32_t ex, frame_msg&& f) {
    log::runtime()->trace("{} frame to {}: {} batches, {} answers, wm {}, end {}", who(st), ex, f.batches.size(), f.answers.size(), f.watermark, f.end);
    st.cfg.counters->sent(message_counters::frame, 0);
    metrics::frame_sent(f, st.exchanges[ex], self->node());
    self->send(st.exchanges[ex], std::move(f));
  });
  metrics::watermark(st.series, st.out->instance_watermark());
  if (due)
    st.pacer.sent(now);
  if (auto wait = held ? st.pacer.hold(now) : std::nullopt)
    self->delayed_send(self, std::chrono::milliseconds(*wait), wmflush_atom::value);
}

/// Saves the newest fully acknowledged boundary of `s`, one save at a time.
void save(source_actor_t* self, split_index& s) {
  if (s.saving || !s.committable)
    return;
  checkpoint_record c;
  c.position = s.committable->position;
  for (uint32_t t = 0; t < s.committable->next_seqs.size(); ++t)
    if (s.committable->next_seqs[t] > 1)
      c.channels.push_back({t, s.committable->next_seqs[t]});
  s.committable.reset();
  s.saving = true;
  self->send(self->state.cfg.journal_actor, save_atom::value, s.pid, s.epoch, ++s.save_seq, encode(c));
}

size_t unacked_bytes(const source_state& st) {
  size_t n = 0;
  for (auto& s : st.splits)
    n += s.outputs.bytes();
  return n;
}

/// Reads one chunk of the next split still reading (round-robin) and hands
/// its batches to the outbound side.
void pump(source_actor_t* self) {
  auto& st = self->state;
  if (st.ended || st.paused)
    return;
  if (unacked_bytes(st) >= st.cfg.window_bytes) {
    st.waiting_for_credit = true;
    st.credit_wait.waiting();
    return;
  }
  st.waiting_for_credit = false;
  st.credit_wait.going();
  size_t k = st.next_split % st.splits.size();
  for (size_t i = 0; i < st.splits.size() && st.splits[k].finished; ++i)
    k = (k + 1) % st.splits.size();
  st.next_split = (k + 1) % st.splits.size();
  auto& s = st.splits[k];
  expected<size_t> n = size_t{0};
  try {
    if (!s.finished)
      n = s.runner->pump(st.cfg.chunk);
  } catch (const std::exception& e) {
    return fail(self, std::string{"a step of the source's chain threw: "} + e.what());
  }
  if (!n)
    return fail(self, n.error().message());
  s.finished = s.runner->finished();
  st.values_read += *n;
  st.series.records_in->add(static_cast<double>(*n));
  if (auto now = steady_ms(); now - st.last_report_ms >= 1000) {
    st.last_report_ms = now;
    self->send(st.cfg.job, progress_atom::value, st.cfg.instance, st.values_read);
  }
  // A split's timestamps bound only its own data; the outbound side takes
  // the minimum over the splits still reading.
  auto wm = s.port->watermark();
  s.port->take([&](uint32_t target, dataflow::record_batch&& b) {
    s.outputs.assign(target, b);
    st.series.records_out->add(b.count);
    b.watermark = wm;
    auto ptr = std::make_shared<const dataflow::record_batch>(std::move(b));
    s.outputs.sent(target, ptr);
    st.out->add(s.index, target, ptr);
  });
  st.out->watermark(s.index, wm);
  mark m{s.runner->position(), {}};
  for (uint32_t t = 0; t < s.outputs.channels(); ++t)
    m.next_seqs.push_back(s.outputs.next_seq(t));
  s.marks.push_back(std::move(m));
  if (s.finished)
    log::runtime()->debug("{} reached the end of split {} '{}'", who(st), s.index, s.split);
  // Every finished split ends, also one that was finished when it opened
  // and never had a turn (a restart after the job's end).
  st.ended = true;
  for (auto& x : st.splits) {
    if (x.finished)
      st.out->ended(x.index, true);
    st.ended = st.ended && x.finished;
  }
  if (!st.ended) {
    // A source that gave less than a chunk has caught up with its input
    // (an open-loop generator, a tailed file): pumping again at once spun a
    // core on reads of a few values, each a frame of tiny batches to every
    // key group. It reads again after one watermark interval: windows close
    // on watermarks, which go out no more often, so no window closes later.
    if (*n < st.cfg.chunk)
      self->delayed_send(self, std::chrono::milliseconds(std::max<int64_t>(1, st.cfg.watermark_interval_ms)),
                         pump_atom::value);
    else
      self->send(self, pump_atom::value);
  }
  send_frames(self);
}

/// Once paused, tells the job when everything it sent is acknowledged and
/// every split's checkpoint is durable.
void check_drained(source_actor_t* self) {
  auto& st = self->state;
  if (!st.paused || st.drained)
    return;
  for (auto& s : st.splits)
    if (s.outputs.bytes() > 0 || !s.marks.empty() || s.committable || s.saving)
      return;
  st.drained = true;
  self->send(st.cfg.job, drained_atom::value, st.cfg.instance);
}

/// Moves every split's fully acknowledged boundaries to its checkpoint.
void on_ack(source_actor_t* self) {
  auto& st = self->state;
  for (auto& s : st.splits) {
    while (!s.marks.empty()) {
      auto& m = s.marks.front();
      bool done = true;
      for (uint32_t t = 0; t < s.outputs.channels() && done; ++t)
        done = s.outputs.acked(t) + 1 >= m.next_seqs[t];
      if (!done)
        break;
      s.committable = std::move(m);
      s.marks.pop_front();
    }
    save(self, s);
  }
  check_drained(self);
  send_frames(self); // the end goes out once everything is acknowledged
  if (st.waiting_for_credit)
    pump(self);
}

split_index* split_of(source_state& st, uint32_t index) {
  auto first = st.splits.front().index;
  return index >= first && index - first < st.splits.size() ? &st.splits[index - first] : nullptr;
}

/// True unless the acks came from a replaced incarnation of their consumer.
bool apply_acks(source_state& st, const frame_ack_msg& a) {
  return st.out->ack(a, steady_ms(), [&](uint32_t producer, uint32_t flat, uint64_t seq) {
    if (auto* s = split_of(st, producer))
      s->outputs.ack(flat, seq);
  });
}

caf::behavior running(source_actor_t* self) {
  return {
    [=](pump_atom) { pump(self); },
    takes_moved_exchanges(self),
    [=](frame_ack_msg& a) {
      if (apply_acks(self->state, a)) // what follows goes where the consumer is now
        follow_consumer(self, a);
      on_ack(self);
    },
    [=](greeting_msg& g) {
      if (self->state.out->greet(g))
        follow_consumer(self, g);
      send_frames(self);
    },
    [=](wmflush_atom) {
      self->state.pacer.fired();
      send_frames(self);
    },
    [=](retransmit_atom) {
      if (auto n = self->state.out->retransmit(steady_ms(), retransmit_after_ms))
        log::runtime()->warn("{} sent {} batches again to {}", who(self->state), n, self->state.out->last_retried());
      send_frames(self);
      self->delayed_send(self, std::chrono::milliseconds(retransmit_after_ms), retransmit_atom::value);
    },
    [=](durable_atom, uint64_t pid, uint64_t, uint8_t status) {
      auto& st = self->state;
      if (status != static_cast<uint8_t>(journal::write_status::written))
        return fail(self, "the journal refused its checkpoint");
      auto* s = split_of(st, journal::index_of(pid));
      if (!s || s->pid != pid)
        return log::runtime()->warn("{} ignores a durable reply for partition {:#x}", who(st), pid);
      s->saving = false;
      save(self, *s);
      check_drained(self);
    },
    [=](pause_atom, bool paused) {
      auto& st = self->state;
      st.paused = paused;
      st.drained = false;
      if (paused)
        on_ack(self); // marks acknowledged already move on now, as no ack may follow
      else
        self->send(self, pump_atom::value);
    },
  };
}

/// Opens split `s` at the recovered checkpoint `c`. Returns what went wrong.
std::string open_split(split_index& s, const checkpoint_record& c, const source_config& cfg) {
  for (auto& p : c.channels) {
    if (p.peer >= s.outputs.channels())
      return "its checkpoint of split " + std::to_string(s.index) + " names consumer " + std::to_string(p.peer);
    s.outputs.restore(static_cast<uint32_t>(p.peer), p.seq, p.seq - 1);
  }
  s.port = std::make_unique<batch_port>(cfg.the_plan->port_offsets(0, s.index), cfg.the_plan->stage(0).flat_size);
  auto runner = cfg.stage->make_runner(*s.port, s.split);
  if (!runner)
    return runner.error().message();
  s.runner = std::move(*runner);
  if (auto err = s.runner->open(c.position))
    return err.message();
  s.finished = s.runner->finished();
  return {};
}

/// Recovers every split's checkpoint, then starts reading; greetings that
/// come meanwhile wait, as redelivery needs the recovered positions.
void start(source_actor_t* self) {
  auto& st = self->state;
  st.recovering = st.splits.size();
  for (auto& split : st.splits) {
    recover_checkpoint(
      self, st.cfg.journal_actor, split.pid,
      [=, index = split.index](uint64_t epoch, uint64_t snapshot_seq, const checkpoint_record& c) {
        auto& st = self->state;
        auto& s = *split_of(st, index);
        s.epoch = epoch;
        s.save_seq = snapshot_seq;
        std::string problem;
        try {
          problem = open_split(s, c, st.cfg);
        } catch (const std::exception& e) {
          problem = e.what();
        }
        if (!problem.empty())
          return fail(self, problem);
        log::runtime()->debug("{} resumes split {} '{}' at position '{}'", who(st), s.index, s.split, c.position);
        if (--st.recovering > 0)
          return;
        self->become(running(self));
        for (auto& g : st.early)
          st.out->greet(g);
        st.early.clear();
        for (auto& a : st.early_acks)
          apply_acks(st, a);
        st.early_acks.clear();
        self->delayed_send(self, std::chrono::milliseconds(retransmit_after_ms), retransmit_atom::value);
        pump(self);
      },
      [=](const std::string& what) { fail(self, what); });
  }
  self->become([=](greeting_msg& g) { self->state.early.push_back(std::move(g)); },
               [=](frame_ack_msg& a) { self->state.early_acks.push_back(std::move(a)); },
               takes_moved_exchanges(self));
}

caf::behavior source_behavior(source_actor_t* self, source_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  install_handlers(self, who(st));
  auto& p = *st.cfg.the_plan;
  auto& stage = p.stage(0);
  auto range = p.indexes_of(0, st.cfg.instance);
  if (range.size() == 0 || range.last >= st.cfg.splits.size()) {
    fail(self, "the plan gives it no splits");
    return {};
  }
  for (auto i = range.first; i <= range.last; ++i) {
    split_index s;
    s.index = i;
    s.split = st.cfg.splits[i];
    s.pid = journal::partition_id_of(0, i);
    s.outputs = outbox{stage.flat_size};
    st.splits.push_back(std::move(s));
  }
  st.out = std::make_unique<outbound>(p, 0, st.cfg.instance, st.cfg.epoch);
  st.pacer = watermark_pacer{st.cfg.watermark_interval_ms};
  st.series = metrics::instance_of(stage.name, st.cfg.instance, metrics::instance_role::source);
  st.credit_wait = metrics::wait_timer{st.series.backpressured_seconds};
  return caf::message_handler{
    [=](init_atom, std::vector<caf::actor>& exchanges) {
      self->state.exchanges = std::move(exchanges);
      start(self);
    }
  }.or_else(kept_until_init());
}

} // namespace

caf::actor spawn_source(caf::actor_system& sys, source_config cfg) {
  return sys.spawn<caf::detached>(source_behavior, std::move(cfg));
}

} // namespace eddy::actors
