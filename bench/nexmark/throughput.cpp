// Nexmark throughput: runs `nexmark run` (samples/nexmark) as a child process
// per query, journal on and off, R runs each, a fresh state directory every
// time, and reports medians of events/s (wall), CPU seconds (the child's
// user + sys from wait4) and events per CPU-second ("per core"), next to the
// published per-core figures of Flink and Feldera. Then q5 as a bare
// single-threaded loop over the same events held in memory, the physical
// limit, and the generator alone. Several parallelisms (--parallelism 1,2)
// run each query at each and add a table of their ratios to the first.
//
//   bench_nexmark [--queries q0,q5,...] [--scale F] [--events N] [--runs R]
//                 [--modes on,off] [--seed S] [--parallelism P[,P...]] [--binary PATH]
//                 [--dir DIR] [--timeout SECONDS] [--bare-events N] [--no-bare-loop]
//
// Runs go to a fresh directory eddy-bench-nexmark-<pid> under --dir (default
// the temp directory), removed at the end.

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "eddy/connectors/nexmark/generator.hpp"
#include "nexmark/q5_loop.hpp"
#include "support/bench_util.hpp"
#include "support/child_process.hpp"

#ifndef EDDY_NEXMARK_BINARY
#  define EDDY_NEXMARK_BINARY "samples/nexmark/nexmark"
#endif

namespace fs = std::filesystem;
using eddy::bench::slurp;
namespace gen = eddy::connectors::nexmark;
using eddy::bench::median;

