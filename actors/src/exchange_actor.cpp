#include "exchange_actor.hpp"

#include "actor_support.hpp"
#include "protocol.hpp"
#include "until_init.hpp"
#include "metrics/link_bytes.hpp"
#include "send_upstream.hpp"
#include "transport/inbound.hpp"
#include "transport/outbound.hpp"
#include "transport/watermark_pacer.hpp"

namespace eddy::actors {

namespace {

struct exchange_state {
  exchange_config cfg;
  std::unique_ptr<inbound> in;
  std::unique_ptr<outbound> out;
  std::vector<caf::actor> exchanges;  ///< by plan::exchange_id
  std::vector<caf::actor> partitions; ///< by local index: the incarnation that said hello
  std::vector<uint64_t> epochs;       ///< by local index: that incarnation's epoch
  uint32_t first = 0;                 ///< first local key group
  std::vector<acked_msg> acked;       ///< by local index, sent at the group's close
  bool group_scheduled = false;
  int64_t last_close_ms = 0;
  watermark_pacer pacer; ///< watermark-only deliveries and frames
  metrics::instance_metrics series; ///< the instance's watermark
  static inline const char* name = "exchange";
};

using exchange_actor_t = caf::stateful_actor<exchange_state>;

/// An exchange closes a group at most once per linger (Flink's buffer
/// timeout, 1 ms): the outputs of one journal commit reach it as a burst
/// spread over many mailbox turns, and closing on every turn made frames
/// grow with the partitions per instance (bench_messages).
constexpr int64_t linger_ms = 1;

void schedule_group(exchange_actor_t* self) {
  auto& st = self->state;
  if (st.group_scheduled)
    return;
  st.group_scheduled = true;
  auto since = steady_ms() - st.last_close_ms;
  if (since >= linger_ms)
    self->send(self, close_group_atom::value);
  else
    self->delayed_send(self, std::chrono::milliseconds(linger_ms - since), close_group_atom::value);
}

/// Sends everything gathered since the last close: deliveries to the local
/// partitions, frames downstream, greetings and acks upstream, acked
/// positions to the partitions. Watermark-only messages at most once per interval.
void close_group(exchange_actor_t* self) {
  auto& st = self->state;
  st.group_scheduled = false;
  auto now = steady_ms();
  st.last_close_ms = now;
  bool due = st.pacer.due(now);
  bool held = st.in->take_deliveries(due, now, [&](uint32_t kg, deliver_msg&& m) {
    if (auto& p = st.partitions[kg - st.first]) {
      st.cfg.counters->sent(message_counters::delivery, st.cfg.stage);
      self->send(p, std::move(m));
    }
  });
  held = st.out->take(due, now, [&](uint32_t ex, frame_msg&& f) {
    st.cfg.counters->sent(message_counters::frame, st.cfg.stage);
    metrics::frame_sent(f, st.exchanges[ex], self->node());
    self->send(st.exchanges[ex], std::move(f));
  }) || held;
  metrics::watermark(st.series, st.out->instance_watermark());
  if (due)
    st.pacer.sent(now);
  send_upstream(self, *st.in, st.exchanges, *st.cfg.counters, st.cfg.stage);
  for (uint32_t i = 0; i < st.acked.size(); ++i) {
    if (st.acked[i].acked.empty())
      continue;
    if (st.partitions[i]) {
      st.cfg.counters->sent(message_counters::delivery, st.cfg.stage);
      self->send(st.partitions[i], std::move(st.acked[i]));
    }
    st.acked[i] = acked_msg{};
  }
  if (auto wait = held ? st.pacer.hold(now) : std::nullopt)
    self->delayed_send(self, std::chrono::milliseconds(*wait), wmflush_atom::value);
}

std::string who(const exchange_config& cfg) {
  return "exchange " + cfg.the_plan->stage(cfg.stage).name + "#" + std::to_string(cfg.instance);
}

caf::behavior running(exchange_actor_t* self) {
  auto local = [self](uint32_t kg) { return self->state.cfg.the_plan->indexes_of(self->state.cfg.stage, self->state.cfg.instance).contains(kg); };
  return {
    [=](frame_msg& f) {
      log::runtime()->trace("{} frame from {}#{}: {} batches, {} answers, wm {}, end {}", who(self->state.cfg), f.producer_stage, f.producer_instance, f.batches.size(), f.answers.size(), f.watermark, f.end);
      metrics::frame_received(f, self->current_sender(), self->node());
      take_frame(self, *self->state.in, self->state.exchanges, *self->state.cfg.the_plan, std::move(f));
      schedule_group(self);
    },
    [=](greeting_msg& g) {
      log::runtime()->debug("{} greeted by stage {} instance {} for {} consumers", who(self->state.cfg), g.consumer_stage, g.consumer_instance, g.hellos.size());
      if (self->state.out->greet(g)) // the answer goes where the consumer is now
        follow_consumer(self, g);
      schedule_group(self);
    },
    [=](frame_ack_msg& a) {
      auto& st = self->state;
      bool fresh = st.out->ack(a, steady_ms(), [&](uint32_t producer, uint32_t flat, uint64_t seq) {
        st.acked[producer - st.first].acked.push_back({flat, seq});
      });
      if (fresh)
        follow_consumer(self, a);
      schedule_group(self);
    },
    [=](outputs_msg& m) {
      auto& st = self->state;
      if (!local(m.producer))
        return log::runtime()->warn("{} ignored outputs of foreign key group {}", who(st.cfg), m.producer);
      if (m.recovered)
        st.out->ended(m.producer, false);
      for (auto& b : m.batches)
        st.out->add(m.producer, b.flat, b.batch);
      st.out->watermark(m.producer, m.watermark);
      if (m.ended)
        st.out->ended(m.producer, true);
      schedule_group(self);
    },
    [=](acks_msg& m) {
      self->state.in->acks(m);
      schedule_group(self);
    },
    [=](hello_msg& m) {
      auto& st = self->state;
      if (!local(m.hello.consumer))
        return log::runtime()->warn("{} ignored a hello of foreign key group {}", who(st.cfg), m.hello.consumer);
      // Only the newest incarnation may take the handle: an older one's
      // hello that comes late (from another node) would send redeliveries
      // to the dead.
      auto i = m.hello.consumer - st.first;
      if (m.epoch < st.epochs[i])
        return log::runtime()->debug("{} ignored a hello of key group {} from epoch {} after epoch {}",
                                     who(st.cfg), m.hello.consumer, m.epoch, st.epochs[i]);
      st.epochs[i] = m.epoch;
      st.partitions[i] = caf::actor_cast<caf::actor>(self->current_sender());
      st.in->hello(std::move(m.hello));
      schedule_group(self);
    },
    [=](resend_msg& m) {
      self->state.in->resend(m.consumer, m.after);
      schedule_group(self);
    },
    takes_moved_exchanges(self),
    [=](close_group_atom) { close_group(self); },
    [=](wmflush_atom) {
      self->state.pacer.fired();
      close_group(self);
    },
    [=](retransmit_atom) {
      if (auto n = self->state.out->retransmit(steady_ms(), retransmit_after_ms))
        log::runtime()->warn("{} sent {} batches again to {}", who(self->state.cfg), n, self->state.out->last_retried());
      regreet_overdue(*self->state.in, who(self->state.cfg));
      close_group(self);
      self->delayed_send(self, std::chrono::milliseconds(retransmit_after_ms), retransmit_atom::value);
    },
  };
}

/// What its partitions may send before init: they spawn and recover while
/// a cluster still places the rest of the job (node.hpp).
caf::message_handler partition_messages_kept_until_init() {
  return {
    [](hello_msg&) -> caf::result<void> { return caf::skip; },
    [](outputs_msg&) -> caf::result<void> { return caf::skip; },
    [](acks_msg&) -> caf::result<void> { return caf::skip; },
    [](resend_msg&) -> caf::result<void> { return caf::skip; },
  };
}

caf::behavior exchange_behavior(exchange_actor_t* self, exchange_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  install_handlers(self, who(st.cfg));
  auto& p = *st.cfg.the_plan;
  auto range = p.indexes_of(st.cfg.stage, st.cfg.instance);
  st.first = range.first;
  st.partitions.resize(range.size());
  st.epochs.resize(range.size());
  st.acked.resize(range.size());
  st.in = std::make_unique<inbound>(p, st.cfg.stage, st.cfg.instance, st.cfg.idle_timeout_ms, steady_ms(),
                                    st.cfg.epoch);
  st.out = std::make_unique<outbound>(p, st.cfg.stage, st.cfg.instance, st.cfg.epoch);
  st.pacer = watermark_pacer{st.cfg.watermark_interval_ms};
  st.series = metrics::instance_of(p.stage(st.cfg.stage).name, st.cfg.instance, metrics::instance_role::keyed);
  return caf::message_handler{
    [=](init_atom, std::vector<caf::actor>& exchanges) {
      self->state.exchanges = std::move(exchanges);
      self->become(running(self));
      self->delayed_send(self, std::chrono::milliseconds(retransmit_after_ms), retransmit_atom::value);
    }
  }.or_else(kept_until_init()).or_else(partition_messages_kept_until_init());
}

} // namespace

caf::actor spawn_exchange(caf::actor_system& sys, exchange_config cfg) {
  return sys.spawn(exchange_behavior, std::move(cfg));
}

} // namespace eddy::actors
