#pragma once

// Shared fixtures of the transport tests: a plan of two keyed stages, batches
// with given seqs, and what the inbound and outbound sides hand out,
// collected by exchange id or consumer index. The transport is plain C++:
// nothing here needs CAF, and time is whatever a test says it is.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "actors/support/graphs.hpp"
#include "plan.hpp"
#include "protocol.hpp"
#include "transport/inbound.hpp"
#include "transport/outbound.hpp"

namespace eddy::test {

/// A batch of `count` records with seqs from `first_seq`, carrying `watermark`.
inline actors::batch_ptr batch(uint64_t first_seq, uint32_t count, int64_t watermark = min_time) {
  dataflow::record_batch b;
  for (uint32_t i = 0; i < count; ++i)
    b.append("k", static_cast<int64_t>(first_seq + i), "0123456789");
  b.first_seq = first_seq;
  b.watermark = watermark;
  return std::make_shared<const dataflow::record_batch>(std::move(b));
}

/// (first, last) seqs of batches, as tests compare them.
using seqs = std::vector<std::pair<uint64_t, uint64_t>>;

/// The (first, last) seqs of every batch of `m` for channel (producer → consumer).
template <class Batches>
seqs seqs_of(const Batches& batches, uint32_t producer) {
  seqs result;
  for (auto& b : batches)
    if (b.producer == producer)
      result.emplace_back(b.batch->first_seq, b.batch->last_seq());
  return result;
}

/// source → keyed stage 1 → keyed stage 2 → sink, 4 key groups, 2 instances
/// per keyed stage: instance 0 owns key groups 0..1, instance 1 owns 2..3.
/// Stage 1's flat consumer indexes are stage 2's key groups.
struct two_stage_plan {
  static constexpr uint32_t key_groups = 4;
  dataflow::graph graph = chain(2);
  actors::plan p = actors::plan::of(graph, key_groups, 2);

  uint32_t exchange(uint32_t stage, uint32_t instance) const {
    return p.exchange_id(stage, instance);
  }
};

/// Frames an outbound side hands out, by destination exchange id.
inline std::map<uint32_t, actors::frame_msg> take_frames(actors::outbound& out, bool watermark_due,
                                                         int64_t now_ms, bool* held = nullptr) {
  std::map<uint32_t, actors::frame_msg> result;
  bool h = out.take(watermark_due, now_ms,
                    [&](uint32_t ex, actors::frame_msg&& f) { result.emplace(ex, std::move(f)); });
  if (held)
    *held = h;
  return result;
}

/// Deliveries an inbound side hands out, by consumer index.
inline std::map<uint32_t, actors::deliver_msg>
take_deliveries(actors::inbound& in, bool watermark_due, int64_t now_ms, bool* held = nullptr) {
  std::map<uint32_t, actors::deliver_msg> result;
  bool h = in.take_deliveries(watermark_due, now_ms, [&](uint32_t c, actors::deliver_msg&& d) {
    result.emplace(c, std::move(d));
  });
  if (held)
    *held = h;
  return result;
}

/// Greetings an inbound side hands out, by producer exchange id.
inline std::map<uint32_t, actors::greeting_msg> take_greetings(actors::inbound& in) {
  std::map<uint32_t, actors::greeting_msg> result;
  in.take_greetings(
      [&](uint32_t ex, actors::greeting_msg&& g) { result.emplace(ex, std::move(g)); });
  return result;
}

/// Acknowledgements an inbound side hands out, by producer exchange id.
inline std::map<uint32_t, actors::frame_ack_msg> take_acks(actors::inbound& in) {
  std::map<uint32_t, actors::frame_ack_msg> result;
  in.take_acks([&](uint32_t ex, actors::frame_ack_msg&& a) { result.emplace(ex, std::move(a)); });
  return result;
}

/// A frame of producer instance `instance` of `stage` answering `answers`,
/// with `watermark` after `batches`.
inline actors::frame_msg frame(uint32_t stage, uint32_t instance,
                               std::vector<actors::channel_batch> batches = {},
                               std::vector<uint32_t> answers = {}, int64_t watermark = min_time,
                               bool end = false) {
  actors::frame_msg f;
  f.producer_stage = stage;
  f.producer_instance = instance;
  f.batches = std::move(batches);
  f.answers = std::move(answers);
  f.watermark = watermark;
  f.end = end;
  return f;
}

} // namespace eddy::test
