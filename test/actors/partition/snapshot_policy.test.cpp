// When a partition snapshots: after so many entries, after so much time,
// and on its timer when it went quiet, so an idle key group never pins the
// journal.

#include "partition/snapshot_policy.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <vector>

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

BOOST_AUTO_TEST_CASE(partitions_started_together_snapshot_at_spread_times) {
  // 16 partitions, 1 s interval: the first snapshot of each falls in its own
  // part of the interval, not all at once.
  std::vector<int64_t> due;
  for (uint32_t kg = 0; kg < 16; ++kg) {
    policy p{1'000'000, 1000, 0};
    p.stagger(kg);
    int64_t t = 0;
    while (!p.entry_closed(t))
      t += 10;
    due.push_back(t);
  }
  std::sort(due.begin(), due.end());
  for (size_t i = 1; i < due.size(); ++i)
    BOOST_TEST(due[i] > due[i - 1]);
  BOOST_TEST(due.front() < 250);
  BOOST_TEST(due.back() > 750);
}

BOOST_AUTO_TEST_SUITE_END()