namespace {

// -- what to run ------------------------------------------------------------------

/// Events per run of each query at --scale 1: 10 M for the cheap ones, fewer
/// for the ones that keep much state, so that a run stays well under a minute
/// on 2 cores. Per-core target of issue 4 with the journal on (0: none).
struct query_plan {
  const char* name;
  uint64_t events;
  double target_per_core;
};

const std::vector<query_plan> plans = {
    {"q0", 10'000'000, 2e6},  {"q1", 10'000'000, 2e6}, {"q2", 10'000'000, 2e6},
    {"q3", 10'000'000, 0},    {"q5", 5'000'000, 1e6},  {"q7", 5'000'000, 1e6},
    {"q8", 10'000'000, 1e6},  {"q11", 5'000'000, 1e6}, {"q14", 10'000'000, 2e6},
    {"q15", 5'000'000, 0},    {"q17", 5'000'000, 0},   {"q18", 2'000'000, 0},
    {"q19", 2'000'000, 0},    {"q20", 5'000'000, 0},   {"q21", 10'000'000, 2e6},
    {"q22", 10'000'000, 2e6},
};

// -- published anchors ------------------------------------------------------------

/// A published figure: events/s and the cores it took; per core = the ratio.
struct anchor {
  double events_per_s = 0; ///< 0: not published for this query
  double cores = 1;
  double per_core() const {
    return events_per_s / cores;
  }
};

/// Flink 1.13, nexmark/nexmark README.md (= GUIDE_V1.md), "Throughput/Cores"
/// column: 100 M events, generator at 10 M/s, 8 TaskManagers of 1 slot,
/// RocksDB, exactly-once checkpoints every 3 min; cores measured on the
/// workers, generator included. Published directly per core.
/// https://github.com/nexmark/nexmark/blob/0c6d9cf08c9c86485b062d6565cdc06024368558/README.md
const std::map<std::string, anchor> flink_v1 = {
    {"q0", {155.02e3}},  {"q1", {157.94e3}}, {"q2", {175.21e3}}, {"q3", {152.12e3}},
    {"q5", {22.14e3}},   {"q7", {12.33e3}},  {"q8", {146.14e3}}, {"q11", {39.7e3}},
    {"q14", {161.23e3}}, {"q15", {72.42e3}}, {"q17", {116.8e3}}, {"q18", {53.7e3}},
    {"q19", {44.04e3}},  {"q20", {18.98e3}}, {"q21", {98.49e3}}, {"q22", {129.96e3}},
};

/// Flink 2.0, nexmark/nexmark GUIDE_V2.md "an example of result table":
/// Throughput and Cores columns (50 M measured events after 150 M warm-up,
/// 8 TMs, RocksDB/ForSt on HDFS, checkpoints every 30 s). Per core =
/// Throughput / Cores, computed here.
/// https://github.com/nexmark/nexmark/blob/e115ef9eebd493ffcedd6ec21b5b6c2222a9a88e/GUIDE_V2.md
const std::map<std::string, anchor> flink_v2 = {
    {"q0", {2.65e6, 7}},        {"q1", {2.86e6, 7.24}},     {"q2", {2.95e6, 7.13}},
    {"q3", {1.9e6, 8.69}},      {"q5", {920.4e3, 12.35}},   {"q7", {262.46e3, 11.45}},
    {"q8", {2.08e6, 12.83}},    {"q11", {427.88e3, 9.29}},  {"q14", {2.03e6, 7.83}},
    {"q15", {1.37e6, 8.16}},    {"q17", {1.63e6, 10.15}},   {"q18", {769.77e3, 11.77}},
    {"q19", {558.84e3, 13.09}}, {"q20", {194.96e3, 10.98}}, {"q21", {1.15e6, 7.81}},
    {"q22", {1.63e6, 7.7}},
};

/// Feldera, feldera/feldera benchmark/README.md "16-core Nexmark Streaming
/// Performance", Feldera stream column (events/s, mean) on 16 cores ("Feldera
/// uses the exact number of cores specified"); per core = events/s / 16,
/// computed here. q11 has no Feldera figure there.
/// https://github.com/feldera/feldera/blob/6c08192320412b20663ee70c32280befc3f9b598/benchmark/README.md
const std::map<std::string, anchor> feldera = {
    {"q0", {6'973'987, 16}},  {"q1", {6'595'871, 16}},  {"q2", {6'748'549, 16}},
    {"q3", {6'608'075, 16}},  {"q5", {6'589'786, 16}},  {"q7", {3'136'763, 16}},
    {"q8", {6'641'870, 16}},  {"q14", {6'858'711, 16}}, {"q15", {3'539'322, 16}},
    {"q17", {3'870'269, 16}}, {"q18", {1'358'216, 16}}, {"q19", {1'201'216, 16}},
    {"q20", {1'352'192, 16}}, {"q21", {6'634'820, 16}}, {"q22", {6'305'568, 16}},
};

std::optional<double> per_core(const std::map<std::string, anchor>& table,
                               const std::string& query) {
  auto it = table.find(query);
  if (it == table.end() || it->second.events_per_s <= 0)
    return std::nullopt;
  return it->second.per_core();
}

// -- running the child ------------------------------------------------------------

pid_t running_child = -1;

void on_alarm(int) {
  if (running_child > 0)
    kill(running_child, SIGKILL);
}

std::string load_average() {
  std::ifstream in{"/proc/loadavg"};
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

struct run_result {
  bool ok = false;
  double wall = 0;   ///< seconds from fork to exit
  double cpu = 0;    ///< the child's user + sys seconds
  uint64_t rows = 0; ///< from the binary's summary line
  long max_rss_kb = 0;
  std::string failure;
};

run_result run_child(const std::string& binary, const std::vector<std::string>& args,
                     const fs::path& dir, int timeout_s) {
  run_result r;
  auto out_path = dir / "stdout.txt", err_path = dir / "stderr.txt";
  std::vector<std::string> argv{binary};
  argv.insert(argv.end(), args.begin(), args.end());
  eddy::bench::stopwatch sw;
  pid_t pid = eddy::bench::start_child(argv, out_path, err_path);
  if (pid < 0) {
    r.failure = std::string{"fork: "} + std::strerror(errno);
    return r;
  }
  running_child = pid;
  alarm(static_cast<unsigned>(timeout_s));
  auto ended = eddy::bench::wait_child(pid);
  alarm(0);
  running_child = -1;
  r.wall = sw.seconds();
  r.cpu = ended.cpu;
  r.max_rss_kb = ended.max_rss_kb;
  auto out = slurp(out_path);
  // "nexmark q5: 1000000 events, 123 rows, 4.56 s, ..." — the number before " rows".
  if (auto at = out.rfind(" rows"); at != std::string::npos) {
    auto from = out.find_last_not_of("0123456789", at - 1);
    r.rows = std::strtoull(out.c_str() + (from == std::string::npos ? 0 : from + 1), nullptr, 10);
  }
  r.ok = ended.ok;
  r.failure = ended.failure;
  if (ended.failure.rfind("exit code", 0) == 0)
    r.failure += ": " + slurp(err_path);
  return r;
}

// -- formatting -------------------------------------------------------------------

std::string si(double x) {
  char buf[32];
  if (x >= 1e6)
    std::snprintf(buf, sizeof buf, "%.2f M", x / 1e6);
  else if (x >= 1e3)
    std::snprintf(buf, sizeof buf, "%.0f K", x / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0f", x);
  return buf;
}

std::string fixed(double x, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, x);
  return buf;
}

std::string ratio(double eddy, std::optional<double> anchor) {
  if (!anchor || eddy <= 0)
    return "n/a";
  return fixed(eddy / *anchor, 2) + "×";
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in{s};
  for (std::string item; std::getline(in, item, sep);)
    if (!item.empty())
      out.push_back(item);
  return out;
}

struct mode_result {
  double events_per_s = 0, cpu = 0, per_core = 0;
  uint64_t rows = 0;
  int failures = 0;
  bool measured = false;
};

} // namespace

int main(int argc, char** argv) {
  std::string binary = EDDY_NEXMARK_BINARY;
  std::vector<std::string> queries;
  std::vector<std::string> modes = {"on", "off"};
  double scale = 1;
  uint64_t events_override = 0, bare_events = 0, seed = 1;
  int runs = 3, timeout_s = 300;
  std::vector<std::string> parallelisms = {""}; // "": the binary's default
  fs::path parent = fs::temp_directory_path();
  bool bare_loop = true;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_nexmark: %s needs a value\n", flag.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (flag == "--queries")
      queries = split(value(), ',');
    else if (flag == "--modes")
      modes = split(value(), ',');
    else if (flag == "--scale")
      scale = std::stod(value());
    else if (flag == "--events")
      events_override = std::stoull(value());
    else if (flag == "--runs")
      runs = std::stoi(value());
    else if (flag == "--seed")
      seed = std::stoull(value());
    else if (flag == "--parallelism")
      parallelisms = split(value(), ','); // several: each is run, the first fills the main table
    else if (flag == "--binary")
      binary = value();
    else if (flag == "--dir")
      parent = value();
    else if (flag == "--timeout")
      timeout_s = std::stoi(value());
    else if (flag == "--bare-events")
      bare_events = std::stoull(value());
    else if (flag == "--no-bare-loop")
      bare_loop = false;
    else {
      std::fprintf(stderr, "bench_nexmark: unknown flag %s (see the head of throughput.cpp)\n",
                   flag.c_str());
      return 2;
    }
  }
  auto dir = parent / ("eddy-bench-nexmark-" + std::to_string(getpid()));
  std::vector<query_plan> chosen;
  for (auto& p : plans)
    if (queries.empty() || std::find(queries.begin(), queries.end(), p.name) != queries.end())
      chosen.push_back(p);
  for (auto& p : chosen)
    p.events = events_override
                   ? events_override
                   : static_cast<uint64_t>(std::llround(static_cast<double>(p.events) * scale));

