// bench_bank_notifications [--transactions N] [--accounts A] [--seconds S]
//
// The bank_notifications sample as a user runs it: a Redis stream in,
// PostgreSQL out, both throwaway servers (scripts/local-redis,
// scripts/local-postgres), the job a child process in the local mode.
//
//   1. Throughput: N generated transactions already in the stream, a
//      bounded run; transactions per second of wall time and per core
//      (per second of the job's CPU time, user + sys).
//   2. Latency at half that load: a followed stream fed at 50% of the
//      measured rate for S seconds by a pacer (XADD every 10 ms); per
//      notification, the time its row was written (written_ms, the
//      database's clock_timestamp() inside the commit's transaction)
//      minus the time in its Redis entry id (the ms the entry arrived).
//
// Prints the machine, the command, and the figures; bench/RESULTS.md has them.

#include <hiredis/hiredis.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "bank_notifications/bank_job.hpp"
#include "bank_notifications/generator.hpp"
#include "redis_append.hpp"
#include "bank_notifications/reference.hpp"
#include "sample_bench.hpp"
#include "support/bench_util.hpp"
#include "support/child_process.hpp"

namespace fs = std::filesystem;
using namespace eddy::bench;

namespace {

const std::string binary = EDDY_BANK_NOTIFICATIONS_BINARY;

/// How many notifications the job writes for `records` (the sample's reference).
size_t expected_notifications(const std::vector<bank_notifications::generated_record>& records) {
  std::vector<bank_notifications::transaction> txs;
  int64_t line = 0;
  for (auto& r : records) {
    bank_notifications::transaction tx;
    std::string reason;
    auto record = samples::csv_record(++line, bank_notifications::csv_line(r),
                                      bank_notifications::transaction_columns());
    if (bank_notifications::parse(record, tx, reason))
      txs.push_back(std::move(tx));
  }
  return bank_notifications::reference(txs, {}).size();
}

} // namespace

int main(int argc, char** argv) {
  print_header(argc, argv);
  auto n = std::stoll(arg(argc, argv, "transactions", "300000"));
  auto accounts = std::stoll(arg(argc, argv, "accounts", "1000"));
  auto seconds = std::stod(arg(argc, argv, "seconds", "20"));
  auto dir = fs::temp_directory_path() / ("bench-bank-" + std::to_string(getpid()));
  fs::create_directories(dir);
  int status = 0;
  {
    local_server redis{"redis", dir / "redis"};
    local_server postgres{"postgres", dir / "postgres"};
    auto url = "redis://127.0.0.1:" + redis.address;
    auto& dsn = postgres.address;
    auto records = bank_notifications::generate(bank_notifications::generator_config{accounts, n, 1, 0});
    auto columns = bank_notifications::transaction_columns();
    if (auto problem = samples::redis_append(url, "bulk", columns, records); !problem.empty()) {
      std::fprintf(stderr, "%s\n", problem.c_str());
      return 1;
    }

    // 1. Throughput of a bounded run over what is in the stream.
    stopwatch wall;
    auto pid = start_child({binary, "run", "--redis", url, "--stream", "bulk", "--postgres", dsn,
                            "--state-dir", (dir / "state-bulk").string(), "--log-level", "warn"},
                           dir / "bulk.out", dir / "bulk.err");
    auto done = wait_child(pid);
    auto secs = wall.seconds();
    if (!done.ok) {
      std::fprintf(stderr, "bulk run: %s: %s\n", done.failure.c_str(), slurp(dir / "bulk.err").c_str());
      return 1;
    }
    auto rate = static_cast<double>(n) / secs;
    std::printf("throughput: %lld transactions in %.2f s wall, %.2f s CPU: %.0f/s, %.0f/s per core "
                "(%s notifications)\n",
                n, secs, done.cpu, rate, static_cast<double>(n) / done.cpu,
                psql(dsn, "SELECT count(*) FROM notifications").front().c_str());
    // A new job on the same tables: without the old job's marks, or its sink
    // would take the new job's first records as already written.
    psql(dsn, "TRUNCATE notifications, bank_dead_letters; DELETE FROM eddy_sink_marks");

    // 2. Latency at half the load, on a followed stream.
    auto paced = rate / 2;
    pid = start_child({binary, "run", "--redis", url, "--stream", "paced", "--follow", "--postgres",
                       dsn, "--state-dir", (dir / "state-paced").string(), "--log-level", "warn"},
                      dir / "paced.out", dir / "paced.err");
    auto feed = bank_notifications::generate(
      bank_notifications::generator_config{accounts, static_cast<int64_t>(paced * seconds), 2, 0});
    auto start = std::chrono::steady_clock::now();
    size_t sent = 0;
    while (sent < feed.size()) {
      auto due = std::min(feed.size(), static_cast<size_t>(
                                         paced * std::chrono::duration<double>(
                                                   std::chrono::steady_clock::now() - start)
                                                   .count()));
      if (due > sent) {
        std::vector<bank_notifications::generated_record> slice(feed.begin() + static_cast<long>(sent),
                                                                feed.begin() + static_cast<long>(due));
        if (auto problem = samples::redis_append(url, "paced", columns, slice); !problem.empty()) {
          std::fprintf(stderr, "%s\n", problem.c_str());
          break;
        }
        sent = due;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    // The job may lag behind the pacer: wait until it has written every
    // notification of the feed (the reference's count), at most a minute.
    auto expected = expected_notifications(feed);
    auto written = [&] { return std::stoul(psql(dsn, "SELECT count(*) FROM notifications").front()); };
    for (int i = 0; i < 600 && written() < expected; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    kill(pid, SIGKILL);
    wait_child(pid);
    std::vector<double> latencies;
    for (auto& row : psql(dsn, "SELECT written_ms - split_part(source_id, '-', 1)::bigint FROM notifications"))
      latencies.push_back(std::stod(row));
    std::printf("latency at %.0f transactions/s (50%%) for %.0f s: %zu of %zu notifications, p50 %.0f ms, "
                "p99 %.0f ms, max %.0f ms\n",
                paced, seconds, latencies.size(), expected, percentile(latencies, 0.5),
                percentile(latencies, 0.99), percentile(latencies, 1.0));
    status = latencies.empty() ? 1 : 0;
  }
  fs::remove_all(dir);
  return status;
}
