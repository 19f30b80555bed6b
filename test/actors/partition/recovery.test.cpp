// Recovery of a partition: its latest snapshot, then the entries after it,
// rebuild the user state, the input marks and the output positions, and
// hand over exactly the outputs its consumers had not acknowledged.

#include "partition/recovery.hpp"

#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>
#include <vector>

#include "actors/partition/fixtures.hpp"
#include "actors/transport/fixtures.hpp"
#include "eddy/codec.hpp"
#include "partition/entry_builder.hpp"
#include "partition/snapshot.hpp"

using namespace eddy;

namespace {

/// One incarnation of a partition with one producer and two consumers,
/// driven by hand: each group is journaled and made durable at once.
struct incarnation {
  actors::batch_port port{{0}, 2};
  test::echo_logic logic{&port};
  actors::input_channels inputs{1, 1};
  actors::outbox outputs{2};
  actors::entry_builder entries;
  actors::in_flight_entries in_flight;

  /// Applies `b` from the producer and closes the group; returns the entry's body.
  std::string group(const dataflow::record_batch& b) {
    b.for_each([&](uint64_t, const dataflow::record_view& r) { logic.process(r); });
    inputs.applied(0, b.last_seq());
    std::string log;
    logic.take_log(log);
    auto e = entries.close(std::move(log), inputs, port, outputs, min_time);
    for (auto& tb : e->held.outputs) // durable: released
      outputs.sent(tb.target, std::make_shared<const dataflow::record_batch>(tb.batch));
    return e->body;
  }

  /// The consumer of channel 0 acknowledged up to `seq`.
  void acked(uint64_t seq) {
    if (outputs.ack(0, seq))
      entries.acked(0);
  }

  std::string snapshot() const {
    return actors::encode(actors::snapshot_of(logic, inputs, outputs, in_flight));
  }

  /// Replays `snapshot` and `entries` into this (new) incarnation.
  test::seqs recover(const std::string& snapshot, const std::vector<std::string>& bodies) {
    test::seqs handed_over;
    for (auto& fb : actors::replay(logic, snapshot, bodies, inputs, outputs)) {
      BOOST_TEST(fb.flat == 0u);
      handed_over.emplace_back(fb.batch->first_seq, fb.batch->last_seq());
    }
    return handed_over;
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(recovery)

BOOST_AUTO_TEST_CASE(recovery_replays_entries_after_the_latest_snapshot) {
  incarnation before;
  before.group(test::records(1, 2, "a")); // outputs 1..2
  auto snapshot = before.snapshot();
  auto e2 = before.group(test::records(3, 1, "b")); // output 3
  before.acked(2);
  auto e3 = before.group(test::records(4, 1, "c")); // output 4, journals the ack of 2

  incarnation after;
  auto handed_over = after.recover(snapshot, {e2, e3});
  BOOST_TEST(after.logic.state == "aabc");
  BOOST_TEST(after.inputs.hw(0) == 4u);
  BOOST_TEST(after.outputs.next_seq(0) == 5u);
  BOOST_TEST(after.outputs.acked(0) == 2u);
  BOOST_TEST(handed_over == (test::seqs{{3, 3}, {4, 4}}));
  BOOST_TEST(after.outputs.bytes() > 0u); // kept as sent, for credit
}

BOOST_AUTO_TEST_CASE(without_a_snapshot_every_entry_is_replayed) {
  incarnation before;
  auto e1 = before.group(test::records(1, 2, "a"));
  auto e2 = before.group(test::records(3, 1, "b"));

  incarnation after;
  auto handed_over = after.recover({}, {e1, e2});
  BOOST_TEST(after.logic.state == "aab");
  BOOST_TEST(after.inputs.hw(0) == 3u);
  BOOST_TEST(handed_over == (test::seqs{{1, 2}, {3, 3}}));
}

BOOST_AUTO_TEST_CASE(outputs_acknowledged_before_the_snapshot_are_not_handed_over) {
  incarnation before;
  before.group(test::records(1, 2, "a"));
  before.acked(2);
  before.group(test::records(3, 1, "b"));

  incarnation after;
  auto handed_over = after.recover(before.snapshot(), {});
  BOOST_TEST(after.logic.state == "aab");
  BOOST_TEST(after.outputs.acked(0) == 2u);
  BOOST_TEST(after.outputs.next_seq(0) == 4u);
  BOOST_TEST(handed_over == (test::seqs{{3, 3}}));
}

BOOST_AUTO_TEST_CASE(a_fresh_partition_recovers_to_nothing) {
  incarnation after;
  BOOST_TEST(after.recover({}, {}).empty());
  BOOST_TEST(after.outputs.next_seq(0) == 1u);
  BOOST_TEST(after.inputs.hw(0) == 0u);
}

BOOST_AUTO_TEST_CASE(an_entry_with_an_output_to_a_consumer_it_does_not_have_is_corrupt) {
  actors::entry_record e;
  e.outputs.push_back({5, test::records(1, 1)});
  incarnation after;
  BOOST_CHECK_EXCEPTION(after.recover({}, {actors::encode(e)}), decode_error,
                        [](const decode_error& x) {
                          return std::string{x.what()} == "output to consumer 5 of 2";
                        });
}

BOOST_AUTO_TEST_SUITE_END()
