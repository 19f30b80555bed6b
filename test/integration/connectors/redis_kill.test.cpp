// Runs redis_copy_job against a real redis-server: Redis streams in, a
// keyed count, a Redis stream out through the exactly-once XADD sink. Killed
// with SIGKILL again and again and run to completion, the output holds every
// running count of every key exactly once; an unreachable server is exit 2.

#include "integration/process.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "eddy/connectors/redis/streams.hpp"
#include "eddy/connectors/redis/xadd.hpp"
#include "support/redis_server.hpp"

namespace redis = eddy::connectors::redis;
using namespace std::chrono_literals;
using eddy::test::exit_status;
using eddy::test::ms;
using eddy::test::process;
using eddy::test::redis_server;
using eddy::test::slurp;
using eddy::test::tail_of;
using eddy::test::temp_dir;

namespace {

using clock_type = std::chrono::steady_clock;

const std::string binary = EDDY_REDIS_COPY_JOB_BINARY;
const std::string inputs = "in-a,in-b,in-c";

/// (key, running count), as the job writes them.
using counts = std::multiset<std::pair<std::string, int64_t>>;

redis::endpoint endpoint_of(const redis_server& server) {
  return *redis::parse_endpoint(server.url());
}

/// Appends `n` entries with random keys among `keys` to each input stream,
/// pipelined through the sink; returns what the job must write: 1..total of
/// every key.
counts fill_inputs(const redis_server& server, size_t n, int keys, uint64_t seed) {
  std::mt19937_64 rng{seed};
  std::map<std::string, int64_t> totals;
  for (auto stream : {"in-a", "in-b", "in-c"}) {
    auto out = redis::xadd<std::string>(
      endpoint_of(server), stream, [](const std::string& k) { return redis::fields{{"key", k}}; },
      {.sink_id = "fill"});
    BOOST_REQUIRE(out->open(""));
    for (size_t i = 0; i < n; ++i) {
      auto key = "k" + std::to_string(rng() % keys);
      ++totals[key];
      BOOST_REQUIRE(!out->write(key));
    }
    BOOST_REQUIRE(out->commit({}));
  }
  counts want;
  for (auto& [key, total] : totals)
    for (int64_t c = 1; c <= total; ++c)
      want.emplace(key, c);
  return want;
}

/// Everything in stream `name` as (key, count).
counts read_output(const redis_server& server, const std::string& name) {
  auto src = redis::streams(endpoint_of(server), {name}, {.follow = false});
  auto splits = src->splits(1);
  BOOST_REQUIRE(splits);
  auto reader = std::move(*src->reader(splits->front()));
  BOOST_REQUIRE(!reader->open(""));
  counts got;
  while (!reader->finished()) {
    auto n = reader->read(10'000, [&](const redis::entry& e) {
      got.emplace(std::string{e.field("key").value_or("?")},
                  std::stoll(std::string{e.field("count").value_or("-1")}));
    });
    BOOST_REQUIRE(n);
  }
  return got;
}

/// Runs of redis_copy_job into output streams named after the run, each
/// with its own state directory.
struct copy_job {
  const redis_server& server;
  temp_dir dir{"eddy-redis-kill"};
  int runs = 0;
  std::filesystem::path last_stderr;

  ~copy_job() {
    dir.keep(!eddy::test::passing());
  }

  std::unique_ptr<process> start(const std::string& name, std::string url = {}) {
    ++runs;
    auto log = dir / ("run-" + std::to_string(runs));
    last_stderr = log.string() + ".stderr";
    return std::make_unique<process>(
      std::vector<std::string>{binary, "--redis", url.empty() ? server.url() : url, "--inputs",
                               inputs, "--output", name, "--state-dir",
                               (dir / (name + ".state")).string(), "--parallelism", "2",
                               "--log-level", "warn"},
      log.string() + ".stdout", last_stderr);
  }

  clock_type::duration run(const std::string& name) {
    auto p = start(name);
    auto st = p->wait(180s);
    BOOST_REQUIRE_MESSAGE(st.exited_with(0), "run " << runs << ": " << st.describe() << ": "
                                                    << tail_of(last_stderr));
    return p->elapsed();
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(redis_kill)

BOOST_AUTO_TEST_CASE(every_count_is_in_the_output_stream_exactly_once_after_repeated_sigkills) {
  redis_server server;
  auto want = fill_inputs(server, 35'000, 1000, 20261203);
  BOOST_TEST_MESSAGE(want.size() << " entries in 3 streams");
  copy_job job{server};

  auto t_full = job.run("clean");
  BOOST_TEST_MESSAGE("uninterrupted run: " << ms(t_full) << " ms");
  BOOST_REQUIRE(read_output(server, "clean") == want);

  // Kills at random moments, up to 8 per round; a round is run to
  // completion and checked; rounds go on (with shorter delays) until 12
  // kills hit a running job.
  std::mt19937_64 rng{20261203};
  int hits = 0;
  auto upper_ms = std::max(100.0, ms(t_full) * 0.8);
  for (int round = 1; round <= 12 && hits < 12; ++round) {
    auto name = "killed-" + std::to_string(round);
    for (int attempt = 0; attempt < 8; ++attempt) {
      auto delay_ms = 30.0 + static_cast<double>(rng() % 1000) / 1000.0 * (upper_ms - 30.0);
      auto p = job.start(name);
      auto ended = p->wait_for(std::chrono::duration_cast<clock_type::duration>(
        std::chrono::duration<double, std::milli>(delay_ms)));
      auto st = ended ? *ended : p->kill();
      if (st.killed()) {
        ++hits;
        BOOST_TEST_MESSAGE("round " << round << ": kill " << hits << " after "
                                    << static_cast<int>(delay_ms) << " ms");
        continue;
      }
      BOOST_REQUIRE_MESSAGE(st.exited_with(0), "run " << job.runs << ": " << st.describe() << ": "
                                                      << tail_of(job.last_stderr));
      break;
    }
    job.run(name);
    auto got = read_output(server, name);
    BOOST_TEST(got.size() == want.size());
    BOOST_CHECK_MESSAGE(got == want, name << ": the output stream differs from the reference");
    job.run(name); // after completion, a rerun adds nothing
    BOOST_TEST(read_output(server, name).size() == want.size());
    upper_ms = std::max(100.0, upper_ms * 0.8); // resumed runs finish sooner
  }
  BOOST_TEST(hits >= 10);
}

BOOST_AUTO_TEST_CASE(an_unreachable_server_is_exit_2_with_a_message_naming_it) {
  std::string address;
  {
    redis_server gone; // a port that had a Redis a moment ago
    address = "127.0.0.1:" + std::to_string(gone.port());
  }
  redis_server server;
  copy_job job{server};
  auto p = job.start("out", "redis://" + address);
  auto st = p->wait(60s);
  auto err = slurp(job.last_stderr);
  BOOST_TEST(st.exited_with(2), st.describe() << ": " << err);
  BOOST_TEST(err.find(address) != std::string::npos, err);

  auto bad = job.start("out", "redis:/nowhere");
  auto bad_st = bad->wait(60s);
  auto bad_err = slurp(job.last_stderr);
  BOOST_TEST(bad_st.exited_with(2), bad_st.describe() << ": " << bad_err);
  BOOST_TEST(bad_err.find("redis:/nowhere") != std::string::npos, bad_err);
}

BOOST_AUTO_TEST_SUITE_END()
