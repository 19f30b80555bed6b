// Event time: watermarks from a bounded-out-of-orderness source, event-time
// timers that fire once the watermark passes them (after every record at or
// before them), processing-time timers, and both across SIGKILL.

#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "eddy/actors/run.hpp"
#include "eddy/connectors/file/lines_out.hpp"
#include "eddy/connectors/memory/memory.hpp"
#include "eddy/state.hpp"
#include "support/kill_loop.hpp"
#include "support/temp_dir.hpp"

using namespace eddy;
namespace memory = eddy::connectors::memory;

namespace {

struct event {
  int32_t key = 0;
  int64_t ts = 0;
};
template <class I>
auto inspect(I& f, event& x) {
  return f(x.key, x.ts);
}

constexpr int64_t timer_delay = 100;
constexpr int64_t out_of_orderness = 50;

/// Per key: counts records by event time; each record asks for a timer
/// `timer_delay` later; a timer reports how many records of its key were at
/// or before it, and the watermark it fired at.
struct count_until {
  map_state<int64_t, int64_t> per_time;
  void on_record(const event& e, context<std::string>& ctx) {
    auto* n = per_time.get(e.ts);
    per_time.put(e.ts, n ? *n + 1 : 1);
    ctx.timers().at_event_time(e.ts + timer_delay);
  }
  void on_timer(int64_t ts, context<std::string>& ctx) {
    int64_t n = 0;
    for (auto& [t, c] : per_time)
      if (t <= ts)
        n += c;
    auto wm = ctx.watermark() == max_time ? std::string{"end"} : std::to_string(ctx.watermark());
    ctx.emit(std::to_string(ctx.key<int32_t>()) + " " + std::to_string(ts) + " "
             + std::to_string(n) + " " + wm);
  }
};

/// Events whose times move forward but arrive out of order by at most
/// `out_of_orderness` ms.
std::vector<event> events(int n) {
  std::mt19937 rng{11};
  std::vector<event> result;
  for (int i = 0; i < n; ++i) {
    int64_t base = i * 3;
    result.push_back({static_cast<int32_t>(rng() % 40),
                      std::max<int64_t>(0, base - static_cast<int64_t>(rng() % out_of_orderness))});
  }
  return result;
}

/// "key timer count" for every distinct (key, ts + delay), from the input.
std::set<std::string> expected_timers(const std::vector<event>& evs) {
  std::map<int32_t, std::vector<int64_t>> times;
  for (auto& e : evs)
    times[e.key].push_back(e.ts);
  std::set<std::string> result;
  for (auto& [key, ts] : times) {
    std::set<int64_t> timers;
    for (auto t : ts)
      timers.insert(t + timer_delay);
    for (auto timer : timers) {
      int64_t n = 0;
      for (auto t : ts)
        n += t <= timer;
      result.insert(std::to_string(key) + " " + std::to_string(timer) + " " + std::to_string(n));
    }
  }
  return result;
}

void build(job& j, const std::vector<event>& evs,
           std::unique_ptr<eddy::sink<std::string>> out) {
  j.source(memory::from_vector(evs))
    .with_timestamps(&event::ts, std::chrono::milliseconds(out_of_orderness))
    .key_by(&event::key)
    .process<count_until>()
    .sink(std::move(out));
}

/// How many timers fired only at the end of input (watermark +infinity).
size_t fired_at_end(const std::vector<std::string>& lines) {
  size_t n = 0;
  for (auto& line : lines)
    n += line.ends_with(" end");
  return n;
}

/// Checks fired-timer lines: each expected timer once, never before the
/// watermark passed it, in time order per key.
void check_timers(const std::vector<std::string>& lines, const std::vector<event>& evs) {
  std::multiset<std::string> got;
  std::map<std::string, int64_t> last_per_key;
  size_t early = 0, out_of_order = 0;
  for (auto& line : lines) {
    std::istringstream in{line};
    std::string key, wm;
    int64_t ts = 0, n = 0;
    in >> key >> ts >> n >> wm;
    got.insert(key + " " + std::to_string(ts) + " " + std::to_string(n));
    if (wm != "end" && std::stoll(wm) < ts)
      ++early;
    if (last_per_key.count(key) && last_per_key[key] >= ts)
      ++out_of_order;
    last_per_key[key] = ts;
  }
  auto want = expected_timers(evs);
  BOOST_TEST(got.size() == want.size()); // a multiset: duplicates would show here
  BOOST_TEST((std::set<std::string>(got.begin(), got.end()) == want));
  BOOST_TEST(early == 0u);
  BOOST_TEST(out_of_order == 0u);
}

} // namespace

BOOST_AUTO_TEST_SUITE(event_time)

