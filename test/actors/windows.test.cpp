// Event-time windows through the runtime: tumbling, sliding and session
// windows with aggregate, reduce and apply, compared with a plain reference
// computed over the same input; allowed lateness (late records that update
// and re-fire a window, and records too late for any window); count triggers;
// session windows across SIGKILLs.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "eddy/actors/run.hpp"
#include "eddy/connectors/file/lines_out.hpp"
#include "eddy/connectors/memory/memory.hpp"
#include "eddy/side_output.hpp"
#include "eddy/time.hpp"
#include "eddy/window.hpp"
#include "support/kill_loop.hpp"
#include "support/temp_dir.hpp"

using namespace eddy;
namespace memory = eddy::connectors::memory;
using std::chrono::milliseconds;

namespace {

struct event {
  int32_t key = 0;
  int64_t ts = 0;
  int64_t v = 0;
  friend auto operator<=>(const event&, const event&) = default;
};
template <class I>
auto inspect(I& f, event& x) {
  return f(x.key, x.ts, x.v);
}

constexpr int64_t out_of_orderness = 50;

/// (sum of v, count): an aggregate with every part of the interface.
struct sum_count {
  using acc = std::pair<int64_t, int64_t>;
  acc create() const {
    return {0, 0};
  }
  void add(acc& a, const event& e) const {
    a.first += e.v;
    ++a.second;
  }
  void merge(acc& a, const acc& b) const {
    a.first += b.first;
    a.second += b.second;
  }
  acc result(const acc& a) const {
    return a;
  }
};

/// A reduction whose result does not depend on the order of the records.
event add_up(const event& a, const event& b) {
  return {a.key, std::max(a.ts, b.ts), a.v + b.v};
}

/// A window function of all records: their values, sorted.
std::vector<int64_t> sorted_values(const int32_t&, const eddy::window&,
                                   const std::vector<event>& xs) {
  std::vector<int64_t> vs;
  for (auto& x : xs)
    vs.push_back(x.v);
  std::sort(vs.begin(), vs.end());
  return vs;
}

/// Events whose times move forward by `step` ms per event but arrive out of
/// order by less than `out_of_orderness` ms: nothing is late.
std::vector<event> random_events(int n, int32_t keys, int64_t step, uint32_t seed) {
  std::mt19937 rng{seed};
  std::vector<event> result;
  for (int i = 0; i < n; ++i) {
    auto base = i * step;
    result.push_back({static_cast<int32_t>(rng() % keys),
                      std::max<int64_t>(0, base - static_cast<int64_t>(rng() % out_of_orderness)),
                      static_cast<int64_t>(rng() % 1000)});
  }
  return result;
}

// -- the reference ------------------------------------------------------------

using window_key = std::pair<int32_t, eddy::window>;

/// The records of each (key, window): sliding windows (tumbling when
/// slide == size) for times >= 0.
std::map<window_key, std::vector<event>> by_window(const std::vector<event>& evs, int64_t size,
                                                   int64_t slide) {
  std::map<window_key, std::vector<event>> result;
  for (auto& e : evs)
    for (int64_t start = e.ts / slide * slide; start > e.ts - size; start -= slide)
      result[{e.key, {start, start + size}}].push_back(e);
  return result;
}

/// The records of each (key, session): times of a key closer than `gap`
/// (or exactly `gap`: the windows touch) are one session.
std::map<window_key, std::vector<event>> by_session(const std::vector<event>& evs, int64_t gap) {
  std::map<int32_t, std::vector<event>> per_key;
  for (auto& e : evs)
    per_key[e.key].push_back(e);
  std::map<window_key, std::vector<event>> result;
  for (auto& [key, xs] : per_key) {
    std::stable_sort(xs.begin(), xs.end(), [](auto& a, auto& b) { return a.ts < b.ts; });
    std::vector<event> current;
    for (auto& x : xs) {
      if (!current.empty() && x.ts > current.back().ts + gap) {
        result[{key, {current.front().ts, current.back().ts + gap}}] = current;
        current.clear();
      }
      current.push_back(x);
    }
    result[{key, {current.front().ts, current.back().ts + gap}}] = current;
  }
  return result;
}

template <class R, class F>
std::vector<window_result<int32_t, R>>
expected(const std::map<window_key, std::vector<event>>& groups, F f) {
  std::vector<window_result<int32_t, R>> result;
  for (auto& [kw, xs] : groups)
    result.push_back({kw.first, kw.second, f(kw.first, kw.second, xs)});
  std::sort(result.begin(), result.end());
  return result;
}

/// The expected results of each window function over `groups`.
auto expected_sum_count(const std::map<window_key, std::vector<event>>& groups) {
  return expected<sum_count::acc>(groups, [](auto&, auto&, auto& xs) {
    sum_count::acc a{0, 0};
    for (auto& x : xs)
      sum_count{}.add(a, x);
    return a;
  });
}
auto expected_add_up(const std::map<window_key, std::vector<event>>& groups) {
  return expected<event>(groups, [](auto&, auto&, auto& xs) {
    auto r = xs.front();
    for (size_t i = 1; i < xs.size(); ++i)
      r = add_up(r, xs[i]);
    return r;
  });
}
auto expected_sorted_values(const std::map<window_key, std::vector<event>>& groups) {
  return expected<std::vector<int64_t>>(groups, sorted_values);
}

/// Flink's semantics for tumbling windows of `size` with sum_count,
/// replayed over the input in arrival order with the watermark the source
/// proposes before each record (`max time so far - delay - 1`): windows fire
/// once the watermark reaches their end - 1, fire again for each record up to
/// `lateness` late, fire early every `every` records (0: never), and records
/// later than that go to `late`. Sorted.
std::vector<window_result<int32_t, sum_count::acc>>
simulate(const std::vector<event>& evs, int64_t size, int64_t delay, int64_t lateness,
         uint64_t every, std::vector<event>& late) {
  struct slot {
    sum_count::acc acc{0, 0};
    uint64_t pending = 0;
    bool fired = false;
  };
  std::map<window_key, slot> open;
  std::vector<window_result<int32_t, sum_count::acc>> result;
  int64_t wm = min_time;
  auto advance = [&](int64_t to) {
    wm = to;
    for (auto& [kw, s] : open)
      if (!s.fired && kw.second.max_timestamp() <= wm) {
        result.push_back({kw.first, kw.second, s.acc});
        s.fired = true;
      }
    std::erase_if(open, [&](auto& p) { return p.first.second.max_timestamp() + lateness <= wm; });
  };
  for (auto& e : evs) {
    eddy::window w{e.ts / size * size, e.ts / size * size + size};
    if (w.max_timestamp() + lateness <= wm) {
      late.push_back(e);
    } else {
      auto& s = open[{e.key, w}];
      sum_count{}.add(s.acc, e);
      bool count_fired = every > 0 && ++s.pending >= every;
      if (count_fired)
        s.pending = 0;
      if (w.max_timestamp() <= wm || count_fired)
        result.push_back({e.key, w, s.acc});
    }
    if (e.ts - delay - 1 > wm)
      advance(e.ts - delay - 1);
  }
  advance(max_time);
  std::sort(result.begin(), result.end());
  return result;
}

// -- running jobs -------------------------------------------------------------

/// How long the source pauses before event `i` (ms): by default 2 ms every
/// 1000 events, so that watermarks move during the run.
using pause_fn = std::function<int(uint64_t)>;
int pause_now_and_then(uint64_t i) {
  return i > 0 && i % 1'000 == 0 ? 2 : 0;
}

/// Runs `evs` through `with_timestamps(delay)`, `key_by(key)` and what
/// `build` makes of the keyed stream; returns the sink's values, sorted. The
/// input trickles in: `chunk` events per step of the source, with pauses.
template <class R, class Build>
std::vector<window_result<int32_t, R>> run(const std::vector<event>& evs, Build build,
                                           int64_t delay = out_of_orderness,
                                           uint32_t chunk = 200,
                                           pause_fn pause = pause_now_and_then) {
  test::temp_dir dir;
  auto out = std::make_shared<std::vector<window_result<int32_t, R>>>();
  job j{"windows"};
  j.config().state_dir = dir.path;
  j.config().log_level = "off";
  j.config().max_key_groups = 16;
  j.config().source_chunk = chunk;
  auto keyed = j.source(memory::generate(evs.size(),
                                         [&evs, pause](uint64_t i) {
                                           if (auto ms = pause(i); ms > 0)
                                             std::this_thread::sleep_for(milliseconds(ms));
                                           return evs[i];
                                         }))
                 .with_timestamps(&event::ts, milliseconds(delay))
                 .key_by(&event::key);
  build(keyed).sink(memory::to_vector(out));
  auto result = actors::execute(j);
  BOOST_TEST_REQUIRE(result.exit_code == 0, result.error);
  std::sort(out->begin(), out->end());
  return *out;
}

template <class R>
void check(const std::vector<window_result<int32_t, R>>& got,
           const std::vector<window_result<int32_t, R>>& want) {
  BOOST_TEST(got.size() == want.size());
  BOOST_TEST((got == want));
}

/// Runs aggregate, reduce and apply over windows of `assigner` and checks
/// each against the reference `groups`.
template <class Assigner>
void check_all_functions(const std::vector<event>& evs, Assigner assigner,
                         const std::map<window_key, std::vector<event>>& groups) {
  BOOST_TEST_MESSAGE(groups.size() << " windows");
  check(run<sum_count::acc>(evs, [&](auto& k) { return k.window(assigner).aggregate(sum_count{}); }),
        expected_sum_count(groups));
  check(run<event>(evs, [&](auto& k) { return k.window(assigner).reduce(add_up); }),
        expected_add_up(groups));
  check(run<std::vector<int64_t>>(evs, [&](auto& k) { return k.window(assigner).apply(sorted_values); }),
        expected_sorted_values(groups));
}

/// One line per window result: "key start end v1,v2,...".
std::string to_line(const window_result<int32_t, std::vector<int64_t>>& r) {
  auto line = std::to_string(r.key) + " " + std::to_string(r.w.start) + " "
              + std::to_string(r.w.end) + " ";
  for (auto v : r.value)
    line += std::to_string(v) + ",";
  return line;
}

} // namespace

