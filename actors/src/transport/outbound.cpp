#include "transport/outbound.hpp"

#include <algorithm>

namespace eddy::actors {

outbound::outbound(const plan& p, uint32_t stage, uint32_t instance, uint32_t epoch)
  : plan_(p), stage_(stage), instance_(instance), epoch_(epoch), producers_(p.indexes_of(stage, instance)) {
  watermarks_.assign(producers_.size(), min_time);
  ended_.assign(producers_.size(), 0);
  for (auto& e : p.stage(stage).outputs) {
    dest_base_.push_back(static_cast<uint32_t>(dests_.size()));
    for (uint32_t i = 0; i < p.stage(e.stage).instances; ++i) {
      dest d;
      d.stage = e.stage;
      d.instance = i;
      d.exchange = p.exchange_id(e.stage, i);
      dests_.push_back(std::move(d));
    }
  }
  fence_ = epoch_fence{dests_.size()};
}

bool outbound::stale(uint32_t consumer_stage, uint32_t consumer_instance, uint32_t epoch) {
  auto& outs = plan_.stage(stage_).outputs;
  for (size_t e = 0; e < outs.size(); ++e)
    if (outs[e].stage == consumer_stage && consumer_instance < plan_.stage(consumer_stage).instances)
      return fence_.stale(dest_base_[e] + consumer_instance, epoch);
  return false;
}

uint32_t outbound::dest_of(uint32_t flat) const {
  auto c = plan_.consumer(stage_, flat);
  auto& outs = plan_.stage(stage_).outputs;
  for (size_t e = 0; e < outs.size(); ++e)
    if (outs[e].stage == c.stage)
      return dest_base_[e] + c.instance;
  return 0;
}

void outbound::push(uint32_t producer, uint32_t flat, const batch_ptr& b) {
  auto c = plan_.consumer(stage_, flat);
  dests_[dest_of(flat)].frame.batches.push_back({producer, c.index, b});
}

void outbound::add(uint32_t producer, uint32_t flat, const batch_ptr& b) {
  if (!local(producer) || flat >= plan_.stage(stage_).flat_size || b->count == 0)
    return;
  auto& ch = channels_[key(producer, flat)];
  if (ch.holds_batches() && b->last_seq() < ch.sent_next_seq())
    return; // held already
  if (!ch.holds_batches()) {
    ch.restore(b->first_seq, b->first_seq - 1);
    ++dests_[dest_of(flat)].holding;
  }
  ch.sent(b);
  push(producer, flat, b);
}

void outbound::watermark(uint32_t producer, int64_t wm) {
  if (local(producer)) {
    auto& w = watermarks_[producer - producers_.first];
    w = std::max(w, wm);
  }
}

void outbound::ended(uint32_t producer, bool yes) {
  if (local(producer))
    ended_[producer - producers_.first] = yes ? 1 : 0;
}

bool outbound::all_ended() const noexcept {
  return std::all_of(ended_.begin(), ended_.end(), [](char e) { return e != 0; });
}

int64_t outbound::instance_watermark() const noexcept {
  // An ended producer bounds nothing any more: all it sent went out before.
  // Once all have ended the instance keeps the highest watermark any
  // proposed until the end itself goes out (after every ack), which then
  // raises the consumers' clocks to +inf.
  int64_t low = max_time, high = min_time;
  for (size_t i = 0; i < watermarks_.size(); ++i) {
    high = std::max(high, watermarks_[i]);
    if (!ended_[i])
      low = std::min(low, watermarks_[i]);
  }
  return low == max_time ? high : low;
}

bool outbound::greet(const greeting_msg& m) {
  if (stale(m.consumer_stage, m.consumer_instance, m.epoch))
    return false;
  for (auto& h : m.hellos) {
    auto flat = plan_.flat_of(stage_, m.consumer_stage, h.consumer);
    if (flat >= plan_.stage(stage_).flat_size)
      continue;
    auto d = dest_of(flat);
    std::vector<uint64_t> hw(producers_.size(), 0);
    for (auto& p : h.hws)
      if (local(p.producer))
        hw[p.producer - producers_.first] = p.seq;
    for (auto k = producers_.first; k <= producers_.last && producers_.size() > 0; ++k) {
      auto it = channels_.find(key(k, flat));
      if (it == channels_.end())
        continue;
      for (auto& b : it->second.unacked_after(hw[k - producers_.first]))
        dests_[d].frame.batches.push_back({k, h.consumer, b});
    }
    dests_[d].frame.answers.push_back(h.consumer);
    // A greeting may come from an incarnation that never got the watermark
    // (sent to the one it replaced): the answer carries it again.
    dests_[d].sent_watermark = min_time;
    if (end_sent_)
      dests_[d].frame.end = true;
  }
  return true;
}

size_t outbound::retransmit(int64_t now_ms, int64_t after_ms) {
  size_t n = 0;
  // A link silent for its interval (after_ms, doubled per retry without an
  // ack, up to 16×) gets its first unacknowledged batches again: a slow
  // consumer (1024 partitions committing) is not flooded with duplicates.
  std::vector<char> stalled(dests_.size(), 0);
  std::vector<char> sent(dests_.size(), 0);
  retried_.clear();
  for (size_t d = 0; d < dests_.size(); ++d) {
    auto& dst = dests_[d];
    if (dst.last_ack_ms >= dst.last_retry_ms)
      dst.retry_interval_ms = after_ms; // acked since the last retry
    stalled[d] = now_ms - std::max(dst.last_ack_ms, dst.last_sent_ms)
                 >= std::max(dst.retry_interval_ms, std::min(4 * dst.ack_gap_ms, after_ms * 16));
  }
  for (auto& [k, ch] : channels_) {
    auto flat = static_cast<uint32_t>(k & 0xffffffffu);
    auto d = dest_of(flat);
    if (stalled[d] && ch.holds_batches()) {
      push(static_cast<uint32_t>(k >> 32), flat, ch.oldest());
      sent[d] = 1;
      ++n;
    }
  }
  for (size_t d = 0; d < dests_.size(); ++d) {
    if (!stalled[d])
      continue;
    auto& dst = dests_[d];
    if (sent[d])
      retried_.emplace_back(static_cast<uint32_t>(d), dst.last_ack_ms > 0 ? now_ms - dst.last_ack_ms : -1);
    dst.last_sent_ms = now_ms; // one retry per silent interval
    dst.last_retry_ms = now_ms;
    dst.retry_interval_ms = std::min(dst.retry_interval_ms * 2, after_ms * 16);
  }
  return n;
}

std::string outbound::last_retried() const {
  std::string text;
  for (auto [d, silent_ms] : retried_)
    text += (text.empty() ? "" : ", ") + plan_.stage(dests_[d].stage).name + "#" + std::to_string(dests_[d].instance)
            + (silent_ms < 0 ? std::string{" (no ack yet)"} : " (no ack for " + std::to_string(silent_ms) + " ms)");
  return text;
}

} // namespace eddy::actors
