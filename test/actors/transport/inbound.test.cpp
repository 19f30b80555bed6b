// The consuming side of an exchange (stage 2, instance 0 of the two-stage
// plan: key groups 0..1 consume from stage 1's instances 0 (producer indexes
// 0..1) and 1 (2..3)): deliveries per consumer, greetings and the watermark
// and end they hold back, the combined watermark, resend requests and acks.

#include "transport/inbound.hpp"

#include <boost/test/unit_test.hpp>

#include "actors/transport/fixtures.hpp"

using namespace eddy;
using eddy::test::batch;
using eddy::test::frame;
using eddy::test::take_deliveries;

namespace {

using eddy::test::seqs;

struct consuming_instance : test::two_stage_plan {
  actors::inbound in{p, 2, 0, 0, 0};
  uint32_t from_first = exchange(1, 0);  ///< producer indexes 0..1
  uint32_t from_second = exchange(1, 1); ///< producer indexes 2..3

  /// Consumer `c` says hello with no marks and both producer instances answer.
  void greeted(uint32_t c) {
    in.hello({c, {}});
    test::take_greetings(in);
    in.frame(frame(1, 0, {}, {c}), 0);
    in.frame(frame(1, 1, {}, {c}), 0);
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(inbound, consuming_instance)

BOOST_AUTO_TEST_CASE(batches_for_a_consumer_wait_for_its_first_hello) {
  in.frame(frame(1, 0, {{0, 0, batch(1, 3)}, {1, 1, batch(1, 2)}}), 0);
  BOOST_TEST(take_deliveries(in, true, 0).empty());
  in.hello({0, {}});
  auto d = take_deliveries(in, true, 0);
  BOOST_TEST_REQUIRE(d.size() == 1u); // consumer 1 has not said hello
  BOOST_TEST((test::seqs_of(d.at(0).batches, 0) == seqs{{1, 3}}));
  in.hello({1, {}});
  d = take_deliveries(in, true, 0);
  BOOST_TEST_REQUIRE(d.size() == 1u);
  BOOST_TEST((test::seqs_of(d.at(1).batches, 1) == seqs{{1, 2}}));
}

BOOST_AUTO_TEST_CASE(frames_are_split_into_one_delivery_per_consumer_in_arrival_order) {
  greeted(0);
  greeted(1);
  in.frame(frame(1, 0, {{0, 0, batch(1, 3)}, {0, 1, batch(1, 1)}, {0, 0, batch(4, 2)}}), 0);
  in.frame(frame(1, 1, {{3, 0, batch(1, 4)}, {2, 2, batch(1, 1)}}), 0); // 2 is not ours
  auto d = take_deliveries(in, false, 0);
  BOOST_TEST_REQUIRE(d.size() == 2u);
  BOOST_TEST_REQUIRE(d.at(0).batches.size() == 3u);
  BOOST_TEST((test::seqs_of(d.at(0).batches, 0) == seqs{{1, 3}, {4, 5}}));
  BOOST_TEST(d.at(0).batches[2].producer == 3u);
  BOOST_TEST((test::seqs_of(d.at(1).batches, 0) == seqs{{1, 1}}));
  BOOST_TEST(take_deliveries(in, false, 0).empty());
}

BOOST_AUTO_TEST_CASE(frames_of_another_stage_or_of_no_instance_are_ignored) {
  greeted(0);
  in.frame(frame(0, 0, {{0, 0, batch(1, 3)}}, {}, 100), 0);
  in.frame(frame(1, 2, {{0, 0, batch(1, 3)}}, {}, 100, true), 0);
  BOOST_TEST(take_deliveries(in, true, 0).empty());
  BOOST_TEST(!in.all_ended());
}

BOOST_AUTO_TEST_CASE(a_hello_greets_every_producer_instance_with_the_marks_of_its_indexes) {
  in.hello({1, {{0, 5}, {3, 7}}});
  auto g = test::take_greetings(in);
  BOOST_TEST_REQUIRE(g.size() == 2u);
  for (auto& [ex, m] : g) {
    BOOST_TEST(m.consumer_stage == 2u);
    BOOST_TEST(m.consumer_instance == 0u);
    BOOST_TEST_REQUIRE(m.hellos.size() == 1u);
    BOOST_TEST(m.hellos[0].consumer == 1u);
    BOOST_TEST_REQUIRE(m.hellos[0].hws.size() == 1u);
  }
  BOOST_TEST(g.at(from_first).hellos[0].hws[0].producer == 0u);
  BOOST_TEST(g.at(from_first).hellos[0].hws[0].seq == 5u);
  BOOST_TEST(g.at(from_second).hellos[0].hws[0].producer == 3u);
  BOOST_TEST(g.at(from_second).hellos[0].hws[0].seq == 7u);
  BOOST_TEST(test::take_greetings(in).empty()); // handed out once
}

BOOST_AUTO_TEST_CASE(watermark_and_end_wait_until_every_producer_instance_answered_the_greeting) {
  in.hello({0, {}});
  in.frame(frame(1, 0, {{0, 0, batch(1, 2)}}, {}, 100, true), 0);
  in.frame(frame(1, 1, {}, {}, 100, true), 0);
  auto d = take_deliveries(in, true, 0);
  BOOST_TEST_REQUIRE(d.size() == 1u); // its batches go on: only time waits
  BOOST_TEST(d.at(0).watermark == min_time);
  BOOST_TEST(!d.at(0).end);
  in.frame(frame(1, 0, {}, {0}), 0);
  BOOST_TEST(take_deliveries(in, true, 0).empty()); // the second instance may still redeliver
  in.frame(frame(1, 1, {}, {0}), 0);
  d = take_deliveries(in, true, 0);
  BOOST_TEST_REQUIRE(d.size() == 1u);
  BOOST_TEST(d.at(0).end);
  BOOST_TEST(d.at(0).watermark == max_time);
}

BOOST_AUTO_TEST_CASE(the_combined_watermark_is_the_minimum_over_the_producer_instances) {
  greeted(0);
  in.frame(frame(1, 0, {}, {}, 100), 0);
  BOOST_TEST(take_deliveries(in, true, 0).empty()); // the second instance has said nothing
  in.frame(frame(1, 1, {}, {}, 50), 0);
  auto d = take_deliveries(in, true, 0);
  BOOST_TEST_REQUIRE(d.size() == 1u);
  BOOST_TEST(d.at(0).watermark == 50);
  in.frame(frame(1, 1, {}, {}, 300), 0);
  d = take_deliveries(in, true, 0);
  BOOST_TEST(d.at(0).watermark == 100);
  in.frame(frame(1, 0, {}, {}, 80), 0); // an instance's watermark never goes back
  BOOST_TEST(take_deliveries(in, true, 0).empty());
}

BOOST_AUTO_TEST_CASE(a_watermark_is_delivered_with_or_after_the_batches_that_came_before_it) {
  greeted(0);
  in.frame(frame(1, 0, {{0, 0, batch(1, 2, 100)}}, {}, 100), 0);
  in.frame(frame(1, 1, {}, {}, 100), 0);
  in.frame(frame(1, 1, {{2, 0, batch(1, 3, 200)}}, {}, 200), 0);
  auto d = take_deliveries(in, false, 0);
  BOOST_TEST_REQUIRE(d.size() == 1u);
  // A partition applies a delivery's batches before its watermark.
  BOOST_TEST(d.at(0).batches.size() == 2u);
  BOOST_TEST(d.at(0).watermark == 100);
  in.frame(frame(1, 0, {}, {}, 200), 0);
  bool held = false;
  BOOST_TEST(take_deliveries(in, false, 0, &held).empty()); // watermark-only: not due yet
  BOOST_TEST(held);
  d = take_deliveries(in, true, 0, &held);
  BOOST_TEST(d.at(0).watermark == 200);
  BOOST_TEST(d.at(0).batches.empty());
  BOOST_TEST(!held);
}

BOOST_AUTO_TEST_CASE(the_end_comes_once_after_every_producer_instance_ended) {
  greeted(0);
  in.frame(frame(1, 0, {}, {}, 100, true), 0);
  BOOST_TEST(!in.all_ended());
  BOOST_TEST(take_deliveries(in, true, 0).empty()); // the other still holds time back
  in.frame(frame(1, 1, {}, {}, min_time, true), 0);
  BOOST_TEST(in.all_ended());
  auto d = take_deliveries(in, true, 0);
  BOOST_TEST(d.at(0).end);
  BOOST_TEST(take_deliveries(in, true, 0).empty());
  in.frame(frame(1, 1, {}, {}, min_time, true), 0); // an end given again with a greeting's answer
  BOOST_TEST(take_deliveries(in, true, 0).empty());
}

BOOST_AUTO_TEST_CASE(a_restarted_consumer_gets_the_watermark_and_end_again_once_answered) {
  greeted(0);
  in.frame(frame(1, 0, {}, {}, 100, true), 0);
  in.frame(frame(1, 1, {}, {}, 100, true), 0);
  BOOST_TEST(take_deliveries(in, true, 0).at(0).end);
  in.hello({0, {}}); // a new incarnation
  BOOST_TEST(take_deliveries(in, true, 0).empty());
  in.frame(frame(1, 0, {}, {0}, min_time, true), 0);
  in.frame(frame(1, 1, {}, {0}, min_time, true), 0);
  auto d = take_deliveries(in, true, 0);
  BOOST_TEST(d.at(0).end);
  BOOST_TEST(d.at(0).watermark == max_time);
}

BOOST_AUTO_TEST_CASE(a_restart_drops_what_waited_for_the_old_incarnation) {
  greeted(0);
  in.frame(frame(1, 0, {{0, 0, batch(1, 3)}}), 0);
  in.hello({0, {{0, 3}}}); // it was applied and durable before the crash
  BOOST_TEST(take_deliveries(in, true, 0).empty());
  in.frame(frame(1, 0, {{0, 0, batch(4, 1)}}), 0); // after the hello: for the new one
  auto d = take_deliveries(in, true, 0);
  BOOST_TEST((test::seqs_of(d.at(0).batches, 0) == seqs{{4, 4}}));
}

BOOST_AUTO_TEST_CASE(a_hello_acknowledges_its_marks_for_what_its_incarnation_never_saw) {
  // The marks are durable: a batch at or below them that was dropped before
  // the hello (a sink recovering, a dead incarnation's mailbox, a delivery
  // the restart dropped) is not redelivered, so only this ack releases it.
  in.hello({1, {{0, 5}, {3, 7}}});
  auto acks = test::take_acks(in);
  BOOST_TEST_REQUIRE(acks.size() == 2u);
  BOOST_TEST(acks.at(from_first).consumer_stage == 2u);
  BOOST_TEST_REQUIRE(acks.at(from_first).acks.size() == 1u);
  auto& a = acks.at(from_first).acks[0];
  BOOST_TEST(a.producer == 0u);
  BOOST_TEST(a.consumer == 1u);
  BOOST_TEST(a.seq == 5u);
  BOOST_TEST_REQUIRE(acks.at(from_second).acks.size() == 1u);
  BOOST_TEST(acks.at(from_second).acks[0].seq == 7u);
}

BOOST_AUTO_TEST_CASE(a_gap_asks_the_producers_instance_to_redeliver_after_the_consumers_mark) {
  greeted(1);
  in.resend(1, {2, 7});
  auto g = test::take_greetings(in);
  BOOST_TEST_REQUIRE(g.size() == 1u);
  auto& m = g.at(from_second);
  BOOST_TEST(m.consumer_stage == 2u);
  BOOST_TEST_REQUIRE(m.hellos.size() == 1u);
  BOOST_TEST(m.hellos[0].consumer == 1u);
  BOOST_TEST_REQUIRE(m.hellos[0].hws.size() == 1u);
  BOOST_TEST(m.hellos[0].hws[0].producer == 2u);
  BOOST_TEST(m.hellos[0].hws[0].seq == 7u);
  BOOST_TEST(test::take_acks(in).empty()); // the mark of a gap need not be durable
  // Asking again holds nothing back: the consumer's time goes on.
  in.frame(frame(1, 0, {}, {}, 100), 0);
  in.frame(frame(1, 1, {}, {}, 100), 0);
  BOOST_TEST(take_deliveries(in, true, 0).at(1).watermark == 100);
  in.resend(2, {0, 1}); // not ours
  in.resend(1, {4, 1}); // no such producer
  BOOST_TEST(test::take_greetings(in).empty());
}

BOOST_AUTO_TEST_CASE(redeliveries_pass_in_order_and_the_consumers_channel_drops_what_it_applied) {
  in.frame(frame(1, 0, {{0, 0, batch(1, 3)}}), 0); // before the hello
  in.hello({0, {}});
  in.frame(frame(1, 0, {{0, 0, batch(1, 3)}, {0, 0, batch(4, 2)}}, {0}), 0); // the redelivery
  auto d = take_deliveries(in, true, 0);
  BOOST_TEST((test::seqs_of(d.at(0).batches, 0) == seqs{{1, 3}, {1, 3}, {4, 5}}));
  actors::channel_in channel;
  std::vector<uint64_t> applied;
  for (auto& b : d.at(0).batches) {
    auto v = channel.check(b.batch->first_seq, b.batch->count);
    if (!v.apply)
      continue;
    for (auto seq = b.batch->first_seq + v.skip; seq <= b.batch->last_seq(); ++seq)
      applied.push_back(seq);
    channel.hw(b.batch->last_seq());
  }
  BOOST_TEST((applied == std::vector<uint64_t>{1, 2, 3, 4, 5}));
}

BOOST_AUTO_TEST_CASE(acks_are_coalesced_into_one_message_per_producer_instance) {
  in.acks({0, {{0, 3}, {1, 2}, {2, 9}}});
  in.acks({1, {{0, 4}, {7, 1}}}); // producer 7 does not exist
  auto acks = test::take_acks(in);
  BOOST_TEST_REQUIRE(acks.size() == 2u);
  auto& first = acks.at(from_first).acks;
  BOOST_TEST_REQUIRE(first.size() == 3u);
  BOOST_TEST(first[0].producer == 0u);
  BOOST_TEST(first[0].consumer == 0u);
  BOOST_TEST(first[2].consumer == 1u);
  BOOST_TEST(first[2].seq == 4u);
  BOOST_TEST_REQUIRE(acks.at(from_second).acks.size() == 1u);
  BOOST_TEST(acks.at(from_second).acks[0].seq == 9u);
  BOOST_TEST(test::take_acks(in).empty());
}

BOOST_AUTO_TEST_CASE(
    an_instance_silent_since_the_start_stops_holding_time_back_after_the_idle_timeout) {
  // Times are the exchange's steady clock: far from the wall clock's.
  const int64_t start = 5'000;
  actors::inbound idle{p, 2, 0, 100, start};
  idle.hello({0, {}});
  idle.frame(frame(1, 0, {}, {0}), start);
  idle.frame(frame(1, 1, {}, {0}), start);
  idle.frame(frame(1, 0, {}, {}, 500), start + 50);
  BOOST_TEST(take_deliveries(idle, true, start + 50).empty()); // the second may still speak
  auto d = take_deliveries(idle, true, start + 101);
  BOOST_TEST_REQUIRE(d.size() == 1u);
  BOOST_TEST(d.at(0).watermark == 500);
}

BOOST_AUTO_TEST_CASE(frames_of_a_replaced_producer_incarnation_are_ignored) {
  greeted(0);
  auto current = frame(1, 0, {{0, 0, batch(1, 3)}});
  current.epoch = 3; // producer instance 0 moved: it runs in epoch 3 now
  in.frame(std::move(current), 0);
  auto stale = frame(1, 0, {{0, 0, batch(4, 2)}}, {}, min_time, true);
  stale.epoch = 2; // its replaced incarnation still sends, and ends
  in.frame(std::move(stale), 0);
  auto d = take_deliveries(in, false, 0);
  BOOST_TEST_REQUIRE(d.size() == 1u);
  BOOST_TEST((test::seqs_of(d.at(0).batches, 0) == seqs{{1, 3}}));
  BOOST_TEST(!in.all_ended());
}

BOOST_AUTO_TEST_CASE(a_greeting_the_replaced_producer_never_answered_goes_to_its_new_incarnation) {
  in.hello({0, {{0, 4}}});
  test::take_greetings(in);
  in.frame(frame(1, 1, {}, {0}, 100, true), 0);
  // Producer instance 0 is lost before it answered; its heir (epoch 1)
  // sends what it recovered and ends, knowing nothing of the greeting.
  auto heir = frame(1, 0, {{0, 0, batch(1, 2)}}, {}, 100, true);
  heir.epoch = 1;
  in.frame(std::move(heir), 0);
  auto d = take_deliveries(in, true, 0);
  BOOST_TEST_REQUIRE(d.size() == 1u);
  BOOST_TEST(!d.at(0).end); // its redelivery may still come
  auto g = test::take_greetings(in);
  BOOST_TEST_REQUIRE(g.count(from_first) == 1u); // so the heir is greeted
  BOOST_TEST_REQUIRE(g.at(from_first).hellos.size() == 1u);
  BOOST_TEST(g.at(from_first).hellos.at(0).consumer == 0u);
  BOOST_TEST(g.at(from_first).hellos.at(0).hws.empty()); // everything it holds again
  BOOST_TEST(g.count(from_second) == 0u);
  auto answer = frame(1, 0, {}, {0});
  answer.epoch = 1;
  in.frame(std::move(answer), 0);
  d = take_deliveries(in, true, 0);
  BOOST_TEST_REQUIRE(d.size() == 1u);
  BOOST_TEST(d.at(0).end);
}

BOOST_AUTO_TEST_CASE(only_a_new_incarnations_first_frame_says_its_sender_is_the_producer_now) {
  auto heir = [] {
    auto f = frame(1, 0, {}, {});
    f.epoch = 2;
    return f;
  };
  BOOST_TEST(!in.frame(frame(1, 0, {}, {}), 0));
  BOOST_TEST(in.frame(heir(), 0));
  BOOST_TEST(!in.frame(heir(), 0));
  BOOST_TEST(!in.frame(frame(1, 0, {}, {}), 0)); // the replaced one, fenced
}

BOOST_AUTO_TEST_CASE(a_greeting_unanswered_for_the_timeout_is_sent_again_and_its_answer_releases_the_end) {
  in.hello({0, {{0, 4}}});
  test::take_greetings(in);
  in.frame(frame(1, 1, {}, {0}, 100, true), 0);
  in.frame(frame(1, 0, {}, {}, 100, true), 0); // ended, but the greeting to it was lost
  BOOST_TEST(in.regreet(0, 5000) == 0u);
  BOOST_TEST(in.regreet(4999, 5000) == 0u);
  BOOST_TEST(test::take_greetings(in).empty());
  BOOST_TEST(in.regreet(5000, 5000) == 1u);
  auto g = test::take_greetings(in);
  BOOST_TEST_REQUIRE(g.count(from_first) == 1u);
  BOOST_TEST(g.at(from_first).hellos.at(0).hws.empty());
  BOOST_TEST(g.count(from_second) == 0u);
  BOOST_TEST(in.regreet(9999, 5000) == 0u); // the timeout starts again
  in.frame(frame(1, 0, {}, {0}), 0);
  auto d = take_deliveries(in, true, 0);
  BOOST_TEST_REQUIRE(d.size() == 1u);
  BOOST_TEST(d.at(0).end);
  BOOST_TEST(in.regreet(20000, 5000) == 0u);
}

BOOST_AUTO_TEST_CASE(acks_and_greetings_carry_the_consumer_instance_and_its_epoch) {
  actors::inbound moved{p, 2, 1, 0, 0, 5};
  moved.hello({2, {{0, 4}}});
  auto g = test::take_greetings(moved);
  BOOST_TEST_REQUIRE(g.count(from_first) == 1u);
  BOOST_TEST(g.at(from_first).consumer_instance == 1u);
  BOOST_TEST(g.at(from_first).epoch == 5u);
  auto a = test::take_acks(moved);
  BOOST_TEST_REQUIRE(a.count(from_first) == 1u);
  BOOST_TEST(a.at(from_first).consumer_instance == 1u);
  BOOST_TEST(a.at(from_first).epoch == 5u);
}

BOOST_AUTO_TEST_SUITE_END()
