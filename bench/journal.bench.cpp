// Journal throughput: entries/s through sqlite_journal against raw batched
// SQLite inserts of the same bytes in the same run, and replay speed.
//
//   bench_journal [--seconds S] [--dir DIR]
//
// --seconds: length of one write run (default 1); --dir: where the temporary
// journal files go (default: the system temp dir; use the disk you care about).

#include "eddy/journal/sqlite_journal.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace fs = std::filesystem;
using eddy::journal::partition_id;
using eddy::journal::sqlite_journal;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr size_t body_size = 100;
constexpr uint32_t partition_count = 128;
constexpr int runs = 3;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_journal: %s\n", what.c_str());
  std::exit(1);
}

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

std::string cpu_model() {
  std::ifstream in{"/proc/cpuinfo"};
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0)
      return line.substr(line.find(':') + 2);
  return "unknown";
}

void remove_db(const fs::path& file) {
  for (auto suffix : {"", "-wal", "-shm", "-journal"})
    fs::remove(file.string() + suffix);
}

std::string body_bytes() {
  std::string body(body_size, '\0');
  for (size_t i = 0; i < body_size; ++i)
    body[i] = static_cast<char>('a' + i % 26);
  return body;
}

/// Entries/s through the journal: groups of `group` entries round-robin over
/// 128 partitions, one commit per group, for about `duration` seconds.
double journal_run(const fs::path& file, size_t group, double duration) {
  remove_db(file);
  auto opened = sqlite_journal::open(file);
  if (!opened)
    die(opened.error().message());
  auto& j = **opened;
  std::vector<uint64_t> epochs(partition_count), seqs(partition_count, 0);
  for (uint32_t kg = 0; kg < partition_count; ++kg) {
    auto e = j.acquire(eddy::journal::partition_id_of(1, kg));
    if (!e)
      die(e.error().message());
    epochs[kg] = *e;
  }
  auto body = body_bytes();
  uint64_t written = 0;
  uint32_t next = 0;
  auto start = clock_type::now();
  double elapsed = 0;
  do {
    for (size_t i = 0; i < group; ++i) {
      auto kg = next++ % partition_count;
      j.stage_append(eddy::journal::partition_id_of(1, kg), epochs[kg], ++seqs[kg], body);
    }
    auto r = j.commit();
    if (!r)
      die(r.error().message());
    written += group;
  } while ((elapsed = seconds_since(start)) < duration);
  opened->reset();
  remove_db(file);
  return written / elapsed;
}

void check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
    die(std::string{what} + ": " + sqlite3_errmsg(db));
}

/// Entries/s of plain batched inserts of the same bodies into an append-only
/// rowid table, with the journal's pragmas.
double raw_run(const fs::path& file, size_t group, double duration) {
  remove_db(file);
  sqlite3* db = nullptr;
  check(sqlite3_open(file.c_str(), &db), db, "open");
  check(sqlite3_exec(db,
                     "PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL; "
                     "PRAGMA synchronous=FULL; "
                     "CREATE TABLE log(id INTEGER PRIMARY KEY, body BLOB NOT NULL);",
                     nullptr, nullptr, nullptr),
        db, "create");
  sqlite3_stmt *begin, *commit, *insert;
  check(sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, nullptr), db, "prepare");
  check(sqlite3_prepare_v2(db, "COMMIT", -1, &commit, nullptr), db, "prepare");
  check(sqlite3_prepare_v2(db, "INSERT INTO log(body) VALUES(?1)", -1, &insert, nullptr), db,
        "prepare");
  auto body = body_bytes();
  uint64_t written = 0;
  auto start = clock_type::now();
  double elapsed = 0;
  do {
    check(sqlite3_step(begin), db, "begin");
    sqlite3_reset(begin);
    for (size_t i = 0; i < group; ++i) {
      sqlite3_bind_blob(insert, 1, body.data(), int(body.size()), SQLITE_STATIC);
      check(sqlite3_step(insert), db, "insert");
      sqlite3_reset(insert);
    }
    check(sqlite3_step(commit), db, "commit");
    sqlite3_reset(commit);
    written += group;
  } while ((elapsed = seconds_since(start)) < duration);
  sqlite3_finalize(begin);
  sqlite3_finalize(commit);
  sqlite3_finalize(insert);
  sqlite3_close(db);
  remove_db(file);
  return written / elapsed;
}

