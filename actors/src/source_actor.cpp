#include "source_actor.hpp"

#include <chrono>
#include <deque>

#include "batch_port.hpp"
#include "checkpoint_recovery.hpp"
#include "directory.hpp"
#include "logging.hpp"
#include "protocol.hpp"
#include "records_codec.hpp"
#include "split_positions.hpp"

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
  journal::partition_id pid = journal::partition_id_of(0, 0);
  uint64_t epoch = 0;
  uint64_t save_seq = 0;
  uint32_t desired = 1;             ///< the hint the splits were enumerated for
  std::vector<split_reader> splits; ///< all read here, round-robin
  uint64_t turn = 0;                ///< values per split and turn (several splits)
  size_t next_split = 0;            ///< whose turn is next
  std::vector<channel_out> outputs;
  std::vector<int64_t> sent_watermark; ///< by consumer: the last watermark it was sent
  std::deque<mark> marks;           ///< boundaries not yet fully acknowledged
  std::optional<mark> committable;  ///< newest fully acknowledged, not saved yet
  bool saving = false;
  bool waiting_for_credit = false;
  bool ended = false;
  /// A fresh start of several splits: their layout (hint, turn) is being
  /// saved before the first value, see source_behavior.
  bool layout_pending = false;
  uint64_t values_read = 0;  ///< in this run, for progress reports
  std::chrono::steady_clock::time_point last_watermark_only{}; ///< see pump()
  std::chrono::steady_clock::time_point last_report = std::chrono::steady_clock::now();
  static inline const char* name = "source";
};

using source_actor_t = caf::stateful_actor<source_state>;

void fail(source_actor_t* self, const std::string& what) {
  auto& st = self->state;
  auto text = "source " + st.cfg.stage->name + " failed: " + what;
  log::runtime()->error("{}", text);
  self->send(st.cfg.job, failed_atom::value, text);
  self->quit(caf::make_error(caf::sec::runtime_error, text));
}

caf::actor consumer(source_state& st, uint32_t target) {
  return st.cfg.routes.consumer(*st.cfg.dir, target);
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
  self->send(st.cfg.journal_actor, save_atom::value, st.pid, st.epoch, ++st.save_seq,
             encode(c));
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
  size_t total = 0;
  for (auto& o : st.outputs) {
    total += o.unacked_bytes();
    if (!o.has_credit(channel_window_bytes) || total >= source_window_bytes) {
      st.waiting_for_credit = true;
      return;
    }
  }
  st.waiting_for_credit = false;
  // Round-robin over the splits still reading, `turn` values each. The
  // splits share this actor's channels, so a replay must interleave them
  // exactly as before: the cursor and turn are in the checkpoint, and a
  // split's read(turn) must deliver min(turn, what is left) (bounded,
  // deterministic readers; one actor per split will lift this).
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
  if (auto now = std::chrono::steady_clock::now(); now - st.last_report >= std::chrono::seconds(1)) {
    st.last_report = now;
    self->send(st.cfg.job, progress_atom::value, st.values_read);
  }
  auto wm = watermark_of(st);
  split.port->take([&](uint32_t target, dataflow::record_batch&& b) {
    st.outputs[target].assign(b);
    b.watermark = wm;
    st.sent_watermark[target] = wm;
    auto ptr = std::make_shared<const dataflow::record_batch>(std::move(b));
    st.outputs[target].sent(ptr);
    self->send(consumer(st, target), batch_atom::value, st.pid, target, ptr);
  });
  // Consumers that got no batch hear of the watermark at most once per
  // interval (a later pump sends it): a source whose event time moves every
  // millisecond would otherwise message every partition every millisecond.
  auto now = std::chrono::steady_clock::now();
  if (now - st.last_watermark_only >= std::chrono::milliseconds(st.cfg.watermark_interval_ms)) {
    bool sent = false;
    for (uint32_t t = 0; t < st.outputs.size(); ++t) {
      if (wm > st.sent_watermark[t]) {
        st.sent_watermark[t] = wm;
        self->send(consumer(st, t), watermark_atom::value, st.pid, t, wm, st.outputs[t].next_seq());
        sent = true;
      }
    }
    if (sent)
      st.last_watermark_only = now;
  }
  mark m{position_of(st), {}};
  for (auto& o : st.outputs)
    m.next_seqs.push_back(o.next_seq());
  st.marks.push_back(std::move(m));
  bool all_finished = true;
  for (auto& s : st.splits)
    all_finished = all_finished && s.finished;
  if (all_finished) {
    st.ended = true;
    for (uint32_t t = 0; t < st.outputs.size(); ++t) {
      st.outputs[t].end_sent = true;
      self->send(consumer(st, t), end_atom::value, st.pid, t, st.outputs[t].next_seq());
    }
    log::runtime()->debug("source {} reached its end", st.cfg.stage->name);
    return;
  }
  self->send(self, pump_atom::value);
}

