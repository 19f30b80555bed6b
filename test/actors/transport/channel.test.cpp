#include "transport/channel.hpp"

#include <boost/test/unit_test.hpp>

using namespace eddy;
using namespace eddy::actors;

namespace {

dataflow::record_batch make_batch(uint32_t n, size_t payload = 10) {
  dataflow::record_batch b;
  for (uint32_t i = 0; i < n; ++i)
    b.append("k", i, std::string(payload, 'x'));
  return b;
}

batch_ptr assign_and_send(channel_out& out, uint32_t n) {
  auto b = make_batch(n);
  out.assign(b);
  auto ptr = std::make_shared<const dataflow::record_batch>(std::move(b));
  out.sent(ptr);
  return ptr;
}

} // namespace

BOOST_AUTO_TEST_SUITE(channel)

BOOST_AUTO_TEST_CASE(producers_number_records_consecutively_from_one) {
  channel_out out;
  auto a = assign_and_send(out, 3);
  auto b = assign_and_send(out, 2);
  BOOST_TEST(a->first_seq == 1u);
  BOOST_TEST(a->last_seq() == 3u);
  BOOST_TEST(b->first_seq == 4u);
  BOOST_TEST(out.next_seq() == 6u);
}

BOOST_AUTO_TEST_CASE(consumers_drop_duplicates_and_skip_what_they_applied) {
  channel_in in;
  auto v = in.check(1, 3);
  BOOST_TEST(v.apply);
  BOOST_TEST(v.skip == 0u);
  in.hw(3);
  BOOST_TEST(!in.check(1, 3).apply);   // whole duplicate
  v = in.check(2, 4);                  // overlaps: records 2..3 seen, 4..5 new
  BOOST_TEST(v.apply);
  BOOST_TEST(v.skip == 2u);
  BOOST_TEST(!in.check(6, 2).apply);   // a gap: 4..5 missing, wait for redelivery
  BOOST_TEST(!in.check(4, 0).apply);   // empty
}

BOOST_AUTO_TEST_CASE(acknowledged_batches_are_released_and_the_rest_redelivered) {
  channel_out out;
  assign_and_send(out, 3);
  assign_and_send(out, 3);
  assign_and_send(out, 3);
  out.ack(4); // inside the second batch: only the first is released
  BOOST_TEST(out.all_unacked().size() == 2u);
  auto again = out.unacked_after(5);
  BOOST_TEST(again.size() == 2u);
  BOOST_TEST(again.front()->first_seq == 4u);
  BOOST_TEST(out.unacked_after(6).size() == 1u);
  out.ack(9);
  BOOST_TEST(out.all_unacked().empty());
  BOOST_TEST(out.drained());
  out.ack(2); // stale acks change nothing
  BOOST_TEST(out.acked() == 9u);
}

BOOST_AUTO_TEST_CASE(credit_runs_out_at_the_window_and_returns_with_acks) {
  channel_out out;
  size_t window = 1000;
  int sent = 0;
  while (out.has_credit(window)) {
    assign_and_send(out, 10); // 10 records of ~13 bytes
    ++sent;
  }
  BOOST_TEST(out.unacked_bytes() >= window);
  BOOST_TEST(out.unacked_bytes() < window + 200);
  out.ack(out.next_seq() - 1);
  BOOST_TEST(out.has_credit(window));
  BOOST_TEST(out.unacked_bytes() == 0u);
  BOOST_TEST(sent > 1);
}

BOOST_AUTO_TEST_CASE(batches_sent_after_an_ack_ahead_of_them_are_released_by_the_same_ack_again) {
  // A producer resumed from its checkpoint at seq 1; its consumer restarted
  // with seq 40 durable, so it acks 40 for every duplicate it gets.
  channel_out out;
  out.restore(1, 0);
  assign_and_send(out, 10); // 1..10
  out.ack(40);
  BOOST_TEST(out.unacked_bytes() == 0u);
  assign_and_send(out, 10); // 11..20: duplicates, acked with 40 again
  assign_and_send(out, 10); // 21..30
  BOOST_TEST(out.unacked_bytes() > 0u);
  out.ack(40);
  BOOST_TEST(out.unacked_bytes() == 0u); // else credit would never return
  assign_and_send(out, 20); // 31..50: straddles the consumer's 40
  out.ack(40);
  BOOST_TEST(out.unacked_bytes() > 0u);
  out.ack(50);
  BOOST_TEST(out.unacked_bytes() == 0u);
  BOOST_TEST(out.acked() == 50u);
}

BOOST_AUTO_TEST_CASE(an_end_of_stream_is_accepted_only_after_everything_before_it) {
  channel_in in;
  in.hw(10);
  BOOST_TEST(in.accepts_end(11));
  BOOST_TEST(!in.accepts_end(12));
}

BOOST_AUTO_TEST_SUITE_END()
