#include "sink_actor.hpp"

#include "checkpoint_recovery.hpp"
#include "directory.hpp"
#include "logging.hpp"
#include "protocol.hpp"
#include "records_codec.hpp"

namespace eddy::actors {

namespace {

struct sink_state {
  sink_config cfg;
  journal::partition_id pid = 0;
  uint64_t epoch = 0;
  uint64_t save_seq = 0;
  std::unique_ptr<dataflow::sink_runner> runner;
  std::vector<channel_in> inputs;     ///< by producer index
  std::vector<uint64_t> durable_hw;   ///< by producer index: committed and acked
  std::vector<uint64_t> saving_hw;    ///< marks in the checkpoint being saved
  bool dirty = false;                 ///< written since the last commit
  bool saving = false;
  bool flush_scheduled = false;
  bool done = false;
  uint64_t written = 0;
  static inline const char* name = "sink";
};

using sink_actor_t = caf::stateful_actor<sink_state>;

using journal::index_of;

void fail(sink_actor_t* self, const std::string& what) {
  auto& st = self->state;
  auto text = "sink " + st.cfg.stage->name + " failed: " + what;
  log::runtime()->error("{}", text);
  self->send(st.cfg.job, failed_atom::value, text);
  self->quit(caf::make_error(caf::sec::runtime_error, text));
}

caf::actor producer(sink_state& st, uint32_t index) {
  return st.cfg.dir->get(st.cfg.producer_stage, index);
}

void check_done(sink_actor_t* self) {
  auto& st = self->state;
  if (st.done || st.dirty || st.saving || st.flush_scheduled)
    return;
  for (auto& in : st.inputs)
    if (!in.ended)
      return;
  st.done = true;
  self->send(st.cfg.job, done_atom::value, st.written);
}

void schedule_flush(sink_actor_t* self) {
  if (!self->state.flush_scheduled) {
    self->state.flush_scheduled = true;
    self->send(self, flush_atom::value);
  }
}

/// Commits what was written and saves position and marks to the journal.
void flush(sink_actor_t* self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (!st.dirty || st.saving)
    return check_done(self);
  // The marks go to the sink with its data (a transactional sink stores
  // them in the same transaction) and then to the journal with its position.
  checkpoint_record c;
  sink_marks marks;
  st.saving_hw.resize(st.inputs.size());
  for (uint32_t i = 0; i < st.inputs.size(); ++i) {
    st.saving_hw[i] = st.inputs[i].hw();
    if (st.saving_hw[i] > 0) {
      c.channels.push_back({i, st.saving_hw[i]});
      marks.push_back({i, st.saving_hw[i]});
    }
  }
  auto position = st.runner->commit(marks);
  if (!position)
    return fail(self, position.error().message());
  c.position = std::move(*position);
  st.dirty = false;
  st.saving = true;
  self->send(st.cfg.journal_actor, save_atom::value, st.pid, st.epoch, ++st.save_seq, encode(c));
}

caf::behavior running(sink_actor_t* self) {
  return {
    [=](batch_atom, uint64_t producer_pid, uint32_t, const batch_ptr& b) {
      auto& st = self->state;
      auto idx = index_of(producer_pid);
      if (idx >= st.inputs.size())
        return;
      auto& in = st.inputs[idx];
      auto v = in.check(b->first_seq, b->count);
      if (!v.apply) {
        if (st.durable_hw[idx] >= b->last_seq())
          self->send(producer(st, idx), ack_atom::value, st.pid, st.durable_hw[idx]);
        return;
      }
      uint32_t i = 0;
      eddy::error err;
      b->for_each([&](uint64_t, const dataflow::record_view& r) {
        if (i++ >= v.skip && !err) {
          err = st.runner->write(r);
          ++st.written;
        }
      });
      if (err)
        return fail(self, err.message());
      in.hw(b->last_seq());
      st.dirty = true;
      schedule_flush(self);
    },
    [=](end_atom, uint64_t producer_pid, uint32_t, uint64_t first_seq) {
      auto& st = self->state;
      auto idx = index_of(producer_pid);
      if (idx < st.inputs.size() && st.inputs[idx].accepts_end(first_seq))
        st.inputs[idx].ended = true;
      schedule_flush(self);
    },
    [=](flush_atom) { flush(self); },
    [=](watermark_atom, uint64_t, uint32_t, int64_t, uint64_t) {
      // A sink has no event-time clock: it writes what arrives.
    },
    [=](durable_atom, uint64_t, uint64_t, uint8_t status) {
      auto& st = self->state;
      if (status != static_cast<uint8_t>(journal::write_status::written))
        return fail(self, "the journal refused its checkpoint");
      st.saving = false;
      for (uint32_t i = 0; i < st.inputs.size(); ++i) {
        if (st.saving_hw[i] > st.durable_hw[i]) {
          st.durable_hw[i] = st.saving_hw[i];
          self->send(producer(st, i), ack_atom::value, st.pid, st.durable_hw[i]);
        }
      }
      if (st.dirty)
        schedule_flush(self);
      check_done(self);
    },
  };
}

caf::behavior sink_behavior(sink_actor_t* self, sink_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.pid = journal::partition_id_of(st.cfg.stage_index, 0);
  st.inputs.resize(st.cfg.producers);
  st.durable_hw.resize(st.cfg.producers);
  auto runner = st.cfg.stage->make_runner(0, 1);
  if (!runner) {
    fail(self, runner.error().message());
    return {};
  }
  st.runner = std::move(*runner);
  recover_checkpoint(
    self, st.cfg.journal_actor, st.pid,
    [=](uint64_t epoch, uint64_t snapshot_seq, const checkpoint_record& c) {
      auto& st = self->state;
      st.epoch = epoch;
      st.save_seq = snapshot_seq;
      auto opened = st.runner->open(c.position);
      if (!opened)
        return fail(self, opened.error().message());
      // A sink that keeps its marks in its target is authoritative: its
      // transaction committed before the journal's checkpoint, so it may be
      // ahead of the journal (DESIGN.md invariant 5).
      std::vector<position> marks = c.channels;
      if (*opened) {
        marks.clear();
        for (auto& m : **opened)
          marks.push_back({m.channel, m.seq});
      }
      for (auto& p : marks) {
        if (p.channel >= st.inputs.size())
          return fail(self, "its checkpoint names producer " + std::to_string(p.channel));
        st.inputs[p.channel].hw(p.seq);
        st.durable_hw[p.channel] = p.seq;
      }
      for (uint32_t i = 0; i < st.inputs.size(); ++i)
        self->send(producer(st, i), hello_atom::value, st.pid, st.inputs[i].hw());
      self->become(running(self));
    },
    [=](const std::string& what) { fail(self, what); });
  return {[](idle_atom) {}};
}

} // namespace

caf::actor spawn_sink(caf::actor_system& sys, sink_config cfg) {
  return sys.spawn<caf::detached>(sink_behavior, std::move(cfg));
}

} // namespace eddy::actors
