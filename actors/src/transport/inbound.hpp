#pragma once

#include <cstdint>
#include <vector>

#include "eddy/dataflow/watermark_tracker.hpp"
#include "plan.hpp"
#include "protocol.hpp"
#include "transport/epoch_fence.hpp"

namespace eddy::actors {

/// The consuming side of one exchange (or of a sink): splits the frames of
/// every producer instance into one delivery per local consumer index,
/// combines the producer instances' watermarks (the minimum, with idleness
/// and ends), and coalesces acknowledgements and greetings into one message
/// per producer instance.
///
/// After a consumer's hello it is given no watermark and no end until every
/// producer instance has answered the greeting: their redelivered batches
/// come first, so a watermark never overtakes the data before it. Batches
/// for a consumer that has never said hello wait for it (at start-up the
/// producers may be faster than recovery; their redelivery after the hello
/// then arrives as duplicates).
/// Plain C++, owned by one actor; not thread-safe.
class inbound {
public:
  /// `now_ms` is the clock of every later call: producer instances not heard
  /// from since count as idle after `idle_timeout_ms` too.
  /// `epoch`: this instance's cluster epoch, on its acks and greetings.
  inbound(const plan& p, uint32_t stage, uint32_t instance, int64_t idle_timeout_ms,
          int64_t now_ms, uint32_t epoch = 0);

  /// Takes in a frame from a producer instance; ignores one from an
  /// incarnation of it that was replaced (an older epoch), and greets a new
  /// incarnation again for what the replaced one left unanswered. True when
  /// the frame is a new incarnation's first: its sender is now that
  /// producer instance's exchange (it may come before the node says so).
  bool frame(frame_msg&& f, int64_t now_ms);

  /// Greets again the producer instances that have not answered a consumer
  /// for `after_ms` (the greeting went to an incarnation that died, or was
  /// lost): a lost greeting must not hold a consumer's watermark and end
  /// for good. Returns how many greetings (consumer, producer instance) it
  /// sends again.
  uint32_t regreet(int64_t now_ms, int64_t after_ms);

  /// Consumer `c` (re)started at these high-water marks. They are durable,
  /// so they also go upstream as acknowledgements.
  void hello(consumer_hello&& h);

  /// Consumer `c` saw a gap after `after`: ask that producer's instance again.
  void resend(uint32_t consumer, input_seq after);

  /// Consumer `c` durably applied these inputs.
  void acks(const acks_msg& m);

  /// Calls `fn(consumer, deliver_msg&&)` for every consumer with batches, an
  /// end, or (if `watermark_due`) a watermark it has not been given. Returns
  /// true if a watermark was held back.
  template <class F>
  bool take_deliveries(bool watermark_due, int64_t now_ms, F&& fn) {
    auto wm = tracker_.current(now_ms);
    bool all_ended = ended_count_ == ended_.size();
    bool held = false;
    for (uint32_t i = 0; i < consumers_.size(); ++i) {
      auto& c = consumers_[i];
      if (!c.known)
        continue;
      bool ready = c.awaiting == 0;
      bool behind = ready && wm > c.watermark;
      bool end = ready && all_ended && !c.end_delivered;
      if (c.pending.batches.empty() && !end && !(behind && watermark_due)) {
        held = held || behind;
        continue;
      }
      if (behind) {
        c.pending.watermark = wm;
        c.watermark = wm;
      }
      c.pending.end = end;
      c.end_delivered = c.end_delivered || end;
      fn(range_.first + i, std::move(c.pending));
      c.pending = deliver_msg{};
    }
    return held;
  }

  /// Calls `fn(exchange id, greeting_msg&&)` per producer instance to greet.
  template <class F>
  void take_greetings(F&& fn) {
    take_each(greetings_, [](const greeting_msg& g) { return g.hellos.empty(); }, fn);
  }

  /// Calls `fn(exchange id, frame_ack_msg&&)` per producer instance with acks.
  template <class F>
  void take_acks(F&& fn) {
    take_each(acks_, [](const frame_ack_msg& a) { return a.acks.empty(); }, fn);
  }

  /// True once every producer instance ended.
  bool all_ended() const noexcept {
    return ended_count_ == ended_.size();
  }
  uint32_t producer_stage() const noexcept {
    return producer_stage_;
  }

private:
  struct consumer {
    bool known = false;        ///< said hello
    bool ever_known = false;   ///< said hello once: batches before it wait
    uint32_t awaiting = 0;     ///< producer instances yet to answer its hello
    /// By producer instance: answers it owes, to hellos and resends of this
    /// and earlier incarnations, in the order they were asked (a link keeps order).
    std::vector<uint32_t> unanswered;
    /// By producer instance: answers still to come before it has answered the
    /// latest hello (an older incarnation's answer must not release the newest).
    std::vector<uint32_t> waits;
    int64_t awaiting_since_ms = -1; ///< when regreet() first saw it awaiting
    int64_t watermark = min_time; ///< last given
    bool end_delivered = false;
    deliver_msg pending;
  };

  /// Hands every non-empty message of `by_producer` (one per producer
  /// instance) to `fn` with its exchange id, stamped with this consumer
  /// instance, and resets it.
  template <class Msg, class Empty, class F>
  void take_each(std::vector<Msg>& by_producer, Empty empty, F& fn) {
    for (uint32_t p = 0; p < by_producer.size(); ++p) {
      if (empty(by_producer[p]))
        continue;
      stamp(by_producer[p]);
      fn(plan_.exchange_id(producer_stage_, p), std::move(by_producer[p]));
      by_producer[p] = Msg{};
    }
  }
  void stamp(greeting_msg& g) const {
    g.consumer_stage = stage_;
    g.consumer_instance = instance_;
    g.epoch = epoch_;
  }
  void stamp(frame_ack_msg& a) const {
    a.consumer_stage = stage_;
    a.consumer_instance = instance_;
    a.epoch = epoch_;
  }

  /// Producer instance `p` runs in a new incarnation (it moved, its worker
  /// lost): the answers the replaced one owed never come, since its frames
  /// are fenced now, and a consumer waiting for one would wait for good (a
  /// sink greeted a worker killed right after the start: the job stalled).
  /// Each consumer owed one greets the new incarnation instead.
  void replaced(uint32_t p);

  /// Consumer `i` greets producer instance `p` again with no marks (it
  /// redelivers all it holds unacknowledged; duplicates are dropped) and
  /// waits for that answer alone: earlier greetings are taken as lost, and
  /// if an answer to one comes yet, it follows its own redelivery.
  void greet_again(uint32_t i, uint32_t p);

  consumer* find(uint32_t index) {
    return range_.contains(index) ? &consumers_[index - range_.first] : nullptr;
  }

  const plan& plan_;
  uint32_t stage_;
  uint32_t instance_;
  uint32_t producer_stage_;
  key_group_range range_;
  dataflow::watermark_tracker tracker_; ///< by producer instance
  std::vector<char> ended_;             ///< by producer instance
  size_t ended_count_ = 0;
  std::vector<consumer> consumers_;
  std::vector<greeting_msg> greetings_; ///< by producer instance
  std::vector<frame_ack_msg> acks_;     ///< by producer instance
  uint32_t epoch_;
  epoch_fence fence_;                   ///< by producer instance
};

} // namespace eddy::actors
