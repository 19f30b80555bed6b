#include "eddy/dataflow/watermark_tracker.hpp"

#include <algorithm>
#include <random>
#include <vector>

#include <boost/test/unit_test.hpp>

using eddy::max_time;
using eddy::min_time;
using tracker = eddy::dataflow::watermark_tracker;

BOOST_AUTO_TEST_SUITE(watermark_tracker)

BOOST_AUTO_TEST_CASE(the_watermark_is_the_minimum_over_the_inputs) {
  tracker t{3, 0, 0};
  BOOST_TEST(t.current(0) == min_time);
  t.update(0, 100, 0);
  t.update(1, 50, 0);
  BOOST_TEST(t.current(0) == min_time); // input 2 has said nothing yet
  t.update(2, 70, 0);
  BOOST_TEST(t.current(0) == 50);
  t.update(1, 200, 0);
  BOOST_TEST(t.current(0) == 70);
}

BOOST_AUTO_TEST_CASE(the_watermark_never_goes_back) {
  tracker t{1, 0, 0};
  t.update(0, 100, 0);
  BOOST_TEST(t.current(0) == 100);
  t.update(0, 40, 0);
  BOOST_TEST(t.current(0) == 100);
}

BOOST_AUTO_TEST_CASE(an_ended_input_stops_holding_the_watermark_back) {
  tracker t{2, 0, 0};
  t.update(0, 100, 0);
  BOOST_TEST(t.current(0) == min_time);
  t.end(1);
  BOOST_TEST(t.current(0) == 100);
  t.end(0);
  BOOST_TEST(t.current(0) == max_time); // every timer fires at the end
}

BOOST_AUTO_TEST_CASE(an_idle_input_stops_holding_the_watermark_back_until_it_speaks) {
  tracker t{2, 1000, 0};
  t.update(0, 100, 0);
  t.update(1, 10, 0);
  BOOST_TEST(t.current(500) == 10);
  t.update(0, 300, 1500);          // input 1 silent since 0: idle after 1000 ms
  BOOST_TEST(t.current(1500) == 300);
  t.update(1, 20, 1600);           // it speaks again, behind: no step back
  BOOST_TEST(t.current(1600) == 300);
  t.update(1, 400, 1700);
  t.update(0, 500, 1700);
  BOOST_TEST(t.current(1700) == 400);
}

BOOST_AUTO_TEST_CASE(an_input_never_heard_from_turns_idle_too) {
  tracker t{2, 1000, 0};
  t.update(0, 100, 10);
  BOOST_TEST(t.current(10) == min_time);
  BOOST_TEST(t.current(1001) == 100);
}

BOOST_AUTO_TEST_CASE(time_stands_still_while_every_live_input_is_idle) {
  tracker t{2, 1000, 0};
  t.update(0, 100, 0);
  t.update(1, 200, 0);
  BOOST_TEST(t.current(0) == 100);
  BOOST_TEST(t.current(5000) == 100);
}

BOOST_AUTO_TEST_CASE(many_inputs_advancing_in_any_order_give_the_minimum_of_the_live_ones) {
  std::mt19937_64 rng{7};
  for (int round = 0; round < 20; ++round) {
    size_t n = 1 + rng() % 50;
    tracker t{n, 0, 0};
    std::vector<int64_t> wms(n, min_time);
    int64_t expected_floor = min_time;
    for (int step = 0; step < 2000; ++step) {
      auto i = rng() % n;
      if (rng() % 100 == 0) {
        t.end(i);
        wms[i] = max_time;
      } else if (wms[i] != max_time) {
        auto wm = (wms[i] == min_time ? 0 : wms[i]) + static_cast<int64_t>(rng() % 3);
        t.update(i, wm, 0);
        wms[i] = std::max(wms[i], wm);
      }
      expected_floor = std::max(expected_floor, *std::min_element(wms.begin(), wms.end()));
      BOOST_TEST_REQUIRE(t.current(0) == expected_floor);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
