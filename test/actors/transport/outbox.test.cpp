// One producer index's outbox: the seqs it assigns, what its consumers
// acknowledged, and the bytes released but not acknowledged, which are its
// credit: a partition or source stops while they reach its window.

#include "transport/outbox.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "actors/transport/fixtures.hpp"

using namespace eddy;

namespace {

/// Assigns `count` records on `flat` and releases them, as a producer does
/// once their journal entry is durable.
actors::batch_ptr release(actors::outbox& o, uint32_t flat, uint32_t count) {
  auto b = *test::batch(0, count);
  o.assign(flat, b);
  auto ptr = std::make_shared<const dataflow::record_batch>(std::move(b));
  o.sent(flat, ptr);
  return ptr;
}

} // namespace

BOOST_AUTO_TEST_SUITE(outbox)

BOOST_AUTO_TEST_CASE(each_channel_numbers_its_records_from_one) {
  actors::outbox o{2};
  auto a = release(o, 0, 3);
  auto b = release(o, 1, 2);
  auto c = release(o, 0, 2);
  BOOST_TEST(a->first_seq == 1u);
  BOOST_TEST(b->first_seq == 1u);
  BOOST_TEST(c->first_seq == 4u);
  BOOST_TEST(o.next_seq(0) == 6u);
  BOOST_TEST(o.next_seq(1) == 3u);
}

BOOST_AUTO_TEST_CASE(the_unacknowledged_bytes_bound_what_a_producer_sends_and_acks_return_them) {
  actors::outbox o{2};
  const size_t window = 1000;
  int released = 0;
  while (o.bytes() < window) { // how a partition or source spends its credit
    release(o, static_cast<uint32_t>(released % 2), 10);
    ++released;
  }
  BOOST_TEST(released > 2);
  BOOST_TEST(o.bytes() < window + actors::outbox::cost(*test::batch(0, 10))); // at most one batch over
  BOOST_TEST(o.ack(0, 10));             // the first batch of channel 0 only
  auto left = o.bytes();
  BOOST_TEST(left < window);
  BOOST_TEST(left > 0u);
  BOOST_TEST(o.ack(0, o.next_seq(0) - 1));
  BOOST_TEST(o.ack(1, o.next_seq(1) - 1));
  BOOST_TEST(o.bytes() == 0u);
}

BOOST_AUTO_TEST_CASE(each_batch_costs_its_record_bytes_and_a_fixed_overhead) {
  // Tiny batches (one record per channel between two keyed stages at 1024
  // key groups) must use up credit, or the windows hold thousands of them.
  actors::outbox o{1};
  auto b = release(o, 0, 1);
  BOOST_TEST(o.bytes() == b->data.size() + actors::batch_overhead_bytes);
  o.ack(0, 1);
  BOOST_TEST(o.bytes() == 0u);
}

BOOST_AUTO_TEST_CASE(an_ack_tells_whether_the_acknowledged_position_moved) {
  actors::outbox o{1};
  release(o, 0, 5);
  BOOST_TEST(o.ack(0, 3));
  BOOST_TEST(o.acked(0) == 3u);
  BOOST_TEST(!o.ack(0, 3)); // nothing new to journal
  BOOST_TEST(!o.ack(0, 2));
  BOOST_TEST(!o.ack(1, 9)); // no such channel
  BOOST_TEST(o.acked(0) == 3u);
}

BOOST_AUTO_TEST_CASE(batches_sent_after_an_ack_ahead_of_them_are_released_by_the_same_ack_again) {
  // A source resumed from its checkpoint at seq 1 while its consumer had
  // seq 40 durable: the consumer acks 40 for every duplicate it gets (the
  // same case as channel_out's, which once hung a job when credit ran out).
  actors::outbox o{1};
  o.restore(0, 1, 0);
  release(o, 0, 10); // 1..10
  BOOST_TEST(o.ack(0, 40));
  BOOST_TEST(o.bytes() == 0u);
  release(o, 0, 10);           // 11..20: duplicates, acked with 40 again
  release(o, 0, 10);           // 21..30
  BOOST_TEST(!o.ack(0, 40));   // the position stays where it was
  BOOST_TEST(o.bytes() == 0u); // else its credit never comes back
  release(o, 0, 20);           // 31..50: straddles the consumer's 40
  o.ack(0, 40);
  BOOST_TEST(o.bytes() > 0u);
  BOOST_TEST(o.ack(0, 50));
  BOOST_TEST(o.bytes() == 0u);
}

BOOST_AUTO_TEST_CASE(a_restored_channel_never_assigns_a_seq_it_saw_acknowledged) {
  actors::outbox o{1};
  o.restore(0, 1, 10);
  BOOST_TEST(o.next_seq(0) == 11u);
  BOOST_TEST(o.acked(0) == 10u);
  auto b = release(o, 0, 1);
  BOOST_TEST(b->first_seq == 11u);
}

BOOST_AUTO_TEST_CASE(every_unacknowledged_batch_is_there_for_a_snapshot) {
  actors::outbox o{3};
  release(o, 0, 2);
  release(o, 2, 3);
  release(o, 2, 1);
  o.ack(2, 3);
  std::vector<std::pair<uint32_t, uint64_t>> kept;
  o.for_each_unacked(
      [&](uint32_t flat, const actors::batch_ptr& b) { kept.emplace_back(flat, b->first_seq); });
  std::sort(kept.begin(), kept.end());
  BOOST_TEST((kept == std::vector<std::pair<uint32_t, uint64_t>>{{0, 1}, {2, 4}}));
}

BOOST_AUTO_TEST_SUITE_END()
