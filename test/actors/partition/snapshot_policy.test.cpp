// When a partition snapshots: after so many entries, after so much time,
// and on its timer when it went quiet, so an idle key group never pins the
// journal.

#include "partition/snapshot_policy.hpp"

#include <boost/test/unit_test.hpp>

using policy = eddy::actors::snapshot_policy;

BOOST_AUTO_TEST_SUITE(snapshot_policy)

BOOST_AUTO_TEST_CASE(a_snapshot_is_due_after_every_so_many_entries) {
  policy p{3, 10'000, 0};
  BOOST_TEST(!p.entry_closed(1));
  BOOST_TEST(!p.entry_closed(2));
  BOOST_TEST(p.entry_closed(3));
  p.taken(3);
  BOOST_TEST(!p.entry_closed(4));
}

BOOST_AUTO_TEST_CASE(a_snapshot_is_due_with_an_entry_once_the_interval_is_over) {
  policy p{1000, 100, 0};
  BOOST_TEST(!p.entry_closed(99));
  BOOST_TEST(p.entry_closed(100));
}

BOOST_AUTO_TEST_CASE(a_quiet_partition_snapshots_its_tail_on_the_timer) {
  policy p{1000, 100, 0};
  p.entry_closed(10);
  BOOST_TEST(!p.quiet(50, false));  // the interval is not over
  BOOST_TEST(!p.quiet(150, true));  // an entry is still in flight
  BOOST_TEST(p.quiet(150, false));
  p.taken(150);
  BOOST_TEST(!p.quiet(400, false)); // nothing new since
}

BOOST_AUTO_TEST_CASE(the_timer_ticks_with_the_interval_but_not_below_ten_ms) {
  BOOST_TEST((policy{1, 250, 0}.tick_ms()) == 250);
  BOOST_TEST((policy{1, 0, 0}.tick_ms()) == 10);
}

BOOST_AUTO_TEST_SUITE_END()
