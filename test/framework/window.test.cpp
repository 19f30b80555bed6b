// Window assigners: tumbling and sliding bounds aligned to the epoch
// (negative times included), session windows and their merging, and the
// encoding of window results.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "eddy/codec.hpp"
#include "eddy/window.hpp"

using namespace eddy;
using std::chrono::milliseconds;

static_assert(!tumbling_windows::merging && !sliding_windows::merging);
static_assert(session_windows::merging);
static_assert(window{0, 10}.max_timestamp() == 9);
static_assert(window_start(-1, 10) == -10 && window_start(-10, 10) == -10);

BOOST_AUTO_TEST_SUITE(window)

BOOST_AUTO_TEST_CASE(tumbling_windows_are_aligned_to_the_epoch) {
  auto a = tumbling(milliseconds(10));
  BOOST_TEST((a.assign(0) == std::vector<eddy::window>{{0, 10}}));
  BOOST_TEST((a.assign(9) == std::vector<eddy::window>{{0, 10}}));
  BOOST_TEST((a.assign(10) == std::vector<eddy::window>{{10, 20}}));
  BOOST_TEST((a.assign(1'234) == std::vector<eddy::window>{{1'230, 1'240}}));
}

BOOST_AUTO_TEST_CASE(tumbling_windows_hold_negative_times) {
  auto a = tumbling(milliseconds(10));
  BOOST_TEST((a.assign(-1) == std::vector<eddy::window>{{-10, 0}}));
  BOOST_TEST((a.assign(-10) == std::vector<eddy::window>{{-10, 0}}));
  BOOST_TEST((a.assign(-11) == std::vector<eddy::window>{{-20, -10}}));
  for (int64_t ts = -100; ts <= 100; ++ts) {
    auto w = a.assign(ts).at(0);
    BOOST_TEST((w.start <= ts && ts < w.end && w.end - w.start == 10 && w.start % 10 == 0));
  }
}

BOOST_AUTO_TEST_CASE(sliding_windows_are_every_window_that_holds_the_time) {
  auto a = sliding(milliseconds(10), milliseconds(5));
  BOOST_TEST((a.assign(7) == std::vector<eddy::window>{{5, 15}, {0, 10}}));
  BOOST_TEST((a.assign(5) == std::vector<eddy::window>{{5, 15}, {0, 10}}));
  BOOST_TEST((a.assign(4) == std::vector<eddy::window>{{0, 10}, {-5, 5}}));
  BOOST_TEST((a.assign(-3) == std::vector<eddy::window>{{-5, 5}, {-10, 0}}));
  // A slide that does not divide the size: 2 or 3 windows.
  auto b = sliding(milliseconds(10), milliseconds(4));
  for (int64_t ts = -50; ts <= 50; ++ts) {
    auto ws = b.assign(ts);
    size_t holding = 0;
    for (int64_t start = -80; start <= 80; start += 4)
      holding += start <= ts && ts < start + 10;
    BOOST_TEST(ws.size() == holding, "ts " << ts);
    for (auto& w : ws)
      BOOST_TEST((w.start <= ts && ts < w.end && w.end - w.start == 10 && w.start % 4 == 0));
  }
}

BOOST_AUTO_TEST_CASE(assigners_refuse_empty_windows) {
  BOOST_CHECK_THROW(tumbling(milliseconds(0)), std::invalid_argument);
  BOOST_CHECK_THROW(sliding(milliseconds(10), milliseconds(0)), std::invalid_argument);
  BOOST_CHECK_THROW(sliding(milliseconds(-1), milliseconds(1)), std::invalid_argument);
  BOOST_CHECK_THROW(session(milliseconds(0)), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(a_session_starts_as_the_gap_after_its_record) {
  auto a = session(milliseconds(30));
  BOOST_TEST((a.assign(100) == std::vector<eddy::window>{{100, 130}}));
  BOOST_TEST((a.assign(-5) == std::vector<eddy::window>{{-5, 25}}));
}

BOOST_AUTO_TEST_CASE(sessions_merge_when_they_intersect_or_touch) {
  BOOST_TEST((eddy::window{0, 10}.intersects({10, 20})));
  BOOST_TEST((eddy::window{0, 10}.intersects({5, 7})));
  BOOST_TEST(!(eddy::window{0, 10}.intersects({11, 20})));
  auto merged = merge_windows({{30, 40}, {0, 10}, {5, 15}, {50, 60}, {15, 25}, {38, 45}});
  BOOST_TEST_REQUIRE(merged.size() == 3u);
  BOOST_TEST((merged[0].cover == eddy::window{0, 25}));
  BOOST_TEST(merged[0].parts.size() == 3u);
  BOOST_TEST((merged[1].cover == eddy::window{30, 45}));
  BOOST_TEST(merged[1].parts.size() == 2u);
  BOOST_TEST((merged[2].cover == eddy::window{50, 60}));
  BOOST_TEST(merged[2].parts.size() == 1u);
}

BOOST_AUTO_TEST_CASE(window_results_encode_and_decode) {
  window_result<std::string, std::vector<int64_t>> r{"k", {-10, 0}, {1, 2, 3}};
  auto back = decode<decltype(r)>(encode(r));
  BOOST_TEST((back == r));
}

BOOST_AUTO_TEST_SUITE_END()
