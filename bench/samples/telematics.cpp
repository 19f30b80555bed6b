// bench_telematics [--vehicles V] [--days D] [--seconds S] [--fleet F]
//
// The telematics sample as users run it: Redis stream in, PostgreSQL out
// (throwaway servers), the job a child process.
//   1. Throughput: the generator's samples (V vehicles, D days) already in a
//      stream, a bounded run: samples/s of wall time and per CPU-second.
//   2. Latency at half that rate: a followed stream fed for S seconds by a
//      pacer (every 10 ms) with event time = the wall ms of the append;
//      F vehicles drive 2 s and stop 1.5 s, trip gap 1000 ms, out-of-orderness
//      100 ms. A trip [.., end] can fire once a sample with ts >= end + gap +
//      ooo arrived (watermark = max ts - ooo - 1 reaches end + gap - 1), so
//      latency = written_ms - (end_ms + gap + ooo); also written_ms - end_ms
//      (end_ms is the last sample's append time).

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "sample_bench.hpp"
#include "support/bench_util.hpp"
#include "support/child_process.hpp"
#include "telematics/generator.hpp"
#include "telematics/redis_out.hpp"

namespace fs = std::filesystem;
using namespace eddy::bench;

namespace {
constexpr int64_t gap = 1000, ooo = 100, drive_ms = 2000, cycle_ms = 3500;
int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch()).count();
}
} // namespace

int main(int argc, char** argv) {
  print_header(argc, argv);
  auto vehicles = std::stoll(arg(argc, argv, "vehicles", "100"));
  auto days = std::stoll(arg(argc, argv, "days", "2"));
  auto seconds = std::stod(arg(argc, argv, "seconds", "20"));
  auto fleet = std::stoll(arg(argc, argv, "fleet", "5000"));
  auto dir = fs::temp_directory_path() / ("bench-telematics-" + std::to_string(getpid()));
  fs::create_directories(dir);
  int status = 1;
  {
    local_server redis{"redis", dir / "redis"};
    local_server postgres{"postgres", dir / "postgres"};
    auto url = "redis://127.0.0.1:" + redis.address;
    auto& dsn = postgres.address;
    auto bulk = telematics::generate_samples({vehicles, days, 1});
    if (auto e = telematics::append_to_stream(url, "bulk", bulk); !e.empty())
      return std::fprintf(stderr, "%s\n", e.c_str()), 1;
    stopwatch wall;
    auto pid = start_child({EDDY_TELEMATICS_BINARY, "run", "--redis", url, "--stream", "bulk",
                            "--postgres", dsn, "--state-dir", (dir / "st-bulk").string(),
                            "--log-level", "warn"}, dir / "bulk.out", dir / "bulk.err");
    auto done = wait_child(pid);
    auto secs = wall.seconds();
    if (!done.ok)
      return std::fprintf(stderr, "bulk: %s %s\n", done.failure.c_str(), slurp(dir / "bulk.err").c_str()), 1;
    auto n = static_cast<double>(bulk.size());
    std::printf("throughput: %zu samples in %.2f s wall, %.2f s CPU: %.0f/s, %.0f/s per core (%s trips)\n",
                bulk.size(), secs, done.cpu, n / secs, n / done.cpu,
                psql(dsn, "SELECT count(*) FROM trips").front().c_str());
    // A new job on the same tables: without the old job's marks.
    psql(dsn, "TRUNCATE trips, premiums, dead_letters; DELETE FROM eddy_sink_marks");

    auto paced = n / secs / 2;
    pid = start_child({EDDY_TELEMATICS_BINARY, "run", "--redis", url, "--stream", "paced", "--follow",
                       "--postgres", dsn, "--state-dir", (dir / "st-paced").string(), "--trip-gap-ms",
                       std::to_string(gap), "--max-out-of-orderness-ms", std::to_string(ooo),
                       "--log-level", "warn"}, dir / "paced.out", dir / "paced.err");
    // Vehicle v drives while (t - v's phase) mod cycle < drive; the driving
    // ones take the due samples round-robin.
    auto t0 = now_ms();
    std::vector<int64_t> last(static_cast<size_t>(fleet), 0);
    std::vector<int64_t> ends; // of the trips sent (the session rule: a new trip after > gap)
    int64_t sent = 0, max_ts = 0;
    size_t next = 0;
    while (now_ms() - t0 < static_cast<int64_t>(seconds * 1000)) {
      auto t = now_ms();
      auto due = static_cast<int64_t>(paced * static_cast<double>(t - t0) / 1000) - sent;
      std::vector<telematics::sample> batch;
      for (int64_t tries = 0; due > 0 && tries < fleet; ++tries, next = (next + 1) % last.size()) {
        auto v = static_cast<int64_t>(next);
        if ((t - t0 + v * cycle_ms / fleet) % cycle_ms >= drive_ms || last[next] == t)
          continue;
        if (last[next] != 0 && t - last[next] > gap)
          ends.push_back(last[next]);
        batch.push_back({v, v, t, 48'137'000 + (t % 1000), 11'575'000, 60});
        last[next] = t;
        --due;
      }
      if (auto e = telematics::append_to_stream(url, "paced", batch); !e.empty()) {
        std::fprintf(stderr, "%s\n", e.c_str());
        break;
      }
      sent += static_cast<int64_t>(batch.size());
      if (!batch.empty())
        max_ts = t;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    // Expected: the trips whose end the watermark passed (a sample at >= end + gap + ooo
    // came); the job may lag: wait until all are written, at most a minute.
    for (auto l : last)
      if (l != 0)
        ends.push_back(l);
    size_t expected = 0;
    for (auto e : ends)
      expected += e + gap + ooo <= max_ts ? 1 : 0;
    auto closed = "FROM trips WHERE end_ms + " + std::to_string(gap + ooo) + " <= " + std::to_string(max_ts);
    for (int i = 0; i < 600 && std::stoul(psql(dsn, "SELECT count(*) " + closed).front()) < expected; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    kill(pid, SIGKILL);
    wait_child(pid);
    std::vector<double> fire, arrival;
    for (auto& row : psql(dsn, "SELECT written_ms - end_ms " + closed)) {
      arrival.push_back(std::stod(row));
      fire.push_back(std::stod(row) - static_cast<double>(gap + ooo));
    }
    std::printf("latency at %.0f samples/s (50%%) for %.0f s, %lld samples, %zu of %zu trips: after the "
                "watermark passed the trip (end + gap %lld + ooo %lld ms): p50 %.0f ms, p99 %.0f ms, "
                "max %.0f ms; after the last sample: p50 %.0f ms, p99 %.0f ms\n",
                paced, seconds, static_cast<long long>(sent), fire.size(), expected, static_cast<long long>(gap),
                static_cast<long long>(ooo), percentile(fire, 0.5), percentile(fire, 0.99),
                percentile(fire, 1.0), percentile(arrival, 0.5), percentile(arrival, 0.99));
    status = fire.empty() || fire.size() != expected ? 1 : 0;
  }
  fs::remove_all(dir);
  return status;
}