  eddy::bench::print_header(argc, argv);
  std::printf("binary: %s\nseed %llu, generator rate 10 M events/s of event time (the binary's "
              "default), %d runs, medians; fresh state dir per run under %s\n",
              binary.c_str(), static_cast<unsigned long long>(seed), runs, dir.c_str());
  std::printf("load average at start: %s\n\n", load_average().c_str());
  std::fflush(stdout);
  signal(SIGALRM, on_alarm);

  std::map<std::string, std::map<std::string, mode_result>> results;
  if (!chosen.empty() && access(binary.c_str(), X_OK) != 0) {
    std::fprintf(stderr, "bench_nexmark: %s is not an executable; build target nexmark first\n",
                 binary.c_str());
    chosen.clear();
  }
  // The result key of a mode at the k-th parallelism: the mode for the first.
  auto key_of = [&](const std::string& mode, size_t k) {
    return k == 0 ? mode : mode + "@p" + parallelisms[k];
  };
  for (auto& plan : chosen) {
    for (size_t k = 0; k < parallelisms.size(); ++k)
    for (auto& mode : modes) {
      auto& parallelism = parallelisms[k];
      std::vector<double> rates, cpus, per_cores;
      mode_result m;
      for (int r = 0; r < runs; ++r) {
        auto run_dir = dir / (std::string{plan.name} + "-" + key_of(mode, k) + "-" + std::to_string(r));
        fs::remove_all(run_dir);
        fs::create_directories(run_dir);
        std::vector<std::string> args = {"run",
                                         "--query",
                                         plan.name,
                                         "--events",
                                         std::to_string(plan.events),
                                         "--seed",
                                         std::to_string(seed),
                                         "--output",
                                         (run_dir / "out.tsv").string(),
                                         "--state-dir",
                                         (run_dir / "state").string()};
        if (!parallelism.empty())
          args.insert(args.end(), {"--parallelism", parallelism});
        if (mode == "off")
          args.push_back("--no-journal");
        auto load = load_average();
        auto res = run_child(binary, args, run_dir, timeout_s);
        auto rate = static_cast<double>(plan.events) / res.wall;
        auto pc = res.cpu > 0 ? static_cast<double>(plan.events) / res.cpu : 0;
        std::printf("  %-4s journal %-3s%s run %d: %s  wall %.2f s  cpu %.2f s  %s events/s  %s "
                    "events/cpu-s  %llu rows  rss %ld MB  load %s\n",
                    plan.name, mode.c_str(), parallelism.empty() ? "" : (" p" + parallelism).c_str(), r + 1, res.ok ? "ok    " : "FAILED", res.wall, res.cpu,
                    si(rate).c_str(), si(pc).c_str(), static_cast<unsigned long long>(res.rows),
                    res.max_rss_kb / 1024, load.c_str());
        if (!res.ok) {
          std::printf("    %s\n", res.failure.c_str());
          ++m.failures;
        } else {
          rates.push_back(rate);
          cpus.push_back(res.cpu);
          per_cores.push_back(pc);
          m.rows = res.rows;
        }
        std::fflush(stdout);
        fs::remove_all(run_dir);
      }
      if (!rates.empty()) {
        m.measured = true;
        m.events_per_s = median(rates);
        m.cpu = median(cpus);
        m.per_core = median(per_cores);
      }
      results[plan.name][key_of(mode, k)] = m;
    }
  }
  fs::remove_all(dir);