void on_ack(source_actor_t* self) {
  auto& st = self->state;
  while (!st.marks.empty()) {
    auto& m = st.marks.front();
    bool done = true;
    for (uint32_t t = 0; t < st.outputs.size() && done; ++t)
      done = st.outputs[t].acked() + 1 >= m.next_seqs[t];
    if (!done)
      break;
    st.committable = std::move(m);
    st.marks.pop_front();
  }
  save(self);
  if (st.waiting_for_credit)
    pump(self);
}

caf::behavior running(source_actor_t* self) {
  return {
    [=](pump_atom) { pump(self); },
    [=](ack_atom, uint64_t consumer_pid, uint64_t seq) {
      auto target = self->state.cfg.routes.flat_of(consumer_pid);
      if (target < self->state.outputs.size()) {
        self->state.outputs[target].ack(seq);
        on_ack(self);
      }
    },
    [=](hello_atom, uint64_t consumer_pid, uint64_t hw) {
      auto& st = self->state;
      auto target = st.cfg.routes.flat_of(consumer_pid);
      if (target >= st.outputs.size())
        return;
      for (auto& b : st.outputs[target].unacked_after(hw))
        self->send(consumer(st, target), batch_atom::value, st.pid, target, b);
      if (st.sent_watermark[target] > min_time)
        self->send(consumer(st, target), watermark_atom::value, st.pid, target,
                   st.sent_watermark[target], st.outputs[target].next_seq());
      if (st.outputs[target].end_sent)
        self->send(consumer(st, target), end_atom::value, st.pid, target,
                   st.outputs[target].next_seq());
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
  for (size_t i = 0; i < names->size(); ++i) {
    split_reader r;
    r.split = (*names)[i];
    r.port = std::make_unique<batch_port>(st.cfg.routes.offsets(), st.cfg.routes.size());
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

caf::behavior source_behavior(source_actor_t* self, source_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.outputs.resize(st.cfg.routes.size());
  st.sent_watermark.resize(st.cfg.routes.size(), min_time);
  recover_checkpoint(
    self, st.cfg.journal_actor, st.pid,
    [=](uint64_t epoch, uint64_t snapshot_seq, const checkpoint_record& c) {
      auto& st = self->state;
      st.epoch = epoch;
      st.save_seq = snapshot_seq;
      for (auto& p : c.channels) {
        if (p.channel >= st.outputs.size())
          return fail(self, "its checkpoint names consumer " + std::to_string(p.channel));
        st.outputs[p.channel].restore(p.seq, p.seq - 1);
      }
      std::string problem;
      try {
        problem = open_splits(st, c.position);
      } catch (const std::exception& e) {
        problem = e.what();
      }
      if (!problem.empty())
        return fail(self, problem);
      log::runtime()->debug("source {} resumes {} splits at position '{}'", st.cfg.stage->name,
                            st.splits.size(), c.position);
      self->become(running(self));
      if (c.position.empty() && is_split_positions(position_of(st))) {
        // Consumers keep marks of what they saw (a transactional sink keeps
        // them even if this source never saved a checkpoint), so the split
        // layout that assigns every seq must be durable before the first
        // one: a restart at another parallelism must not deal them anew.
        st.layout_pending = true;
        st.committable = mark{position_of(st), std::vector<uint64_t>(st.outputs.size(), 1)};
        save(self);
        return;
      }
      pump(self);
    },
    [=](const std::string& what) { fail(self, what); });
  return {[](idle_atom) {}};
}

} // namespace

caf::actor spawn_source(caf::actor_system& sys, source_config cfg) {
  return sys.spawn<caf::detached>(source_behavior, std::move(cfg));
}

} // namespace eddy::actors