BOOST_AUTO_TEST_CASE(event_time_timers_fire_once_after_every_record_before_them) {
  test::temp_dir dir;
  auto evs = events(30'000);
  auto out = std::make_shared<std::vector<std::string>>();
  job j{"event-time"};
  j.config().state_dir = dir.path;
  j.config().log_level = "off";
  build(j, evs, memory::to_vector(out));
  auto result = actors::execute(j);
  BOOST_TEST_REQUIRE(result.exit_code == 0, result.error);
  check_timers(*out, evs);
  // Most timers fire on the way, from watermarks, not at the end of input.
  BOOST_TEST(fired_at_end(*out) < out->size() / 10);
}

BOOST_AUTO_TEST_CASE(watermarks_cross_a_keyed_stage_to_the_timers_of_the_next) {
  struct pass_on {
    void on_record(const event& e, context<event>& ctx) {
      ctx.emit(e);
    }
  };
  test::temp_dir dir;
  auto evs = events(20'000);
  auto out = std::make_shared<std::vector<std::string>>();
  job j{"two-stage-time"};
  j.config().state_dir = dir.path;
  j.config().log_level = "off";
  j.config().max_key_groups = 16;
  // Input that trickles in, so watermarks move on the way instead of jumping
  // to the end while the stages are still catching up.
  j.config().source_chunk = 500;
  j.source(memory::generate(evs.size(), [&evs](uint64_t i) {
       if (i % 500 == 0)
         std::this_thread::sleep_for(std::chrono::milliseconds(5));
       return evs[i];
     }))
    .with_timestamps(&event::ts, std::chrono::milliseconds(out_of_orderness))
    .key_by([](const event& e) { return e.key % 7; }) // another partitioning first
    .process<pass_on>()
    .key_by(&event::key)
    .process<count_until>()
    .sink(memory::to_vector(out));
  auto result = actors::execute(j);
  BOOST_TEST_REQUIRE(result.exit_code == 0, result.error);
  check_timers(*out, evs);
  BOOST_TEST(fired_at_end(*out) < out->size() / 10); // the watermark went through stage 1
}

BOOST_AUTO_TEST_CASE(processing_time_timers_fire_once_by_the_wall_clock) {
  struct reminder {
    value_state<int64_t> due;
    void on_record(const int64_t& key, context<std::string>& ctx) {
      if (!due) {
        due = ctx.current_processing_time() + 30;
        ctx.timers().at_processing_time(*due);
      }
    }
    void on_timer(int64_t ts, context<std::string>& ctx) {
      if (ctx.current_processing_time() >= ts)
        ctx.emit(std::to_string(ctx.key<int64_t>()));
    }
  };
  test::temp_dir dir;
  auto out = std::make_shared<std::vector<std::string>>();
  job j{"processing-time"};
  j.config().state_dir = dir.path;
  j.config().log_level = "off";
  j.config().source_chunk = 50; // records arrive over the whole 400 ms
  // 20 keys over 400 ms of input: every key's timer is due before the end.
  j.source(memory::generate(2'000, [](uint64_t i) {
       std::this_thread::sleep_for(std::chrono::microseconds(200));
       return static_cast<int64_t>(i % 20);
     }))
    .key_by([](const int64_t& k) { return k; })
    .process<reminder>()
    .sink(memory::to_vector(out));
  auto result = actors::execute(j);
  BOOST_TEST_REQUIRE(result.exit_code == 0, result.error);
  std::multiset<std::string> got(out->begin(), out->end());
  BOOST_TEST(got.size() == 20u);
  for (int k = 0; k < 20; ++k)
    BOOST_TEST(got.count(std::to_string(k)) == 1u, "key " << k);
}

BOOST_AUTO_TEST_CASE(event_time_timers_fire_exactly_once_across_sigkills) {
  test::temp_dir dir;
  std::filesystem::create_directories(dir.path);
  auto evs = events(200'000);
  auto job_in = [&](const std::filesystem::path& state, const std::filesystem::path& output) {
    job j{"event-time-crash"};
    j.config().state_dir = state;
    j.config().log_level = "off";
    j.config().snapshot_every_entries = 20;
    build(j, evs, connectors::file::lines_out(output, [](const std::string& s) { return s; }));
    return actors::execute(j).exit_code;
  };
  auto report = test::kill_and_finish(
    [&](bool probe) {
      return probe ? job_in(dir.path / "probe", dir.path / "probe.txt")
                   : job_in(dir.path / "state", dir.path / "out.txt");
    },
    3);
  BOOST_TEST_MESSAGE("the whole job takes " << report.whole_ms << " ms; killed " << report.kills
                                            << " times");
  BOOST_TEST_REQUIRE(report.final_code == 0);
  BOOST_TEST(report.kills >= 8);
  std::vector<std::string> lines;
  std::ifstream in{dir.path / "out.txt"};
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  check_timers(lines, evs);
}

BOOST_AUTO_TEST_SUITE_END()