BOOST_AUTO_TEST_SUITE(windows)

BOOST_AUTO_TEST_CASE(tumbling_windows_match_the_reference) {
  auto evs = random_events(10'000, 20, 1, 1);
  check_all_functions(evs, tumbling(milliseconds(100)), by_window(evs, 100, 100));
}

BOOST_AUTO_TEST_CASE(sliding_windows_match_the_reference) {
  auto evs = random_events(10'000, 20, 1, 2);
  check_all_functions(evs, sliding(milliseconds(100), milliseconds(30)), by_window(evs, 100, 30));
}

BOOST_AUTO_TEST_CASE(session_windows_match_the_reference) {
  auto evs = random_events(10'000, 20, 1, 3);
  auto groups = by_session(evs, 40);
  check_all_functions(evs, session(milliseconds(40)), groups);
}

BOOST_AUTO_TEST_CASE(records_within_the_allowed_lateness_refire_their_window_later_ones_go_to_the_late_output) {
  // In order, two keys, 10 ms apart, no out-of-orderness: the watermark is
  // the last time - 1. Pauses let it reach the operator before the late
  // records after them.
  std::vector<event> evs;
  for (int64_t t = 0; t < 1'000; t += 10)
    evs.push_back({static_cast<int32_t>(1 + t / 10 % 2), t, t});
  auto first_pause = evs.size(); // watermark 989
  evs.push_back({1, 850, 1});      // [800, 900) fired, kept until 1099: fires again
  evs.push_back({2, 750, 2});      // [700, 800) kept until 999: fires again
  evs.push_back({1, 790, 3});      // likewise, for key 1
  evs.push_back({2, 690, 4});      // [600, 700) dropped at 899: late
  evs.push_back({1, 5, 5});        // late
  evs.push_back({2, 995, 6});      // [900, 1000) has not fired yet
  for (int64_t t = 1'000; t < 1'210; t += 10)
    evs.push_back({static_cast<int32_t>(1 + t / 10 % 2), t, t});
  auto second_pause = evs.size(); // watermark 1199
  evs.push_back({1, 880, 7});       // [800, 900) was dropped at 1099: late
  evs.push_back({2, 1'150, 8});     // [1100, 1200) fired at 1199: fires again
  for (int64_t t = 1'210; t < 1'500; t += 10)
    evs.push_back({static_cast<int32_t>(1 + t / 10 % 2), t, t});

  std::vector<event> late;
  auto want = simulate(evs, 100, 0, 200, 0, late);
  BOOST_TEST_REQUIRE(late.size() == 3u); // the reference agrees with the comments above
  BOOST_TEST(want.size() == 2 * 15 + 4u);
  const side_output<event> too_late{"too-late"};
  auto late_out = std::make_shared<std::vector<event>>();
  auto got = run<sum_count::acc>(
    evs,
    [&](auto& k) {
      auto results = k.window(tumbling(milliseconds(100)))
                       .allowed_lateness(milliseconds(200))
                       .late_output(too_late)
                       .aggregate(sum_count{});
      results.side_output(too_late).sink(memory::to_vector(late_out));
      return results;
    },
    0, 1, [&](uint64_t i) { return i == first_pause || i == second_pause ? 300 : 0; });
  check(got, want);
  std::sort(late_out->begin(), late_out->end());
  std::sort(late.begin(), late.end());
  BOOST_TEST((*late_out == late));
}

BOOST_AUTO_TEST_CASE(a_count_trigger_fires_early_every_n_records_of_a_window) {
  auto evs = random_events(10'000, 5, 1, 4); // some 20 records a window
  std::vector<event> late;
  auto want = simulate(evs, 100, out_of_orderness, 0, 7, late);
  BOOST_TEST_REQUIRE(late.empty());
  auto windows = by_window(evs, 100, 100).size();
  BOOST_TEST(want.size() > 3 * windows); // early firings besides the final ones
  auto got = run<sum_count::acc>(evs, [](auto& k) {
    return k.window(tumbling(milliseconds(100))).trigger_every(7).aggregate(sum_count{});
  });
  check(got, want);
}

BOOST_AUTO_TEST_CASE(session_windows_survive_sigkills_exactly_once) {
  test::temp_dir dir;
  std::filesystem::create_directories(dir.path);
  auto evs = random_events(100'000, 50, 1, 5);
  auto job_in = [&](const std::filesystem::path& state, const std::filesystem::path& output) {
    job j{"windows-crash"};
    j.config().state_dir = state;
    j.config().log_level = "off";
    j.config().max_key_groups = 16;
    j.config().snapshot_every_entries = 20;
    j.source(memory::from_vector(evs))
      .with_timestamps(&event::ts, milliseconds(out_of_orderness))
      .key_by(&event::key)
      .window(session(milliseconds(40)))
      .apply(sorted_values)
      .sink(connectors::file::lines_out(output, to_line));
    return actors::execute(j).exit_code;
  };
  auto report = test::kill_and_finish(
    [&](bool probe) {
      return probe ? job_in(dir.path / "probe", dir.path / "probe.txt")
                   : job_in(dir.path / "state", dir.path / "out.txt");
    },
    5);
  BOOST_TEST_MESSAGE("the whole job takes " << report.whole_ms << " ms; killed " << report.kills
                                            << " times");
  BOOST_TEST_REQUIRE(report.final_code == 0);
  BOOST_TEST(report.kills >= 5);
  std::vector<std::string> got;
  std::ifstream in{dir.path / "out.txt"};
  for (std::string line; std::getline(in, line);)
    got.push_back(line);
  std::sort(got.begin(), got.end());
  std::vector<std::string> want;
  for (auto& r : expected_sorted_values(by_session(evs, 40)))
    want.push_back(to_line(r));
  std::sort(want.begin(), want.end());
  BOOST_TEST(got.size() == want.size());
  BOOST_TEST((got == want));
}

BOOST_AUTO_TEST_SUITE_END()
