// A partition's input channels: dedup by high-water mark, one request for
// redelivery per gap, acks of duplicates only up to what is durable, and
// the positions the journal keeps (named by the producer's partition id).

#include "partition/input_channels.hpp"

#include <boost/test/unit_test.hpp>

#include "actors/partition/fixtures.hpp"
#include "eddy/codec.hpp"
#include "eddy/journal/sqlite_journal.hpp"

using namespace eddy;
using channels = actors::input_channels;
using kind = channels::verdict::kind;

BOOST_AUTO_TEST_SUITE(input_channels)

BOOST_AUTO_TEST_CASE(new_records_are_applied_and_seen_ones_skipped) {
  channels in{1, 2};
  auto v = in.admit(0, test::records(1, 3));
  BOOST_TEST(v.what == kind::apply);
  BOOST_TEST(v.skip == 0u);
  in.applied(0, 3);
  v = in.admit(0, test::records(2, 4)); // 2..3 seen, 4..5 new
  BOOST_TEST(v.what == kind::apply);
  BOOST_TEST(v.skip == 2u);
  BOOST_TEST(in.hw(0) == 3u);
  BOOST_TEST(in.hw(1) == 0u);
}

BOOST_AUTO_TEST_CASE(a_batch_of_a_producer_the_partition_does_not_have_is_foreign) {
  channels in{1, 2};
  BOOST_TEST(in.admit(2, test::records(1, 1)).what == kind::foreign);
}

BOOST_AUTO_TEST_CASE(a_gap_asks_for_redelivery_once_per_position) {
  channels in{1, 1};
  in.applied(0, 3);
  auto v = in.admit(0, test::records(7, 2));
  BOOST_TEST(v.what == kind::ask_resend);
  BOOST_TEST(v.seq == 3u); // redeliver after 3
  BOOST_TEST(in.admit(0, test::records(9, 2)).what == kind::drop);
  in.applied(0, 4); // the redelivery moved on, and another gap follows
  v = in.admit(0, test::records(9, 2));
  BOOST_TEST(v.what == kind::ask_resend);
  BOOST_TEST(v.seq == 4u);
}

BOOST_AUTO_TEST_CASE(a_duplicate_is_acked_only_up_to_what_is_durable) {
  channels in{1, 1};
  in.applied(0, 5);
  BOOST_TEST(in.admit(0, test::records(1, 5)).what == kind::drop); // not durable yet
  in.durable(in.take_acks());
  auto v = in.admit(0, test::records(1, 5));
  BOOST_TEST(v.what == kind::ack_durable);
  BOOST_TEST(v.seq == 5u);
}

BOOST_AUTO_TEST_CASE(applied_inputs_wait_for_the_next_entry_as_acks) {
  channels in{1, 2};
  BOOST_TEST(!in.acks_due());
  in.applied(0, 3);
  in.applied(1, 2);
  BOOST_TEST(in.acks_due());
  auto acks = in.take_acks();
  BOOST_TEST_REQUIRE(acks.size() == 2u);
  BOOST_TEST(acks[0].producer == 0u);
  BOOST_TEST(acks[0].seq == 3u);
  BOOST_TEST(!in.acks_due());
}

BOOST_AUTO_TEST_CASE(journal_positions_name_the_producer_by_its_partition_id) {
  channels in{3, 2};
  in.applied(1, 7);
  auto ps = in.positions(in.take_acks());
  BOOST_TEST_REQUIRE(ps.size() == 1u);
  BOOST_TEST(ps[0].peer == journal::partition_id_of(3, 1));
  BOOST_TEST(ps[0].seq == 7u);
  auto all = in.positions(); // producer 0 has no mark yet
  BOOST_TEST_REQUIRE(all.size() == 1u);
  BOOST_TEST(all[0].peer == journal::partition_id_of(3, 1));
}

BOOST_AUTO_TEST_CASE(recovered_marks_only_rise_and_are_durable_once_recovery_is_done) {
  channels in{1, 2};
  in.restore({journal::partition_id_of(1, 1), 9});
  in.restore({journal::partition_id_of(1, 1), 4}); // an older position
  BOOST_TEST(in.hw(1) == 9u);
  auto marks = in.recovered();
  BOOST_TEST_REQUIRE(marks.size() == 1u);
  BOOST_TEST(marks[0].producer == 1u);
  BOOST_TEST(marks[0].seq == 9u);
  BOOST_TEST(in.admit(1, test::records(1, 9)).what == kind::ack_durable);
}

BOOST_AUTO_TEST_CASE(a_journaled_position_of_an_unknown_producer_is_corrupt) {
  channels in{1, 2};
  BOOST_CHECK_THROW(in.restore({journal::partition_id_of(1, 2), 1}), decode_error);
}

BOOST_AUTO_TEST_SUITE_END()
