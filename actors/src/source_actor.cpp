#include "source_actor.hpp"

#include <chrono>
#include <deque>

#include "actor_support.hpp"
#include "batch_port.hpp"
#include "checkpoint_recovery.hpp"
#include "eddy/journal/sqlite_journal.hpp"
#include "logging.hpp"
#include "protocol.hpp"
#include "records_codec.hpp"
#include "split_positions.hpp"
#include "transport/outbound.hpp"
#include "transport/outbox.hpp"

namespace eddy::actors {

namespace {

/// A chunk boundary: the position after it and the next seq of each channel.
struct mark {
  std::string position;
  std::vector<uint64_t> next_seqs;
};

/// One split of the source: its runner with a port of its own, so that its
/// chain keeps its own state and proposes its own watermark.
struct split_reader {
  std::string split;
  std::unique_ptr<batch_port> port;
  std::unique_ptr<dataflow::source_runner> runner;
  bool finished = false;
};

struct source_state {
  source_config cfg;
  journal::partition_id pid = 0;
  uint64_t epoch = 0;
  uint64_t save_seq = 0;
  uint32_t desired = 1;             ///< the hint the splits were enumerated for
  std::vector<split_reader> splits; ///< all read here, round-robin
  uint64_t turn = 0;                ///< values per split and turn (several splits)
  size_t next_split = 0;            ///< whose turn is next
  /// A fresh start of several splits: their layout (hint, turn) is being
  /// saved before the first value, see start().
  bool layout_pending = false;
  outbox outputs;                   ///< positions and credit, by flat consumer index
  std::unique_ptr<outbound> out;    ///< frames, redelivery
  std::vector<caf::actor> exchanges;
  std::vector<greeting_msg> early;  ///< greetings that came during recovery
  std::vector<frame_ack_msg> early_acks; ///< a consumer's hello acks its marks, maybe that early
  std::deque<mark> marks;           ///< boundaries not yet fully acknowledged
  std::optional<mark> committable;  ///< newest fully acknowledged, not saved yet
  bool saving = false;
  bool waiting_for_credit = false;
  bool ended = false;
  uint64_t values_read = 0;  ///< in this run, for progress reports
  int64_t last_watermarks_ms = 0;
  bool watermark_scheduled = false;
  int64_t last_report_ms = steady_ms();
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
void send_frames(source_actor_t* self, bool timer) {
  auto& st = self->state;
  auto now = steady_ms();
  bool due = now - st.last_watermarks_ms >= st.cfg.watermark_interval_ms;
  bool held = st.out->take(due, now, [&](uint32_t ex, frame_msg&& f) {
    log::runtime()->trace("{} frame to {}: {} batches, {} answers, wm {}, end {}", who(st), ex, f.batches.size(), f.answers.size(), f.watermark, f.end);
    self->send(st.exchanges[ex], std::move(f));
  });
  if (due)
    st.last_watermarks_ms = now;
  if (held && (!st.watermark_scheduled || timer)) {
    st.watermark_scheduled = true;
    self->delayed_send(self, std::chrono::milliseconds(st.cfg.watermark_interval_ms), wmflush_atom::value);
  } else if (timer) {
    st.watermark_scheduled = false;
  }
}

void save(source_actor_t* self) {
  auto& st = self->state;
  if (st.saving || !st.committable)
    return;
  checkpoint_record c;
  c.position = st.committable->position;
  for (uint32_t t = 0; t < st.committable->next_seqs.size(); ++t)
    if (st.committable->next_seqs[t] > 1)
      c.channels.push_back({t, st.committable->next_seqs[t]});
  st.committable.reset();
  st.saving = true;
  self->send(st.cfg.journal_actor, save_atom::value, st.pid, st.epoch, ++st.save_seq, encode(c));
}

/// The position of all splits: a plain split position for a source without
/// splits (the format from before splits), else split positions.
std::string position_of(const source_state& st) {
  if (st.splits.size() == 1 && st.splits[0].split.empty())
    return st.splits[0].runner->position();
  split_positions sp;
  sp.desired = st.desired;
  sp.turn = st.turn;
  sp.next = st.next_split;
  for (auto& s : st.splits)
    sp.splits.emplace_back(s.split, s.runner->position());
  return encode(sp);
}

/// The minimum over the splits still reading (each split's timestamps only
/// bound its own data); once all have ended, the highest any proposed.
int64_t watermark_of(const source_state& st) {
  int64_t low = max_time, high = min_time;
  for (auto& s : st.splits) {
    high = std::max(high, s.port->watermark());
    if (!s.finished)
      low = std::min(low, s.port->watermark());
  }
  return low == max_time ? high : low;
}

void pump(source_actor_t* self) {
  auto& st = self->state;
  if (st.ended || st.layout_pending)
    return;
  if (st.outputs.bytes() >= st.cfg.window_bytes) {
    st.waiting_for_credit = true;
    return;
  }
  st.waiting_for_credit = false;
  // Round-robin over the splits still reading, `turn` values each. The
  // splits share this actor's channels, so a replay must interleave them
  // exactly as before: the cursor and turn are in the checkpoint, and a
  // split's read(turn) must deliver min(turn, what is left).
  size_t k = st.next_split % st.splits.size();
  for (size_t i = 0; i < st.splits.size() && st.splits[k].finished; ++i)
    k = (k + 1) % st.splits.size();
  st.next_split = (k + 1) % st.splits.size();
  auto& split = st.splits[k];
  expected<size_t> n = size_t{0};
  try {
    if (!split.finished)
      n = split.runner->pump(st.splits.size() == 1 ? st.cfg.chunk : st.turn);
  } catch (const std::exception& e) {
    return fail(self, std::string{"a step of the source's chain threw: "} + e.what());
  }
  if (!n)
    return fail(self, n.error().message());
  split.finished = split.runner->finished();
  st.values_read += *n;
  if (auto now = steady_ms(); now - st.last_report_ms >= 1000) {
    st.last_report_ms = now;
    self->send(st.cfg.job, progress_atom::value, st.values_read);
  }
  auto wm = watermark_of(st);
  split.port->take([&](uint32_t target, dataflow::record_batch&& b) {
    st.outputs.assign(target, b);
    b.watermark = wm;
    auto ptr = std::make_shared<const dataflow::record_batch>(std::move(b));
    st.outputs.sent(target, ptr);
    st.out->add(st.cfg.instance, target, ptr);
  });
  st.out->watermark(st.cfg.instance, wm);
  mark m{position_of(st), {}};
  for (uint32_t t = 0; t < st.outputs.channels(); ++t)
    m.next_seqs.push_back(st.outputs.next_seq(t));
  st.marks.push_back(std::move(m));
  bool all_finished = true;
  for (auto& s : st.splits)
    all_finished = all_finished && s.finished;
  if (all_finished) {
    st.ended = true;
    st.out->ended(st.cfg.instance, true);
    log::runtime()->debug("{} reached its end", who(st));
  } else {
    self->send(self, pump_atom::value);
  }
  send_frames(self, false);
}

void on_ack(source_actor_t* self) {
  auto& st = self->state;
  while (!st.marks.empty()) {
    auto& m = st.marks.front();
    bool done = true;
    for (uint32_t t = 0; t < st.outputs.channels() && done; ++t)
      done = st.outputs.acked(t) + 1 >= m.next_seqs[t];
    if (!done)
      break;
    st.committable = std::move(m);
    st.marks.pop_front();
  }
  save(self);
  send_frames(self, false); // the end goes out once everything is acknowledged
  if (st.waiting_for_credit)
    pump(self);
}

caf::behavior running(source_actor_t* self) {
  return {
    [=](pump_atom) { pump(self); },
    [=](frame_ack_msg& a) {
      auto& st = self->state;
      st.out->ack(a, steady_ms(), [&](uint32_t, uint32_t flat, uint64_t seq) { st.outputs.ack(flat, seq); });
      on_ack(self);
    },
    [=](greeting_msg& g) {
      self->state.out->greet(g);
      send_frames(self, false);
    },
    [=](wmflush_atom) { send_frames(self, true); },
    [=](retransmit_atom) {
      if (auto n = self->state.out->retransmit(steady_ms(), retransmit_after_ms))
        log::runtime()->warn("{} sent {} batches again: their links were silent for {} ms", who(self->state), n, retransmit_after_ms);
      send_frames(self, false);
      self->delayed_send(self, std::chrono::milliseconds(retransmit_after_ms), retransmit_atom::value);
    },
    [=](durable_atom, uint64_t, uint64_t, uint8_t status) {
      auto& st = self->state;
      if (status != static_cast<uint8_t>(journal::write_status::written))
        return fail(self, "the journal refused its checkpoint");
      st.saving = false;
      save(self);
      if (st.layout_pending) {
        st.layout_pending = false;
        pump(self);
      }
    },
  };
}

/// Makes the readers of the source's splits and opens them at the recovered
/// position: split positions, a plain position (one split, or a checkpoint
/// from before splits) or nothing (a fresh job). Returns what went wrong.
std::string open_splits(source_state& st, const std::string& position) {
  std::optional<split_positions> stored;
  st.desired = std::max<uint32_t>(st.cfg.split_hint, 1);
  if (is_split_positions(position)) {
    stored = decode_split_positions(position);
    if (!stored)
      return "its checkpoint's split positions are corrupt";
    st.desired = stored->desired; // the same list as before, whatever the hint now
  }
  st.turn = stored ? stored->turn : std::max<uint64_t>(st.cfg.chunk, 1);
  st.next_split = stored ? stored->next : 0;
  auto names = st.cfg.stage->splits(st.desired);
  if (!names)
    return names.error().message();
  if (names->empty())
    return "it has no splits";
  if (stored) {
    bool same = stored->splits.size() == names->size();
    for (size_t i = 0; same && i < names->size(); ++i)
      same = stored->splits[i].first == (*names)[i];
    if (!same)
      return "its splits differ from those of its checkpoint (" + std::to_string(names->size())
             + " now, " + std::to_string(stored->splits.size())
             + " then): its input or configuration changed";
  } else if (!position.empty() && names->size() != 1) {
    return "its checkpoint holds one position but it now has " + std::to_string(names->size())
           + " splits";
  }
  auto& stage = st.cfg.the_plan->stage(0);
  std::vector<uint32_t> offsets;
  for (auto& e : stage.outputs)
    offsets.push_back(e.first);
  for (size_t i = 0; i < names->size(); ++i) {
    split_reader r;
    r.split = (*names)[i];
    r.port = std::make_unique<batch_port>(offsets, stage.flat_size);
    auto runner = st.cfg.stage->make_runner(*r.port, r.split);
    if (!runner)
      return runner.error().message();
    r.runner = std::move(*runner);
    auto& at = stored ? stored->splits[i].second : position;
    if (auto err = r.runner->open(at))
      return err.message();
    r.finished = r.runner->finished();
    st.splits.push_back(std::move(r));
  }
  return {};
}

void start(source_actor_t* self) {
  auto& st = self->state;
  recover_checkpoint(
    self, st.cfg.journal_actor, st.pid,
    [=](uint64_t epoch, uint64_t snapshot_seq, const checkpoint_record& c) {
      auto& st = self->state;
      st.epoch = epoch;
      st.save_seq = snapshot_seq;
      for (auto& p : c.channels) {
        if (p.channel >= st.outputs.channels())
          return fail(self, "its checkpoint names consumer " + std::to_string(p.channel));
        st.outputs.restore(static_cast<uint32_t>(p.channel), p.seq, p.seq - 1);
      }
      std::string problem;
      try {
        problem = open_splits(st, c.position);
      } catch (const std::exception& e) {
        problem = e.what();
      }
      if (!problem.empty())
        return fail(self, problem);
      log::runtime()->debug("{} resumes {} splits at position '{}'", who(st), st.splits.size(), c.position);
      self->become(running(self));
      for (auto& g : st.early)
        st.out->greet(g);
      st.early.clear();
      for (auto& a : st.early_acks)
        st.out->ack(a, steady_ms(),
                    [&](uint32_t, uint32_t flat, uint64_t seq) { st.outputs.ack(flat, seq); });
      st.early_acks.clear();
      self->delayed_send(self, std::chrono::milliseconds(retransmit_after_ms), retransmit_atom::value);
      if (c.position.empty() && is_split_positions(position_of(st))) {
        // Consumers keep marks of what they saw (a transactional sink keeps
        // them even if this source never saved a checkpoint), so the split
        // layout that assigns every seq must be durable before the first
        // one: a restart at another parallelism must not deal them anew.
        st.layout_pending = true;
        st.committable = mark{position_of(st), std::vector<uint64_t>(st.outputs.channels(), 1)};
        save(self);
        return;
      }
      pump(self);
    },
    [=](const std::string& what) { fail(self, what); });
  self->become([=](greeting_msg& g) { self->state.early.push_back(std::move(g)); },
               [=](frame_ack_msg& a) { self->state.early_acks.push_back(std::move(a)); });
}

caf::behavior source_behavior(source_actor_t* self, source_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  install_handlers(self, who(st));
  auto& stage = st.cfg.the_plan->stage(0);
  st.pid = journal::partition_id_of(0, st.cfg.instance);
  st.outputs = outbox{stage.flat_size};
  st.out = std::make_unique<outbound>(*st.cfg.the_plan, 0, st.cfg.instance);
  return {
    [=](init_atom, std::vector<caf::actor>& exchanges) {
      self->state.exchanges = std::move(exchanges);
      start(self);
    },
  };
}

} // namespace

caf::actor spawn_source(caf::actor_system& sys, source_config cfg) {
  return sys.spawn<caf::detached>(source_behavior, std::move(cfg));
}

} // namespace eddy::actors
