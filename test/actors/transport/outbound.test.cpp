// The producing side of an exchange (stage 1, instance 0 of the two-stage
// plan: key groups 0..1 produce for stage 2's instances 0 and 1): frames per
// destination instance, redelivery on greetings, retransmit after silence,
// the instance watermark and the end.

#include "transport/outbound.hpp"

#include <boost/test/unit_test.hpp>

#include "actors/transport/fixtures.hpp"

using namespace eddy;
using eddy::test::batch;
using eddy::test::take_frames;

namespace {

using eddy::test::seqs;

struct producing_instance : test::two_stage_plan {
  actors::outbound out{p, 1, 0};
  uint32_t to_first = exchange(2, 0);  ///< owns flat 0..1
  uint32_t to_second = exchange(2, 1); ///< owns flat 2..3

  actors::greeting_msg greeting(uint32_t consumer, std::vector<actors::input_seq> hws, uint32_t epoch = 0) const {
    return {2, p.instance_of(2, consumer), epoch, {{consumer, std::move(hws)}}};
  }
  void ack(uint32_t producer, uint32_t consumer, uint64_t seq, int64_t now_ms = 0, uint32_t epoch = 0) {
    out.ack({2, p.instance_of(2, consumer), epoch, {{producer, consumer, seq}}}, now_ms,
            [](uint32_t, uint32_t, uint64_t) {});
  }
  /// Adds batches 1..3, 4..6, 7..9 on channel (0 → 0) and 1..5 on (1 → 0), sent at `now_ms`.
  void fill_channels_to_consumer_0(int64_t now_ms = 0) {
    out.add(0, 0, batch(1, 3));
    out.add(0, 0, batch(4, 3));
    out.add(0, 0, batch(7, 3));
    out.add(1, 0, batch(1, 5));
    take_frames(out, false, now_ms);
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(outbound, producing_instance)

BOOST_AUTO_TEST_CASE(batches_travel_in_one_frame_per_consumer_instance) {
  out.add(0, 0, batch(1, 2));
  out.add(1, 1, batch(1, 3));
  out.add(1, 3, batch(1, 1));
  auto frames = take_frames(out, false, 0);
  BOOST_TEST_REQUIRE(frames.size() == 2u);
  auto& first = frames.at(to_first);
  BOOST_TEST(first.producer_stage == 1u);
  BOOST_TEST(first.producer_instance == 0u);
  BOOST_TEST_REQUIRE(first.batches.size() == 2u);
  BOOST_TEST(first.batches[0].producer == 0u);
  BOOST_TEST(first.batches[0].consumer == 0u);
  BOOST_TEST(first.batches[1].producer == 1u);
  BOOST_TEST(first.batches[1].consumer == 1u);
  BOOST_TEST_REQUIRE(frames.at(to_second).batches.size() == 1u);
  BOOST_TEST(frames.at(to_second).batches[0].consumer == 3u);
  BOOST_TEST(take_frames(out, false, 0).empty()); // sent once
}

BOOST_AUTO_TEST_CASE(batches_of_foreign_producers_and_unknown_consumers_are_ignored) {
  out.add(2, 0, batch(1, 2)); // key group 2 belongs to instance 1
  out.add(0, 4, batch(1, 2)); // stage 2 has 4 key groups
  out.add(0, 0, batch(1, 0)); // empty
  BOOST_TEST(take_frames(out, false, 0).empty());
}

BOOST_AUTO_TEST_CASE(a_recovering_producers_handover_sends_only_what_the_exchange_does_not_hold) {
  out.add(0, 0, batch(1, 3));
  out.add(0, 0, batch(4, 3));
  take_frames(out, false, 0);
  // The partition restarted and hands over its whole unacknowledged outbox.
  out.ended(0, false);
  out.add(0, 0, batch(1, 3));
  out.add(0, 0, batch(4, 3));
  out.add(0, 0, batch(7, 3)); // released after its entry became durable: new
  auto frames = take_frames(out, false, 0);
  BOOST_TEST_REQUIRE(frames.size() == 1u);
  BOOST_TEST((test::seqs_of(frames.at(to_first).batches, 0) == seqs{{7, 9}}));
}

BOOST_AUTO_TEST_CASE(a_greeting_redelivers_exactly_what_is_after_the_high_water_marks_and_answers) {
  fill_channels_to_consumer_0();
  out.add(0, 1, batch(1, 4)); // another consumer: not greeting
  take_frames(out, false, 0);
  out.greet(greeting(0, {{0, 5}})); // key group 1 absent: mark 0
  auto frames = take_frames(out, false, 0);
  BOOST_TEST_REQUIRE(frames.size() == 1u);
  auto& f = frames.at(to_first);
  BOOST_TEST((test::seqs_of(f.batches, 0) == seqs{{4, 6}, {7, 9}})); // 4..6 straddles the mark
  BOOST_TEST((test::seqs_of(f.batches, 1) == seqs{{1, 5}}));
  for (auto& b : f.batches)
    BOOST_TEST(b.consumer == 0u);
  BOOST_TEST((f.answers == std::vector<uint32_t>{0}));
}

BOOST_AUTO_TEST_CASE(a_greeting_after_everything_was_acknowledged_only_answers) {
  fill_channels_to_consumer_0();
  ack(0, 0, 9);
  ack(1, 0, 5);
  out.greet(greeting(1, {}));
  out.greet(greeting(0, {{0, 2}}));
  auto frames = take_frames(out, false, 0);
  BOOST_TEST_REQUIRE(frames.size() == 1u);
  BOOST_TEST(frames.at(to_first).batches.empty());
  BOOST_TEST((frames.at(to_first).answers == std::vector<uint32_t>{1, 0}));
}

BOOST_AUTO_TEST_CASE(the_answer_to_a_greeting_carries_the_watermark_again_after_the_data) {
  out.watermark(0, 100);
  out.watermark(1, 100);
  fill_channels_to_consumer_0(); // the watermark went out: to an incarnation now replaced
  out.greet(greeting(0, {}, 1));
  auto frames = take_frames(out, false, 0);
  BOOST_TEST_REQUIRE(frames.size() == 1u);
  auto& f = frames.at(to_first);
  BOOST_TEST(f.watermark == 100);
  BOOST_TEST(!f.batches.empty()); // ahead of it in the frame
  BOOST_TEST(!frames.count(to_second)); // not greeted: nothing new for it
}

BOOST_AUTO_TEST_CASE(acks_release_batches_and_reach_the_producing_partitions) {
  fill_channels_to_consumer_0();
  std::vector<actors::channel_seq> reached;
  auto collect = [&](uint32_t producer, uint32_t flat, uint64_t seq) {
    reached.push_back({producer, flat, seq});
  };
  actors::frame_ack_msg m{2, 0, 0,
                          {{0, 0, 6}, {2, 0, 9}, {1, 7, 1}}}; // foreign producer, unknown consumer
  out.ack(m, 0, collect);
  BOOST_TEST_REQUIRE(reached.size() == 1u);
  BOOST_TEST(reached[0].producer == 0u);
  BOOST_TEST(reached[0].consumer == 0u);
  BOOST_TEST(reached[0].seq == 6u);
  out.greet(greeting(0, {}));
  auto frames = take_frames(out, false, 0);
  BOOST_TEST((test::seqs_of(frames.at(to_first).batches, 0) == seqs{{7, 9}}));
}

BOOST_AUTO_TEST_CASE(the_end_goes_out_once_every_producer_ended_and_everything_is_acknowledged) {
  fill_channels_to_consumer_0();
  out.ended(0, true);
  BOOST_TEST(take_frames(out, false, 0).empty()); // key group 1 goes on
  out.ended(1, true);
  ack(0, 0, 9);
  BOOST_TEST(take_frames(out, false, 0).empty()); // 1 → 0 holds 1..5
  BOOST_TEST(!out.end_sent());
  ack(1, 0, 5);
  auto frames = take_frames(out, false, 0);
  BOOST_TEST_REQUIRE(frames.size() == 2u); // every consumer instance, with data or not
  BOOST_TEST(frames.at(to_first).end);
  BOOST_TEST(frames.at(to_second).end);
  BOOST_TEST(out.end_sent());
  BOOST_TEST(take_frames(out, false, 0).empty()); // once
}

BOOST_AUTO_TEST_CASE(a_producer_that_restarted_holds_the_end_back_again) {
  out.ended(0, true);
  out.ended(0, false); // a new incarnation
  out.ended(1, true);
  BOOST_TEST(take_frames(out, false, 0).empty());
}

BOOST_AUTO_TEST_CASE(a_greeting_after_the_end_gets_the_end_again) {
  out.ended(0, true);
  out.ended(1, true);
  take_frames(out, false, 0);
  out.greet(greeting(3, {}));
  auto frames = take_frames(out, false, 0);
  BOOST_TEST_REQUIRE(frames.size() == 1u);
  BOOST_TEST(frames.at(to_second).end);
  BOOST_TEST((frames.at(to_second).answers == std::vector<uint32_t>{3}));
}

BOOST_AUTO_TEST_CASE(the_instance_watermark_is_the_minimum_over_its_producers_that_have_not_ended) {
  BOOST_TEST(out.instance_watermark() == min_time);
  out.watermark(0, 100);
  BOOST_TEST(out.instance_watermark() == min_time); // key group 1 has said nothing
  out.watermark(1, 50);
  BOOST_TEST(out.instance_watermark() == 50);
  out.watermark(1, 300);
  BOOST_TEST(out.instance_watermark() == 100);
  out.watermark(0, 10); // a producer's watermark never goes back
  BOOST_TEST(out.instance_watermark() == 100);
  out.watermark(2, 1); // foreign
  BOOST_TEST(out.instance_watermark() == 100);
  out.ended(0, true); // an ended producer bounds nothing any more (e.g. a finished split)
  BOOST_TEST(out.instance_watermark() == 300);
  out.ended(0, false); // it restarted
  BOOST_TEST(out.instance_watermark() == 100);
  out.ended(0, true);
  out.ended(1, true); // all ended: the highest any proposed, until the end goes out
  BOOST_TEST(out.instance_watermark() == 300);
}

BOOST_AUTO_TEST_CASE(watermark_only_frames_wait_until_due_and_batches_carry_the_watermark_anyway) {
  out.watermark(0, 100);
  out.watermark(1, 100);
  bool held = false;
  BOOST_TEST(take_frames(out, false, 0, &held).empty());
  BOOST_TEST(held);
  out.add(0, 0, batch(1, 1, 100));
  auto frames = take_frames(out, false, 0, &held);
  BOOST_TEST_REQUIRE(frames.size() == 1u);
  BOOST_TEST(frames.at(to_first).watermark == 100); // after its batches
  BOOST_TEST(held);                                 // the other instance waits for it
  frames = take_frames(out, true, 0, &held);
  BOOST_TEST_REQUIRE(frames.size() == 1u);
  BOOST_TEST(frames.at(to_second).watermark == 100);
  BOOST_TEST(frames.at(to_second).batches.empty());
  BOOST_TEST(!held);
  BOOST_TEST(take_frames(out, true, 0).empty()); // nothing new
}

BOOST_AUTO_TEST_CASE(a_silent_link_gets_the_first_unacknowledged_batch_of_each_channel_again_less_often_while_it_stays_silent) {
  fill_channels_to_consumer_0(1000);
  out.add(0, 3, batch(1, 2));
  take_frames(out, false, 1100);
  BOOST_TEST(out.retransmit(1199, 200) == 0u);
  BOOST_TEST(out.retransmit(1200, 200) == 2u); // the first link: one batch per channel
  BOOST_TEST(out.last_retried().ends_with("#0 (no ack yet)"), out.last_retried());
  auto frames = take_frames(out, false, 1200);
  BOOST_TEST_REQUIRE(frames.size() == 1u);
  BOOST_TEST((test::seqs_of(frames.at(to_first).batches, 0) == seqs{{1, 3}}));
  BOOST_TEST((test::seqs_of(frames.at(to_first).batches, 1) == seqs{{1, 5}}));
  BOOST_TEST(out.retransmit(1300, 200) == 1u); // the second link's turn
  BOOST_TEST(out.retransmit(1399, 200) == 0u); // once per silent interval
  ack(0, 0, 3, 1450);                          // the first link speaks again
  BOOST_TEST(out.retransmit(1500, 200) == 0u); // the second backs off: 400 ms after its retry
  BOOST_TEST(out.retransmit(1649, 200) == 0u);
  BOOST_TEST(out.retransmit(1650, 200) == 2u); // acked, so 200 ms again: 0 → 0 now starts at 4..6
  BOOST_TEST(out.last_retried().ends_with("#0 (no ack for 200 ms)"), out.last_retried());
  frames = take_frames(out, false, 1650);
  BOOST_TEST((test::seqs_of(frames.at(to_first).batches, 0) == seqs{{4, 6}}));
  // That take sent both links' retries; both stay silent and back off.
  BOOST_TEST(out.retransmit(2049, 200) == 0u);
  BOOST_TEST(out.retransmit(2050, 200) == 3u); // both links, 400 ms after their retries
  take_frames(out, false, 2050);
  BOOST_TEST(out.retransmit(2849, 200) == 0u); // then 800 ms
  BOOST_TEST(out.retransmit(2850, 200) == 3u);
}

BOOST_AUTO_TEST_CASE(a_link_whose_acks_come_late_under_load_waits_four_of_its_usual_gaps_before_a_retransmit) {
  fill_channels_to_consumer_0(0);
  ack(0, 0, 3, 500); // acks every 500 ms, batches still waiting after each
  ack(0, 0, 6, 1000);
  ack(1, 0, 2, 1500);
  BOOST_TEST(out.retransmit(1800, 200) == 0u); // 300 ms: not silent for this link
  BOOST_TEST(out.retransmit(3499, 200) == 0u);
  BOOST_TEST(out.retransmit(3500, 200) == 2u); // four gaps of 500 ms
}

BOOST_AUTO_TEST_CASE(nothing_is_retransmitted_once_everything_is_acknowledged) {
  fill_channels_to_consumer_0();
  ack(0, 0, 9);
  ack(1, 0, 5);
  BOOST_TEST(out.retransmit(10'000, 200) == 0u);
  BOOST_TEST(take_frames(out, false, 10'000).empty());
}

BOOST_AUTO_TEST_CASE(acks_and_greetings_of_a_replaced_consumer_incarnation_are_ignored) {
  fill_channels_to_consumer_0();
  ack(0, 0, 3, 0, 2); // consumer instance 0 now runs in epoch 2
  ack(0, 0, 9, 0, 1); // its replaced incarnation (epoch 1) acks more: ignored
  out.greet(greeting(0, {{0, 3}}, 1)); // and greets: no redelivery
  BOOST_TEST(take_frames(out, false, 0).empty());
  out.greet(greeting(0, {{0, 3}}, 2)); // the current one greets: batches 4..9 again
  auto frames = take_frames(out, false, 0);
  BOOST_TEST_REQUIRE(frames.count(to_first) == 1u);
  BOOST_TEST(frames.at(to_first).batches.size() == 3u); // 4..6, 7..9 of (0 → 0), 1..5 of (1 → 0)
  BOOST_TEST(frames.at(to_first).epoch == 0u); // this producer's own epoch
}

BOOST_AUTO_TEST_SUITE_END()