  if (!chosen.empty()) {
    std::printf("\nload average at end: %s\n\n", load_average().c_str());
    std::printf(
        "| query | events | rows | on: events/s | on: CPU-s | on: events/s/core | off: events/s "
        "| off: CPU-s | off: events/s/core | Flink 1.13 /core | Flink 2.0 /core | Feldera "
        "/core | on ÷ Flink 1.13 | on ÷ Flink 2.0 | on ÷ Feldera | target /core (on) |\n");
    std::printf(
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | ---: | ---: | --- |\n");
    for (auto& plan : chosen) {
      auto& on = results[plan.name]["on"];
      auto& off = results[plan.name]["off"];
      auto cell = [](const mode_result& m, int which) -> std::string {
        if (!m.measured)
          return m.failures ? "failed" : "—";
        return which == 0 ? si(m.events_per_s) : which == 1 ? fixed(m.cpu, 2) : si(m.per_core);
      };
      auto f1 = per_core(flink_v1, plan.name), f2 = per_core(flink_v2, plan.name),
           fe = per_core(feldera, plan.name);
      auto opt = [](std::optional<double> x) { return x ? si(*x) : std::string{"n/a"}; };
      std::string target = "—";
      if (plan.target_per_core > 0)
        target = "≥ " + si(plan.target_per_core) + ": "
                 + (on.measured ? (on.per_core >= plan.target_per_core ? "met" : "**missed**")
                                : "not measured");
      std::printf(
          "| %s | %s | %llu | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
          plan.name, si(static_cast<double>(plan.events)).c_str(),
          static_cast<unsigned long long>(on.measured ? on.rows : off.rows), cell(on, 0).c_str(),
          cell(on, 1).c_str(), cell(on, 2).c_str(), cell(off, 0).c_str(), cell(off, 1).c_str(),
          cell(off, 2).c_str(), opt(f1).c_str(), opt(f2).c_str(), opt(fe).c_str(),
          ratio(on.per_core, f1).c_str(), ratio(on.per_core, f2).c_str(),
          ratio(on.per_core, fe).c_str(), target.c_str());
    }
    std::fflush(stdout);
  }
  if (!chosen.empty() && parallelisms.size() > 1) {
    // Parallel sources and keyed instances against the first parallelism, same run.
    std::printf("\n| query | journal | parallelism | events/s | CPU-s | events/s ÷ at p%s |\n"
                "| --- | --- | ---: | ---: | ---: | ---: |\n", parallelisms[0].c_str());
    for (auto& plan : chosen)
      for (auto& mode : modes)
        for (size_t k = 0; k < parallelisms.size(); ++k) {
          auto& m = results[plan.name][key_of(mode, k)];
          auto& first = results[plan.name][mode];
          std::printf("| %s | %s | %s | %s | %s | %s |\n", plan.name, mode.c_str(),
                      parallelisms[k].c_str(), m.measured ? si(m.events_per_s).c_str() : "failed",
                      m.measured ? fixed(m.cpu, 2).c_str() : "—",
                      m.measured && first.measured ? fixed(m.events_per_s / first.events_per_s, 2).c_str() : "—");
        }
    std::fflush(stdout);
  }

  if (!bare_loop)
    return 0;
  // -- the bare q5 loop ---------------------------------------------------------
  gen::generator_config config;
  config.seed = seed;
  config.events = bare_events;
  if (!config.events) {
    config.events = 5'000'000;
    for (auto& p : chosen)
      if (std::string{p.name} == "q5")
        config.events = p.events;
  }
  std::printf("\nbare q5 loop: %llu events (seed %llu, rate 10 M/s, as the q5 runs), generated "
              "into memory first; one thread; pane-based sliding windows; watermark 4 s\n",
              static_cast<unsigned long long>(config.events),
              static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  // Timed by wall clock and by this thread's CPU time: on a shared machine the
  // CPU time is what compares with the child's events per CPU-second.
  struct timing {
    double wall = 0, cpu = 0;
  };
  auto timed = [](auto&& body) {
    auto cpu_now = [] {
      timespec ts{};
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
      return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
    };
    auto c0 = cpu_now();
    eddy::bench::stopwatch sw;
    body();
    return timing{sw.seconds(), cpu_now() - c0};
  };
  std::vector<gen::event> events;
  events.reserve(config.events);
  auto fill = timed([&] {
    for (uint64_t n = 0; n < config.events; ++n)
      events.push_back(gen::generate(config, n));
  });
  // The generator alone: events made and dropped, as in the q5 job's source.
  auto n_gen = std::min<uint64_t>(config.events, 2'000'000);
  uint64_t kinds = 0;
  auto gen_only = timed([&] {
    for (uint64_t n = 0; n < n_gen; ++n)
      kinds += gen::generate(config, n).index();
  });
  std::vector<double> loop_wall, loop_cpu;
  eddy::bench::q5_loop_result loop;
  for (int r = 0; r < runs; ++r) {
    auto t = timed([&] { loop = eddy::bench::q5_loop(events); });
    loop_wall.push_back(static_cast<double>(config.events) / t.wall);
    loop_cpu.push_back(static_cast<double>(config.events) / t.cpu);
  }
  auto loop_per_core = median(loop_cpu);
  auto ev = static_cast<double>(config.events);
  std::printf("| what | events/s (wall) | events per CPU-second | q5 rows |\n"
              "| --- | ---: | ---: | ---: |\n");
  std::printf("| generator alone (generate() and drop, first %s events) | %s | %s | |\n",
              si(static_cast<double>(n_gen)).c_str(),
              si(static_cast<double>(n_gen) / gen_only.wall).c_str(),
              si(static_cast<double>(n_gen) / gen_only.cpu).c_str());
  std::printf("| generating the events into memory (setup of the loop, not timed in it) | %s | "
              "%s | |\n",
              si(ev / fill.wall).c_str(), si(ev / fill.cpu).c_str());
  std::printf("| bare q5 loop over the events in memory (median of %d) | %s | %s | %llu |\n", runs,
              si(median(loop_wall)).c_str(), si(loop_per_core).c_str(),
              static_cast<unsigned long long>(loop.rows));
  auto q5 = results.find("q5");
  if (q5 != results.end()) {
    for (auto& [mode, m] : q5->second)
      if (m.measured && mode.find('@') == std::string::npos)
        std::printf("| Eddy q5, journal %s (%.2f%% of the bare loop per CPU-second) | %s | %s | "
                    "%llu |\n",
                    mode.c_str(), 100 * m.per_core / loop_per_core, si(m.events_per_s).c_str(),
                    si(m.per_core).c_str(), static_cast<unsigned long long>(m.rows));
  }
  if (kinds == 0)
    std::printf("(no events generated)\n");
  return 0;
}
