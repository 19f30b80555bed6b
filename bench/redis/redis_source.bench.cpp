// Redis Streams connector throughput against plain hiredis loops, same run,
// same server (scripts/local-redis, no persistence):
//   source: an Eddy job, redis::streams → counting sink, vs a plain
//           `XREAD COUNT 1000` loop over the same stream;
//   sink:   an Eddy job, generated rows → redis::xadd, vs a plain loop of
//           XADDs pipelined 1000 at a time.
//
//   bench_redis_source [--records N] [--runs R] [--batch B]

#include <hiredis/hiredis.h>

#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "eddy/actors/run.hpp"
#include "eddy/connectors/memory/memory.hpp"
#include "eddy/connectors/redis/streams.hpp"
#include "eddy/connectors/redis/xadd.hpp"
#include "support/bench_util.hpp"
#include "support/redis_server.hpp"

using namespace eddy;
namespace redis = connectors::redis;

namespace {

struct row {
  uint64_t i = 0;
};

template <class Inspector>
auto inspect(Inspector& f, row& x) {
  return f(x.i);
}

redis::fields fields_of(const row& r) {
  return {{"key", "k" + std::to_string(r.i % 1000)}, {"v", std::to_string(r.i)}};
}

[[noreturn]] void die(const std::string& what) {
  std::cerr << "bench_redis_source: " << what << "\n";
  std::exit(1);
}

redisContext* connect(int port) {
  auto* c = redisConnect("127.0.0.1", port);
  if (c == nullptr || c->err)
    die("cannot connect to port " + std::to_string(port));
  return c;
}

void run(redisContext* c, const char* command) {
  auto* r = static_cast<redisReply*>(redisCommand(c, command));
  if (r == nullptr)
    die(std::string{"failed: "} + command);
  freeReplyObject(r);
}

/// Plain XADDs of `n` rows to `stream`, 1000 per pipeline round trip.
double plain_xadd(int port, const std::string& stream, uint64_t n) {
  auto* c = connect(port);
  run(c, ("DEL " + stream).c_str());
  bench::stopwatch sw;
  for (uint64_t first = 0; first < n; first += 1000) {
    auto last = std::min(n, first + 1000);
    for (auto i = first; i < last; ++i) {
      auto key = "k" + std::to_string(i % 1000);
      auto v = std::to_string(i);
      redisAppendCommand(c, "XADD %b * key %b v %b", stream.data(), stream.size(), key.data(),
                         key.size(), v.data(), v.size());
    }
    for (auto i = first; i < last; ++i) {
      void* r = nullptr;
      if (redisGetReply(c, &r) != REDIS_OK)
        die("plain XADD lost its connection");
      freeReplyObject(r);
    }
  }
  auto s = sw.seconds();
  redisFree(c);
  return static_cast<double>(n) / s;
}

/// Plain `XREAD COUNT batch` after the last id until the stream is read;
/// touches every field as a consumer would.
double plain_xread(int port, const std::string& stream, uint64_t n, size_t batch) {
  auto* c = connect(port);
  std::string last = "0-0";
  uint64_t seen = 0, bytes = 0;
  auto count = std::to_string(batch);
  bench::stopwatch sw;
  for (;;) {
    auto* r = static_cast<redisReply*>(redisCommand(c, "XREAD COUNT %s STREAMS %b %b", count.c_str(),
                                                    stream.data(), stream.size(), last.data(),
                                                    last.size()));
    if (r == nullptr)
      die("plain XREAD lost its connection");
    if (r->type != REDIS_REPLY_ARRAY) {
      freeReplyObject(r);
      break;
    }
    auto& entries = *r->element[0]->element[1];
    for (size_t i = 0; i < entries.elements; ++i) {
      auto& kv = *entries.element[i]->element[1];
      for (size_t j = 0; j < kv.elements; ++j)
        bytes += kv.element[j]->len;
    }
    seen += entries.elements;
    auto& id = *entries.element[entries.elements - 1]->element[0];
    last.assign(id.str, id.len);
    freeReplyObject(r);
  }
  auto s = sw.seconds();
  redisFree(c);
  if (seen != n || bytes == 0)
    die("plain XREAD saw " + std::to_string(seen) + " of " + std::to_string(n));
  return static_cast<double>(n) / s;
}

std::filesystem::path fresh_state_dir() {
  auto dir = std::filesystem::temp_directory_path() / ("eddy-bench-redis-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  return dir;
}

/// An Eddy job: redis::streams(stream) → count_into.
double eddy_source(const redis::endpoint& server, const std::string& stream, uint64_t n, size_t batch) {
  auto dir = fresh_state_dir();
  auto committed = std::make_shared<uint64_t>(0);
  job j{"redis-source"};
  j.config().state_dir = dir;
  j.config().log_level = "warn";
  j.source(redis::streams(server, {stream}, {.follow = false, .batch = batch}))
    .sink(connectors::memory::count_into<redis::entry>(committed));
  bench::stopwatch sw;
  auto result = actors::execute(j);
  auto s = sw.seconds();
  std::filesystem::remove_all(dir);
  if (result.exit_code != 0 || *committed != n)
    die("source job: " + result.error + " (committed " + std::to_string(*committed) + ")");
  return static_cast<double>(n) / s;
}

/// An Eddy job: generate(n) rows → redis::xadd(stream).
double eddy_sink(const redis::endpoint& server, int port, const std::string& stream, uint64_t n) {
  auto* c = connect(port);
  run(c, ("DEL " + stream + " eddy:marks:" + stream + ":0").c_str());
  auto dir = fresh_state_dir();
  job j{"redis-sink"};
  j.config().state_dir = dir;
  j.config().log_level = "warn";
  j.source(connectors::memory::generate(n, [](uint64_t i) { return row{i}; }))
    .sink(redis::xadd<row>(server, stream, fields_of));
  bench::stopwatch sw;
  auto result = actors::execute(j);
  auto s = sw.seconds();
  std::filesystem::remove_all(dir);
  auto* len = static_cast<redisReply*>(redisCommand(c, "XLEN %s", stream.c_str()));
  auto written = len ? static_cast<uint64_t>(len->integer) : 0;
  freeReplyObject(len);
  redisFree(c);
  if (result.exit_code != 0 || written != n)
    die("sink job: " + result.error + " (stream holds " + std::to_string(written) + ")");
  return static_cast<double>(n) / s;
}

void report(const std::string& what, const std::vector<double>& eddy, const std::vector<double>& plain) {
  auto e = bench::median(eddy), p = bench::median(plain);
  std::cout << what << ": Eddy " << static_cast<uint64_t>(e) << " /s, plain loop "
            << static_cast<uint64_t>(p) << " /s, ratio " << 100.0 * e / p << "%\n";
}

} // namespace

int main(int argc, char** argv) {
  uint64_t records = std::stoull(bench::arg(argc, argv, "records", "1000000"));
  int runs = std::stoi(bench::arg(argc, argv, "runs", "3"));
  size_t batch = std::stoull(bench::arg(argc, argv, "batch", "1000"));
  bench::print_header(argc, argv);
  std::cout << "records: " << records << " entries of 2 fields (key k0..k999, v = i), runs: " << runs
            << ", XREAD COUNT " << batch << ", redis-server on loopback, no persistence\n";
  test::redis_server server;
  auto endpoint = *redis::parse_endpoint(server.url());

  std::vector<double> sink_eddy, sink_plain, source_eddy, source_plain;
  for (int r = 0; r < runs; ++r) {
    sink_plain.push_back(plain_xadd(server.port(), "plain-out", records));
    sink_eddy.push_back(eddy_sink(endpoint, server.port(), "input", records));
    std::cout << "  run " << r + 1 << ": XADD plain " << static_cast<uint64_t>(sink_plain.back())
              << " /s, Eddy sink " << static_cast<uint64_t>(sink_eddy.back()) << " /s\n";
  }
  // "input" now holds `records` entries written by the Eddy sink.
  for (int r = 0; r < runs; ++r) {
    source_plain.push_back(plain_xread(server.port(), "input", records, batch));
    source_eddy.push_back(eddy_source(endpoint, "input", records, batch));
    std::cout << "  run " << r + 1 << ": XREAD plain " << static_cast<uint64_t>(source_plain.back())
              << " /s, Eddy source " << static_cast<uint64_t>(source_eddy.back()) << " /s\n";
  }
  report("source (redis::streams → count)", source_eddy, source_plain);
  report("sink (generate → redis::xadd)", sink_eddy, sink_plain);
  return 0;
}
