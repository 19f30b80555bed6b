// A producing and a consuming exchange wired together, with consumers that
// dedup, apply and acknowledge like partitions: what a lost or dropped
// message costs. Retransmit never runs here, so everything must settle with
// the messages of the protocol alone.

#include <boost/test/unit_test.hpp>

#include <map>
#include <vector>

#include "actors/transport/fixtures.hpp"

using namespace eddy;
using eddy::test::batch;

namespace {

/// A consumer index as a partition treats its input (durable at once): it
/// drops what it applied and acknowledges its mark for it, asks once per
/// position for a redelivery after a gap, and acknowledges what it applies.
struct consumer_index {
  uint32_t index = 0;
  std::vector<actors::channel_in> inputs = std::vector<actors::channel_in>(4);
  std::vector<uint64_t> asked = std::vector<uint64_t>(4, 0);
  std::vector<uint64_t> applied; ///< seqs of producer 0, in order

  void deliver(actors::inbound& in, const actors::deliver_msg& d) {
    for (auto& b : d.batches) {
      auto& ch = inputs[b.producer];
      auto v = ch.check(b.batch->first_seq, b.batch->count);
      if (!v.apply) {
        if (b.batch->first_seq <= ch.hw())
          in.acks({index, {{b.producer, ch.hw()}}});
        else if (asked[b.producer] != ch.hw() + 1) {
          asked[b.producer] = ch.hw() + 1;
          in.resend(index, {b.producer, ch.hw()});
        }
        continue;
      }
      for (auto seq = b.batch->first_seq + v.skip; seq <= b.batch->last_seq(); ++seq)
        if (b.producer == 0)
          applied.push_back(seq);
      ch.hw(b.batch->last_seq());
      in.acks({index, {{b.producer, ch.hw()}}});
    }
  }
};

/// Stage 1's instance 0 producing for stage 2's instance 0; stage 1's
/// instance 1 is never heard from, stage 2's instance 1 never listens.
struct wired_link : test::two_stage_plan {
  actors::outbound out{p, 1, 0};
  actors::inbound in{p, 2, 0, 0, 0};
  std::map<uint32_t, consumer_index> consumers{{0, {0}}, {1, {1}}};

  /// Moves frames, deliveries, greetings and acks until none is left.
  void settle() {
    for (bool moved = true; moved;) {
      moved = false;
      for (auto& [ex, f] : test::take_frames(out, true, 0)) {
        if (ex == exchange(2, 0)) {
          in.frame(std::move(f), 0);
          moved = true;
        }
      }
      for (auto& [c, d] : test::take_deliveries(in, true, 0)) {
        consumers.at(c).deliver(in, d);
        moved = true;
      }
      for (auto& [ex, g] : test::take_greetings(in)) {
        if (ex == exchange(1, 0)) {
          out.greet(g);
          moved = true;
        }
      }
      for (auto& [ex, a] : test::take_acks(in)) {
        if (ex == exchange(1, 0)) {
          out.ack(a, 0, [](uint32_t, uint32_t, uint64_t) {});
          moved = true;
        }
      }
    }
  }

  /// Consumer `c` (re)starts with producer 0's records up to `hw` durable.
  void restarts_at(uint32_t c, uint64_t hw) {
    consumers.at(c) = consumer_index{c};
    consumers.at(c).inputs[0].hw(hw);
    in.hello({c, {{0, hw}}});
  }

  void end_both_producers() {
    out.ended(0, true);
    out.ended(1, true);
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(exchange_link, wired_link)

BOOST_AUTO_TEST_CASE(a_consumer_that_dropped_frames_before_its_hello_releases_them_with_its_marks) {
  // The rerun of a finished job: the producer's last acks were never
  // journaled, so its partition hands over batches the consumer committed
  // long ago; the consumer, still recovering (a sink), drops their frame.
  // Its greeting redelivers only what is after its marks: nothing.
  out.add(0, 0, batch(1, 3));
  out.add(0, 0, batch(4, 3));
  test::take_frames(out, true, 0); // dropped
  restarts_at(0, 6);
  end_both_producers();
  settle();
  BOOST_TEST(out.end_sent()); // not waiting for a retransmit
  BOOST_TEST(consumers.at(0).applied.empty());
}

BOOST_AUTO_TEST_CASE(a_consumer_that_said_hello_before_the_handover_acknowledges_its_duplicates) {
  restarts_at(0, 6);
  settle();
  out.add(0, 0, batch(1, 3));
  out.add(0, 0, batch(4, 3));
  out.add(0, 0, batch(7, 2));
  end_both_producers();
  settle();
  BOOST_TEST(out.end_sent());
  BOOST_TEST((consumers.at(0).applied == std::vector<uint64_t>{7, 8}));
}

BOOST_AUTO_TEST_CASE(a_lost_batch_is_repaired_by_the_consumers_resend_without_a_retransmit) {
  in.hello({0, {}});
  settle();
  out.add(0, 0, batch(1, 3));
  test::take_frames(out, true, 0); // lost
  out.add(0, 0, batch(4, 3));
  end_both_producers();
  settle();
  BOOST_TEST((consumers.at(0).applied == std::vector<uint64_t>{1, 2, 3, 4, 5, 6}));
  BOOST_TEST(out.end_sent());
}

BOOST_AUTO_TEST_CASE(a_restarted_consumer_gets_what_its_old_incarnation_never_made_durable) {
  in.hello({1, {}});
  settle();
  out.add(0, 1, batch(1, 3));
  out.add(0, 1, batch(4, 3));
  // The frame reached the old incarnation, which made 1..3 durable and died
  // before its acks left; 4..6 went down with its mailbox.
  auto frames = test::take_frames(out, true, 0);
  in.frame(std::move(frames.at(exchange(2, 0))), 0);
  test::take_deliveries(in, true, 0);
  restarts_at(1, 3);
  end_both_producers();
  settle();
  BOOST_TEST(consumers.at(1).inputs[0].hw() == 6u);
  BOOST_TEST(out.end_sent());
}

BOOST_AUTO_TEST_SUITE_END()
