// The pacing of watermark-only messages shared by sources, exchanges and
// partitions: at most one per interval, and one held back still goes out
// once the interval is over, through a single flush timer.

#include "transport/watermark_pacer.hpp"

#include <boost/test/unit_test.hpp>

#include <type_traits>

using pacer = eddy::actors::watermark_pacer;

static_assert(std::is_trivially_copyable_v<pacer>,
              "a plain value with no clock of its own: time is what the caller passes");

BOOST_AUTO_TEST_SUITE(watermark_pacer)

BOOST_AUTO_TEST_CASE(the_first_watermark_is_due_at_once) {
  pacer p{5};
  BOOST_TEST(p.due(1'000'000));
}

BOOST_AUTO_TEST_CASE(after_one_is_sent_the_next_waits_for_the_interval) {
  pacer p{5};
  p.sent(100);
  BOOST_TEST(!p.due(100));
  BOOST_TEST(!p.due(104));
  BOOST_TEST(p.due(105));
}

BOOST_AUTO_TEST_CASE(a_held_watermark_asks_for_a_flush_when_the_interval_is_over) {
  pacer p{5};
  p.sent(100);
  auto wait = p.hold(102);
  BOOST_TEST_REQUIRE(wait.has_value());
  BOOST_TEST(*wait == 3);
  BOOST_TEST(p.due(102 + *wait));
}

BOOST_AUTO_TEST_CASE(only_one_flush_timer_is_asked_for_until_it_fires) {
  pacer p{5};
  p.sent(100);
  BOOST_TEST(p.hold(101).has_value());
  BOOST_TEST(!p.hold(102).has_value());
  BOOST_TEST(!p.hold(104).has_value());
  p.fired();
  p.sent(105);
  auto wait = p.hold(106);
  BOOST_TEST_REQUIRE(wait.has_value());
  BOOST_TEST(*wait == 4);
}

BOOST_AUTO_TEST_CASE(a_flush_is_never_asked_for_sooner_than_one_ms) {
  pacer p{5};
  p.sent(100);
  auto wait = p.hold(105); // held although due: the caller still gets a timer
  BOOST_TEST_REQUIRE(wait.has_value());
  BOOST_TEST(*wait == 1);
}

BOOST_AUTO_TEST_CASE(an_interval_of_zero_makes_every_watermark_due) {
  pacer p{0};
  p.sent(100);
  BOOST_TEST(p.due(100));
}

BOOST_AUTO_TEST_SUITE_END()
