#include "sink_actor.hpp"

#include "actor_support.hpp"
#include "checkpoint_recovery.hpp"
#include "eddy/journal/sqlite_journal.hpp"
#include "logging.hpp"
#include "protocol.hpp"
#include "until_init.hpp"
#include "metrics/link_bytes.hpp"
#include "records_codec.hpp"
#include "send_upstream.hpp"
#include "transport/inbound.hpp"

namespace eddy::actors {

namespace {

struct sink_state {
  sink_config cfg;
  journal::partition_id pid = 0;
  uint64_t epoch = 0;
  uint64_t save_seq = 0;
  std::unique_ptr<dataflow::sink_runner> runner;
  std::unique_ptr<inbound> in;
  std::vector<caf::actor> exchanges;
  std::vector<channel_in> inputs;     ///< by producer index
  std::vector<uint64_t> durable_hw;   ///< by producer index: committed and acked
  std::vector<uint64_t> saving_hw;    ///< marks in the checkpoint being saved
  bool ended = false;                 ///< every producer instance ended
  bool dirty = false;                 ///< written since the last commit
  bool saving = false;
  bool group_scheduled = false;
  bool done = false;
  uint64_t written = 0;
  uint64_t uncommitted = 0; ///< records written since the last commit
  metrics::instance_metrics series;
  static inline const char* name = "sink";
};

using sink_actor_t = caf::stateful_actor<sink_state>;

std::string who(const sink_state& st) {
  return "sink " + st.cfg.stage->name + "#" + std::to_string(st.cfg.instance);
}

void fail(sink_actor_t* self, const std::string& what) {
  auto& st = self->state;
  auto text = who(st) + " failed: " + what;
  log::runtime()->error("{}", text);
  self->send(st.cfg.job, failed_atom::value, text);
  self->quit(caf::make_error(caf::sec::runtime_error, text));
}

/// Sends greetings and acks gathered in the inbound side upstream.
void send_upstream(sink_actor_t* self) {
  auto& st = self->state;
  actors::send_upstream(self, *st.in, st.exchanges, *st.cfg.counters, st.cfg.stage_index);
}

void check_done(sink_actor_t* self) {
  auto& st = self->state;
  if (st.done || !st.ended || st.dirty || st.saving || st.group_scheduled)
    return;
  st.done = true;
  self->send(st.cfg.job, done_atom::value, st.written);
}

void schedule_group(sink_actor_t* self) {
  if (!self->state.group_scheduled) {
    self->state.group_scheduled = true;
    self->send(self, close_group_atom::value);
  }
}

/// Commits what was written and saves position and marks to the journal.
void close_group(sink_actor_t* self) {
  auto& st = self->state;
  st.group_scheduled = false;
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
  st.series.records_out->add(static_cast<double>(st.uncommitted));
  st.uncommitted = 0;
  st.dirty = false;
  st.saving = true;
  self->send(st.cfg.journal_actor, save_atom::value, st.pid, st.epoch, ++st.save_seq, encode(c));
}

/// Writes the new records of one delivery.
void write(sink_actor_t* self, const deliver_msg& d) {
  auto& st = self->state;
  for (auto& ib : d.batches) {
    if (ib.producer >= st.inputs.size())
      continue;
    auto& b = *ib.batch;
    auto& in = st.inputs[ib.producer];
    auto v = in.check(b.first_seq, b.count);
    if (!v.apply) {
      if (b.first_seq > in.hw() + 1)
        st.in->resend(st.cfg.instance, {ib.producer, in.hw()});
      else if (st.durable_hw[ib.producer] >= b.last_seq())
        st.in->acks({st.cfg.instance, {{ib.producer, st.durable_hw[ib.producer]}}});
      continue;
    }
    uint32_t i = 0;
    eddy::error err;
    b.for_each([&](uint64_t, const dataflow::record_view& r) {
      if (i++ >= v.skip && !err) {
        err = st.runner->write(r);
        ++st.written;
        ++st.uncommitted;
      }
    });
    if (err)
      return fail(self, err.message());
    st.series.records_in->add(b.count - v.skip);
    in.hw(b.last_seq());
    st.dirty = true;
  }
  st.ended = st.ended || d.end;
  schedule_group(self);
}

caf::behavior running(sink_actor_t* self) {
  return {
    [=](frame_msg& f) {
      auto& st = self->state;
      metrics::frame_received(f, self->current_sender(), self->node());
      take_frame(self, *st.in, st.exchanges, *st.cfg.the_plan, std::move(f));
      // A sink has no event-time clock: it writes what arrives, and ignores watermarks.
      st.in->take_deliveries(false, steady_ms(), [&](uint32_t, deliver_msg&& d) { write(self, d); });
      send_upstream(self);
    },
    [=](close_group_atom) { close_group(self); },
    takes_moved_exchanges(self),
    [=](retransmit_atom) {
      regreet_overdue(*self->state.in, who(self->state));
      send_upstream(self);
      self->delayed_send(self, std::chrono::milliseconds(retransmit_after_ms), retransmit_atom::value);
    },
    [=](durable_atom, uint64_t, uint64_t, uint8_t status) {
      auto& st = self->state;
      if (status != static_cast<uint8_t>(journal::write_status::written))
        return fail(self, "the journal refused its checkpoint");
      st.saving = false;
      acks_msg acks{st.cfg.instance, {}};
      for (uint32_t i = 0; i < st.inputs.size(); ++i) {
        if (st.saving_hw[i] > st.durable_hw[i]) {
          st.durable_hw[i] = st.saving_hw[i];
          acks.acks.push_back({i, st.durable_hw[i]});
        }
      }
      st.in->acks(acks);
      send_upstream(self);
      if (st.dirty)
        schedule_group(self);
      check_done(self);
    },
  };
}

void start(sink_actor_t* self) {
  auto& st = self->state;
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
      consumer_hello hello{st.cfg.instance, {}};
      for (auto& p : marks) {
        if (p.peer >= st.inputs.size())
          return fail(self, "its checkpoint names producer " + std::to_string(p.peer));
        st.inputs[p.peer].hw(p.seq);
        st.durable_hw[p.peer] = p.seq;
        hello.hws.push_back({static_cast<uint32_t>(p.peer), p.seq});
      }
      st.in->hello(std::move(hello));
      send_upstream(self);
      self->become(running(self));
      self->delayed_send(self, std::chrono::milliseconds(retransmit_after_ms), retransmit_atom::value);
    },
    [=](const std::string& what) { fail(self, what); });
  // Frames before its greeting are redelivered after it.
  self->become([](frame_msg&) {}, takes_moved_exchanges(self));
}

