// The one self-message a partition keeps for its earliest processing-time
// timer: a new one only for an earlier timer, or after the last one came.

#include "partition/processing_timer.hpp"

#include <boost/test/unit_test.hpp>

using namespace eddy;
using timer = actors::processing_timer;

BOOST_AUTO_TEST_SUITE(processing_timer)

BOOST_AUTO_TEST_CASE(no_timer_asks_for_no_self_message) {
  timer t;
  BOOST_TEST(!t.schedule(max_time, 100).has_value());
}

BOOST_AUTO_TEST_CASE(the_earliest_timer_asks_for_a_self_message_when_it_is_due) {
  timer t;
  auto delay = t.schedule(150, 100);
  BOOST_TEST_REQUIRE(delay.has_value());
  BOOST_TEST(*delay == 50);
  BOOST_TEST(!t.schedule(150, 110).has_value()); // the same timer
  BOOST_TEST(!t.schedule(200, 110).has_value()); // a later one: fired after 150's
}

BOOST_AUTO_TEST_CASE(an_earlier_timer_asks_for_another_self_message) {
  timer t;
  t.schedule(150, 100);
  auto delay = t.schedule(120, 110);
  BOOST_TEST_REQUIRE(delay.has_value());
  BOOST_TEST(*delay == 10);
}

BOOST_AUTO_TEST_CASE(a_timer_already_due_asks_for_a_self_message_at_once) {
  timer t;
  auto delay = t.schedule(90, 100);
  BOOST_TEST_REQUIRE(delay.has_value());
  BOOST_TEST(*delay == 0);
}

BOOST_AUTO_TEST_CASE(after_the_self_message_came_the_next_timer_asks_again) {
  timer t;
  t.schedule(150, 100);
  t.fired();
  auto delay = t.schedule(200, 150);
  BOOST_TEST_REQUIRE(delay.has_value());
  BOOST_TEST(*delay == 50);
}

BOOST_AUTO_TEST_SUITE_END()
