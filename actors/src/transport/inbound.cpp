#include "transport/inbound.hpp"

namespace eddy::actors {

namespace {

uint32_t producer_stage_of(const plan& p, uint32_t stage) {
  auto producer = p.stage(stage).producer;
  return producer < 0 ? 0 : static_cast<uint32_t>(producer);
}

} // namespace

inbound::inbound(const plan& p, uint32_t stage, uint32_t instance, int64_t idle_timeout_ms,
                 int64_t now_ms, uint32_t epoch)
  : plan_(p),
    stage_(stage),
    instance_(instance),
    producer_stage_(producer_stage_of(p, stage)),
    range_(p.indexes_of(stage, instance)),
    // The tracker's default start is the wall clock, callers pass the steady
    // one: an instance never heard from then never turned idle.
    tracker_(p.stage(producer_stage_).instances, idle_timeout_ms, now_ms),
    epoch_(epoch),
    fence_(p.stage(producer_stage_).instances) {
  auto producers = p.stage(producer_stage_).instances;
  ended_.assign(producers, 0);
  consumers_.resize(range_.size());
  for (auto& c : consumers_) {
    c.unanswered.assign(producers, 0);
    c.waits.assign(producers, 0);
  }
  greetings_.resize(producers);
  acks_.resize(producers);
}

bool inbound::frame(frame_msg&& f, int64_t now_ms) {
  auto p = f.producer_instance;
  if (f.producer_stage != producer_stage_ || p >= ended_.size())
    return false;
  auto heard = fence_.newest(p);
  if (fence_.stale(p, f.epoch))
    return false;
  bool incarnation = f.epoch > heard;
  if (incarnation)
    replaced(p);
  for (auto& b : f.batches)
    if (auto* c = find(b.consumer); c && (c->known || !c->ever_known))
      c->pending.batches.push_back({b.producer, std::move(b.batch)});
  for (auto index : f.answers) {
    auto* c = find(index);
    if (!c || c->unanswered[p] == 0)
      continue;
    --c->unanswered[p];
    if (c->waits[p] > 0 && --c->waits[p] == 0)
      --c->awaiting;
  }
  if (f.watermark > min_time)
    tracker_.update(p, f.watermark, now_ms);
  if (f.end && !ended_[p]) {
    ended_[p] = 1;
    ++ended_count_;
    tracker_.end(p);
  }
  return incarnation;
}

void inbound::replaced(uint32_t p) {
  for (uint32_t i = 0; i < consumers_.size(); ++i)
    if (consumers_[i].unanswered[p] > 0)
      greet_again(i, p);
}

uint32_t inbound::regreet(int64_t now_ms, int64_t after_ms) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < consumers_.size(); ++i) {
    auto& c = consumers_[i];
    if (c.awaiting == 0) {
      c.awaiting_since_ms = -1;
      continue;
    }
    if (c.awaiting_since_ms < 0)
      c.awaiting_since_ms = now_ms;
    if (now_ms - c.awaiting_since_ms < after_ms)
      continue;
    for (uint32_t p = 0; p < c.waits.size(); ++p)
      if (c.waits[p] > 0) {
        greet_again(i, p);
        ++n;
      }
    c.awaiting_since_ms = now_ms;
  }
  return n;
}

void inbound::greet_again(uint32_t i, uint32_t p) {
  auto& c = consumers_[i];
  greetings_[p].hellos.push_back({range_.first + i, {}});
  c.unanswered[p] = 1;
  if (c.waits[p] > 0)
    c.waits[p] = 1;
}

void inbound::hello(consumer_hello&& h) {
  auto* c = find(h.consumer);
  if (!c)
    return;
  if (c->ever_known)
    c->pending = deliver_msg{}; // a restart: what was meant for the old incarnation is redelivered
  c->known = true;
  c->ever_known = true;
  c->awaiting = static_cast<uint32_t>(c->waits.size());
  c->watermark = min_time;
  c->end_delivered = false;
  std::vector<consumer_hello> per_producer(greetings_.size());
  for (auto& hw : h.hws) {
    if (hw.producer >= plan_.stage(producer_stage_).indexes)
      continue;
    auto p = plan_.instance_of(producer_stage_, hw.producer);
    per_producer[p].hws.push_back(hw);
    // The marks are durable, so they acknowledge: a batch at or below them
    // that never reached this incarnation (dropped by a sink still
    // recovering, lost with the old incarnation's mailbox or pending
    // deliveries) is not redelivered, and its producer kept it until a
    // retransmit (a rerun of a finished job stalled on it).
    acks_[p].acks.push_back({hw.producer, h.consumer, hw.seq});
  }
  for (uint32_t p = 0; p < per_producer.size(); ++p) {
    per_producer[p].consumer = h.consumer;
    greetings_[p].hellos.push_back(std::move(per_producer[p]));
    c->waits[p] = ++c->unanswered[p];
  }
}

void inbound::resend(uint32_t consumer, input_seq after) {
  if (!find(consumer) || after.producer >= plan_.stage(producer_stage_).indexes)
    return;
  auto p = plan_.instance_of(producer_stage_, after.producer);
  greetings_[p].hellos.push_back({consumer, {after}});
  ++find(consumer)->unanswered[p];
}

void inbound::acks(const acks_msg& m) {
  for (auto& a : m.acks)
    if (a.producer < plan_.stage(producer_stage_).indexes)
      acks_[plan_.instance_of(producer_stage_, a.producer)].acks.push_back(
        {a.producer, m.consumer, a.seq});
}

} // namespace eddy::actors
