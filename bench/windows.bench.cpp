// Windowed aggregation, exactly-once on: tumbling and sliding windows over
// 10^5 keys and session windows, each counting records per key and window,
// against a plain single-threaded loop computing the same windows, in the
// same run.
//
//   bench_windows [--records N] [--keys K] [--runs R] [--per-ms P]

#include <sys/resource.h>

#include <cstring>
#include <filesystem>
#include <unordered_map>

#include "eddy/actors/run.hpp"
#include "eddy/connectors/memory/memory.hpp"
#include "eddy/window.hpp"
#include "support/bench_util.hpp"

using namespace eddy;
namespace memory = eddy::connectors::memory;

namespace {

struct click {
  int64_t key = 0;
  int64_t ts = 0;
};
template <class I>
auto inspect(I& f, click& x) {
  return f(x.key, x.ts);
}

/// Counts records per window.
struct count_agg {
  int64_t create() const {
    return 0;
  }
  void add(int64_t& acc, const click&) const {
    ++acc;
  }
  void merge(int64_t& acc, const int64_t& other) const {
    acc += other;
  }
  int64_t result(const int64_t& acc) const {
    return acc;
  }
};

/// Record i: key i * 7919 % keys (every key in turn, spread), time i / per_ms.
click make_click(uint64_t i, uint64_t keys, uint64_t per_ms) {
  return {static_cast<int64_t>(i * 7919 % keys), static_cast<int64_t>(i / per_ms)};
}

enum class kind { tumbling, sliding, session };

constexpr int64_t size_ms = 1000, slide_ms = 500, gap_ms = 200; // a key recurs every 100 ms

/// The same windows in one loop: count per (key, window start).
double plain_loop(kind k, uint64_t records, uint64_t keys, uint64_t per_ms, size_t* windows) {
  bench::stopwatch sw;
  std::unordered_map<int64_t, std::unordered_map<int64_t, int64_t>> counts;
  std::unordered_map<int64_t, std::pair<int64_t, int64_t>> open_session; // key -> (start, last)
  size_t sessions = 0;
  for (uint64_t i = 0; i < records; ++i) {
    auto c = make_click(i, keys, per_ms);
    if (k == kind::tumbling) {
      ++counts[c.key][c.ts - c.ts % size_ms];
    } else if (k == kind::sliding) {
      for (auto start = c.ts - c.ts % slide_ms; start > c.ts - size_ms; start -= slide_ms)
        ++counts[c.key][start];
    } else {
      auto [it, added] = open_session.try_emplace(c.key, c.ts, c.ts);
      if (!added && c.ts > it->second.second + gap_ms) { // touching sessions merge (Flink)
        ++sessions;
        it->second = {c.ts, c.ts};
      }
      it->second.second = c.ts;
    }
  }
  auto s = sw.seconds();
  size_t n = sessions + open_session.size();
  for (auto& [key, ws] : counts)
    n += ws.size();
  *windows = n;
  return static_cast<double>(records) / s;
}

double eddy_run(kind k, uint64_t records, uint64_t keys, uint64_t per_ms, size_t* windows) {
  auto dir = std::filesystem::temp_directory_path()
             / ("eddy-bench-windows-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  auto committed = std::make_shared<uint64_t>(0);
  job j{"windows"};
  j.config().state_dir = dir;
  j.config().log_level = "warn";
  auto keyed = j.source(memory::generate(records, [keys, per_ms](uint64_t i) {
                  return make_click(i, keys, per_ms);
                }))
                 .with_timestamps(&click::ts, std::chrono::milliseconds(0))
                 .key_by(&click::key);
  using result_t = window_result<int64_t, int64_t>;
  auto sink = memory::count_into<result_t>(committed);
  if (k == kind::tumbling)
    keyed.window(tumbling(std::chrono::milliseconds(size_ms))).aggregate(count_agg{}).sink(std::move(sink));
  else if (k == kind::sliding)
    keyed.window(sliding(std::chrono::milliseconds(size_ms), std::chrono::milliseconds(slide_ms)))
      .aggregate(count_agg{})
      .sink(std::move(sink));
  else
    keyed.window(session(std::chrono::milliseconds(gap_ms))).aggregate(count_agg{}).sink(std::move(sink));
  bench::stopwatch sw;
  auto result = actors::execute(j);
  auto s = sw.seconds();
  std::filesystem::remove_all(dir);
  if (result.exit_code != 0) {
    std::cerr << "run failed: " << result.error << "\n";
    std::exit(1);
  }
  *windows = *committed;
  return static_cast<double>(records) / s;
}

} // namespace

int main(int argc, char** argv) {
  uint64_t records = 2'000'000, keys = 100'000;
  uint64_t per_ms = 1000; // records per ms of event time: ~10 per key per 1 s window
  int runs = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--records"))
      records = std::stoull(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--keys"))
      keys = std::stoull(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--runs"))
      runs = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--per-ms"))
      per_ms = std::stoull(argv[i + 1]);
  }
  bench::print_header(argc, argv);
  std::cout << "records: " << records << ", keys: " << keys << ", " << per_ms
            << " records per event-time ms, journal on (exactly-once), counting sink\n";
  std::printf("%-32s %14s %14s %10s %8s  %s\n", "windows", "eddy rec/s", "plain rec/s", "ratio",
              "windows", "target 1000000/s (tumbling)");
  for (auto [k, name] : {std::pair{kind::tumbling, "tumbling 1 s"},
                         std::pair{kind::sliding, "sliding 1 s every 500 ms"},
                         std::pair{kind::session, "session, gap 200 ms"}}) {
    std::vector<double> eddy, plain;
    size_t eddy_windows = 0, plain_windows = 0;
    for (int r = 0; r < runs; ++r) {
      plain.push_back(plain_loop(k, records, keys, per_ms, &plain_windows));
      eddy.push_back(eddy_run(k, records, keys, per_ms, &eddy_windows));
    }
    auto e = bench::median(eddy), p = bench::median(plain);
    std::printf("%-32s %14.0f %14.0f %9.1f%% %8zu  %s%s\n", name, e, p, 100 * e / p, eddy_windows,
                k == kind::tumbling ? (e >= 1e6 ? "met" : "MISSED") : "",
                eddy_windows == plain_windows ? "" : "  (window count differs from the loop!)");
  }
  return 0;
}
