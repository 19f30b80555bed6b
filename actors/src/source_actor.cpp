#include "source_actor.hpp"

#include <chrono>
#include <deque>

#include "batch_port.hpp"
#include "checkpoint_recovery.hpp"
#include "directory.hpp"
#include "logging.hpp"
#include "protocol.hpp"
#include "records_codec.hpp"

namespace eddy::actors {

namespace {

/// A chunk boundary: the position after it and the next seq of each channel.
struct mark {
  std::string position;
  std::vector<uint64_t> next_seqs;
};

struct source_state {
  source_config cfg;
  journal::partition_id pid = journal::partition_id_of(0, 0);
  uint64_t epoch = 0;
  uint64_t save_seq = 0;
  std::unique_ptr<batch_port> port;
  std::unique_ptr<dataflow::source_runner> runner;
  std::vector<channel_out> outputs;
  std::vector<int64_t> sent_watermark; ///< by consumer: the last watermark it was sent
  std::deque<mark> marks;           ///< boundaries not yet fully acknowledged
  std::optional<mark> committable;  ///< newest fully acknowledged, not saved yet
  bool saving = false;
  bool waiting_for_credit = false;
  bool ended = false;
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

void pump(source_actor_t* self) {
  auto& st = self->state;
  if (st.ended)
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
  expected<size_t> n = size_t{0};
  try {
    n = st.runner->pump(st.cfg.chunk);
  } catch (const std::exception& e) {
    return fail(self, std::string{"a step of the source's chain threw: "} + e.what());
  }
  if (!n)
    return fail(self, n.error().message());
  st.values_read += *n;
  if (auto now = std::chrono::steady_clock::now(); now - st.last_report >= std::chrono::seconds(1)) {
    st.last_report = now;
    self->send(st.cfg.job, progress_atom::value, st.values_read);
  }
  auto wm = st.port->watermark();
  st.port->take([&](uint32_t target, dataflow::record_batch&& b) {
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
  mark m{st.runner->position(), {}};
  for (auto& o : st.outputs)
    m.next_seqs.push_back(o.next_seq());
  st.marks.push_back(std::move(m));
  if (st.runner->finished()) {
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
    },
  };
}

caf::behavior source_behavior(source_actor_t* self, source_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.port = std::make_unique<batch_port>(st.cfg.routes.offsets(), st.cfg.routes.size());
  st.outputs.resize(st.cfg.routes.size());
  st.sent_watermark.resize(st.cfg.routes.size(), min_time);
  try {
    st.runner = st.cfg.stage->make_runner(*st.port);
  } catch (const std::exception& e) {
    fail(self, e.what());
    return {};
  }
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
      if (auto err = st.runner->open(c.position))
        return fail(self, err.message());
      log::runtime()->debug("source {} resumes at position '{}'", st.cfg.stage->name, c.position);
      self->become(running(self));
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