caf::behavior sink_behavior(sink_actor_t* self, sink_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.series = metrics::instance_of(st.cfg.the_plan->stage(st.cfg.stage_index).name, st.cfg.instance,
                                   metrics::instance_role::sink);
  install_handlers(self, who(st));
  auto& p = *st.cfg.the_plan;
  st.pid = journal::partition_id_of(st.cfg.stage_index, st.cfg.instance);
  st.in = std::make_unique<inbound>(p, st.cfg.stage_index, st.cfg.instance, 0, steady_ms(), st.cfg.epoch);
  auto producers = p.stage(st.in->producer_stage()).indexes;
  st.inputs.resize(producers);
  st.durable_hw.resize(producers);
  auto runner = st.cfg.stage->make_runner(st.cfg.instance, st.cfg.the_plan->stage(st.cfg.stage_index).instances);
  if (!runner) {
    fail(self, runner.error().message());
    return {};
  }
  st.runner = std::move(*runner);
  return caf::message_handler{
    [=](init_atom, std::vector<caf::actor>& exchanges) {
      self->state.exchanges = std::move(exchanges);
      start(self);
    }
  }.or_else(kept_until_init());
}

} // namespace

caf::actor spawn_sink(caf::actor_system& sys, sink_config cfg) {
  return sys.spawn<caf::detached>(sink_behavior, std::move(cfg));
}

} // namespace eddy::actors
