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
#include "transport/outbound.hpp"
#include "transport/outbox.hpp"

namespace eddy::actors {

namespace {

/// A chunk boundary: the position after it and the next seq of each channel.
struct mark {
  std::string position;
  std::vector<uint64_t> next_seqs;
};

struct source_state {
  source_config cfg;
  journal::partition_id pid = 0;
  uint64_t epoch = 0;
  uint64_t save_seq = 0;
  std::unique_ptr<batch_port> port;
  std::unique_ptr<dataflow::source_runner> runner;
  outbox outputs;                   ///< positions and credit, by flat consumer index
  std::unique_ptr<outbound> out;    ///< frames, redelivery
  std::vector<caf::actor> exchanges;
  std::vector<greeting_msg> early;  ///< greetings that came during recovery
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

void pump(source_actor_t* self) {
  auto& st = self->state;
  if (st.ended)
    return;
  if (st.outputs.bytes() >= st.cfg.window_bytes) {
    st.waiting_for_credit = true;
    return;
  }
  st.waiting_for_credit = false;
  expected<size_t> n = size_t{0};
  try {
    n = st.runner->pump(st.cfg.chunk);
  } catch (const std::exception& e) {
    return fail(self, std::string{"a step of the source's chain threw: "} + e.what());
  }
  if (!n)
    return fail(self, n.error().message());
  st.values_read += *n;
  if (auto now = steady_ms(); now - st.last_report_ms >= 1000) {
    st.last_report_ms = now;
    self->send(st.cfg.job, progress_atom::value, st.values_read);
  }
  auto wm = st.port->watermark();
  st.port->take([&](uint32_t target, dataflow::record_batch&& b) {
    st.outputs.assign(target, b);
    b.watermark = wm;
    auto ptr = std::make_shared<const dataflow::record_batch>(std::move(b));
    st.outputs.sent(target, ptr);
    st.out->add(st.cfg.instance, target, ptr);
  });
  st.out->watermark(st.cfg.instance, wm);
  mark m{st.runner->position(), {}};
  for (uint32_t t = 0; t < st.outputs.channels(); ++t)
    m.next_seqs.push_back(st.outputs.next_seq(t));
  st.marks.push_back(std::move(m));
  if (st.runner->finished()) {
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
      self->state.out->retransmit(steady_ms(), retransmit_after_ms);
      send_frames(self, false);
      self->delayed_send(self, std::chrono::milliseconds(retransmit_after_ms), retransmit_atom::value);
    },
    [=](durable_atom, uint64_t, uint64_t, uint8_t status) {
      auto& st = self->state;
      if (status != static_cast<uint8_t>(journal::write_status::written))
        return fail(self, "the journal refused its checkpoint");
      st.saving = false;
      save(self);
    },
  };
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
      if (auto err = st.runner->open(c.position))
        return fail(self, err.message());
      log::runtime()->debug("{} resumes at position '{}'", who(st), c.position);
      self->become(running(self));
      for (auto& g : st.early)
        st.out->greet(g);
      st.early.clear();
      self->delayed_send(self, std::chrono::milliseconds(retransmit_after_ms), retransmit_atom::value);
      pump(self);
    },
    [=](const std::string& what) { fail(self, what); });
  self->become([=](greeting_msg& g) { self->state.early.push_back(std::move(g)); });
}

caf::behavior source_behavior(source_actor_t* self, source_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  install_handlers(self, who(st));
  auto& stage = st.cfg.the_plan->stage(0);
  st.pid = journal::partition_id_of(0, st.cfg.instance);
  std::vector<uint32_t> offsets;
  for (auto& e : stage.outputs)
    offsets.push_back(e.first);
  st.port = std::make_unique<batch_port>(std::move(offsets), stage.flat_size);
  st.outputs = outbox{stage.flat_size};
  st.out = std::make_unique<outbound>(*st.cfg.the_plan, 0, st.cfg.instance);
  try {
    st.runner = st.cfg.stage->make_runner(*st.port);
  } catch (const std::exception& e) {
    fail(self, e.what());
    return {};
  }
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