/// Fills a journal without fsync: `per_partition` entries for each of
/// `partitions` partitions, interleaved, 1000 entries per commit.
void fill(const fs::path& file, uint32_t partitions, uint64_t per_partition) {
  remove_db(file);
  auto opened = sqlite_journal::open(file, {.create = true, .synchronous_full = false});
  if (!opened)
    die(opened.error().message());
  auto& j = **opened;
  auto body = body_bytes();
  for (uint64_t seq = 1; seq <= per_partition;) {
    for (size_t staged = 0; staged < 1000 && seq <= per_partition; ++seq)
      for (uint32_t kg = 0; kg < partitions; ++kg, ++staged)
        j.stage_append(eddy::journal::partition_id_of(1, kg), 0, seq, body);
    auto r = j.commit();
    if (!r)
      die(r.error().message());
  }
}

/// Entries/s to replay all entries of partition (1, 0), median of 3; each
/// replay opens the journal afresh (cold SQLite cache, warm OS cache).
double replay_rate(const fs::path& file, uint64_t expected) {
  std::vector<double> rates;
  for (int run = 0; run < runs; ++run) {
    auto opened = sqlite_journal::open(file);
    if (!opened)
      die(opened.error().message());
    uint64_t n = 0, bytes = 0;
    auto start = clock_type::now();
    auto err = (*opened)->replay(eddy::journal::partition_id_of(1, 0), 1, UINT64_MAX,
                                 [&](const eddy::journal::entry& e) {
                                   ++n;
                                   bytes += e.body.size();
                                   return eddy::error{};
                                 });
    auto elapsed = seconds_since(start);
    if (err)
      die(err.message());
    if (n != expected || bytes != expected * body_size)
      die("replay returned " + std::to_string(n) + " entries, expected "
          + std::to_string(expected));
    rates.push_back(n / elapsed);
  }
  return median(rates);
}

} // namespace

int main(int argc, char** argv) {
  double duration = 1.0;
  fs::path base = fs::temp_directory_path();
  std::string command;
  for (int i = 0; i < argc; ++i)
    command += (i ? " " : "") + std::string{argv[i]};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--seconds" && i + 1 < argc)
      duration = std::atof(argv[++i]);
    else if (arg == "--dir" && i + 1 < argc)
      base = argv[++i];
    else
      die("usage: bench_journal [--seconds S] [--dir DIR]");
  }
  auto dir = base / ("eddy-bench-journal-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto file = dir / "journal.db";

  std::printf("machine: nproc=%ld, cpu=%s, sqlite %s\n", ::sysconf(_SC_NPROCESSORS_ONLN),
              cpu_model().c_str(), sqlite3_libversion());
  std::printf("command: %s\n", command.c_str());
  std::printf("files:   %s\n\n", dir.c_str());

  std::printf("append, %zu-byte entries over %u partitions, WAL + synchronous=FULL, "
              "median of %d runs of %.1f s\n",
              body_size, partition_count, runs, duration);
  std::printf("%10s %16s %16s %8s\n", "per commit", "journal/s", "raw sqlite/s", "ratio");
  for (size_t group : {size_t{1}, size_t{100}, size_t{1000}}) {
    std::vector<double> journal, raw;
    for (int run = 0; run < runs; ++run) { // interleaved, so drift hits both
      journal.push_back(journal_run(file, group, duration));
      raw.push_back(raw_run(file, group, duration));
    }
    auto j = median(journal), r = median(raw);
    std::printf("%10zu %16.0f %16.0f %7.0f%%\n", group, j, r, 100 * j / r);
    std::fflush(stdout);
  }

  std::printf("\nreplay of one partition (cold SQLite cache, warm OS cache), median of %d\n",
              runs);
  std::printf("%10s %12s %16s\n", "entries", "partitions", "entries/s");
  for (uint64_t n : {uint64_t{10'000}, uint64_t{100'000}, uint64_t{1'000'000}}) {
    fill(file, 1, n);
    std::printf("%10llu %12u %16.0f\n", static_cast<unsigned long long>(n), 1u,
                replay_rate(file, n));
    std::fflush(stdout);
  }
  // The realistic layout: the partition's entries interleaved with 127 others.
  fill(file, partition_count, 10'000);
  std::printf("%10u %12u %16.0f\n", 10'000u, partition_count, replay_rate(file, 10'000));
  remove_db(file);
  fs::remove_all(dir);
  return 0;
}
