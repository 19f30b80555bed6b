// A partition's event time: the input's watermark from the exchange and
// from the producers' batches, the operator's as its timers fire, and the
// released and reported watermarks behind the durable entries.

#include "partition/event_clock.hpp"

#include <boost/test/unit_test.hpp>

using namespace eddy;
using partition_clock = actors::event_clock;

BOOST_AUTO_TEST_SUITE(event_clock)

BOOST_AUTO_TEST_CASE(the_input_watermark_is_the_minimum_over_the_producers_batches) {
  partition_clock c{2};
  c.batch(0, 10);
  BOOST_TEST(c.input() == min_time); // producer 1 sent nothing yet
  c.batch(1, 20);
  BOOST_TEST(c.input() == 10);
  c.batch(0, 30);
  BOOST_TEST(c.input() == 20);
  c.batch(1, 15); // an older batch (a redelivery) moves nothing back
  BOOST_TEST(c.input() == 20);
}

BOOST_AUTO_TEST_CASE(the_exchanges_watermark_raises_the_input_when_it_is_ahead) {
  partition_clock c{2};
  c.batch(0, 10);
  c.delivered(25);
  BOOST_TEST(c.input() == 25);
  c.delivered(min_time); // no news
  BOOST_TEST(c.input() == 25);
  c.batch(1, 40);
  c.batch(0, 50);
  BOOST_TEST(c.input() == 40);
}

BOOST_AUTO_TEST_CASE(the_end_of_every_producer_takes_the_input_to_the_end_of_time) {
  partition_clock c{1};
  BOOST_TEST(!c.ended());
  c.end();
  BOOST_TEST(c.ended());
  BOOST_TEST(c.input() == max_time);
}

BOOST_AUTO_TEST_CASE(the_operator_watermark_moves_once_per_rise_of_the_input) {
  partition_clock c{1};
  BOOST_TEST(!c.advance().has_value());
  c.batch(0, 10);
  auto wm = c.advance();
  BOOST_TEST_REQUIRE(wm.has_value());
  BOOST_TEST(*wm == 10); // the timers up to 10 are due
  BOOST_TEST(c.watermark() == 10);
  BOOST_TEST(!c.advance().has_value()); // fired already
}

BOOST_AUTO_TEST_CASE(a_released_watermark_is_reported_once_and_never_moves_back) {
  partition_clock c{1};
  BOOST_TEST(!c.unreported());
  c.released(10);
  BOOST_TEST(c.unreported());
  c.reported();
  BOOST_TEST(!c.unreported());
  c.released(5); // an entry with an older watermark
  BOOST_TEST(c.released() == 10);
  BOOST_TEST(!c.unreported());
}

BOOST_AUTO_TEST_SUITE_END()
