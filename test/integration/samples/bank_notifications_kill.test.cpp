// The bank_notifications sample on real servers: transactions generated
// into a Redis stream, notifications into PostgreSQL. SIGKILLed ten times
// at random moments in the local mode, and with a worker of a 3-worker
// cluster SIGKILLed mid-run, the table holds exactly the reference's rows:
// none missing, none twice. Each case starts its own servers and stops
// them, also when it fails.

#include <hiredis/hiredis.h>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "integration/cluster/launcher.hpp"
#include "integration/samples/bank_runs.hpp"
#include "support/postgres_server.hpp"
#include "support/redis_server.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using eddy::test::process;
using eddy::test::tail_of;
using eddy::test::temp_dir;

namespace {

const std::string stream = "transactions";

/// The entries of `stream` on `server` as the job reads them (XRANGE - +).
std::vector<samples::input_record> records_of_stream(const eddy::test::redis_server& server) {
  std::vector<samples::input_record> out;
  auto* c = redisConnect("127.0.0.1", server.port());
  BOOST_REQUIRE(c && !c->err);
  auto* reply = static_cast<redisReply*>(redisCommand(c, "XRANGE %s - +", stream.c_str()));
  BOOST_REQUIRE(reply && reply->type == REDIS_REPLY_ARRAY);
  for (size_t i = 0; i < reply->elements; ++i) {
    auto* e = reply->element[i];
    eddy::connectors::redis::entry entry{stream, e->element[0]->str, {}};
    auto* kv = e->element[1];
    for (size_t j = 0; j + 1 < kv->elements; j += 2)
      entry.fields.emplace_back(std::string{kv->element[j]->str, kv->element[j]->len},
                                std::string{kv->element[j + 1]->str, kv->element[j + 1]->len});
    out.push_back(samples::redis_record(entry));
  }
  freeReplyObject(reply);
  redisFree(c);
  return out;
}

/// Servers of one case, the transactions in Redis and the rows expected.
struct bank_servers {
  temp_dir dir{"eddy-bank-kill"};
  eddy::test::keep_on_failure keep{dir};
  eddy::test::redis_server redis;
  eddy::test::postgres_server postgres;
  std::vector<std::string> want;
  size_t dead = 0;

  void generate(int64_t accounts, int64_t transactions, uint64_t seed) {
    auto st = bank_test::generate(dir.path(), {"--accounts", std::to_string(accounts), "--transactions",
                                        std::to_string(transactions), "--seed", std::to_string(seed),
                                        "--malformed", "6", "--redis", redis.url(), "--stream", stream});
    BOOST_REQUIRE_MESSAGE(st.exited_with(0), st.describe() << ": " << tail_of(dir / "generate.stderr"));
    want = bank_test::rows_of_reference(records_of_stream(redis), &dead);
    BOOST_TEST_MESSAGE(transactions << " transactions, " << want.size() << " notifications expected");
    BOOST_REQUIRE(want.size() > 50u);
  }

  std::vector<std::string> job_args() const {
    return {bank_test::binary, "run", "--redis", redis.url(), "--stream", stream,
            "--postgres", postgres.dsn(), "--log-level", "info"};
  }

  std::vector<std::string> rows(const std::string& sql) {
    return postgres.query(sql);
  }

  void check() {
    auto got = rows(bank_test::notifications_query);
    BOOST_TEST((got == want), bank_test::difference(got, want));
    BOOST_TEST(rows("SELECT source_id FROM bank_dead_letters").size() == dead);
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(bank_notifications_kill)

BOOST_AUTO_TEST_CASE(notifications_in_postgres_are_exactly_the_reference_after_ten_sigkills) {
  bank_servers s;
  s.generate(500, 500'000, 2024);
  // An uninterrupted run into a database of its own times the kills.
  s.postgres.query("CREATE DATABASE probe");
  auto probe = s.job_args();
  auto& dsn = probe[std::find(probe.begin(), probe.end(), "--postgres") - probe.begin() + 1];
  dsn = dsn.substr(0, dsn.rfind('/')) + "/probe";
  probe.insert(probe.end(), {"--state-dir", (s.dir / "probe-state").string()});
  process timed{probe, s.dir / "probe.stdout", s.dir / "probe.stderr"};
  auto done = timed.wait(120s);
  BOOST_REQUIRE_MESSAGE(done.exited_with(0), done.describe() << ": " << tail_of(s.dir / "probe.stderr"));
  auto whole_ms = static_cast<int64_t>(eddy::test::ms(timed.elapsed()));
  BOOST_TEST_MESSAGE("uninterrupted run: " << whole_ms << " ms");

  auto args = s.job_args();
  args.insert(args.end(), {"--state-dir", (s.dir / "state").string()});
  std::mt19937_64 rng{2024};
  int kills = 0;
  for (int run = 1; kills < 10; ++run) {
    auto log = s.dir / ("run-" + std::to_string(run));
    process p{args, log.string() + ".stdout", log.string() + ".stderr"};
    auto ended = p.wait_for(bank_test::kill_delay(whole_ms, rng));
    auto st = ended ? *ended : p.kill();
    if (!st.killed()) {
      BOOST_REQUIRE_MESSAGE(st.exited_with(0), st.describe() << ": " << tail_of(log.string() + ".stderr"));
      break; // done before ten kills: checked below, with fewer kills reported
    }
    ++kills;
  }
  BOOST_TEST_MESSAGE(kills << " SIGKILLs, " << s.rows(bank_test::notifications_query).size()
                           << " rows before the last run");
  auto log = s.dir / "run-last";
  auto st = eddy::test::run(args, log.string() + ".stdout", log.string() + ".stderr", 120s);
  BOOST_REQUIRE_MESSAGE(st.exited_with(0), st.describe() << ": " << tail_of(log.string() + ".stderr"));
  BOOST_TEST(kills == 10);
  s.check();
}

BOOST_AUTO_TEST_CASE(a_sigkilled_worker_of_three_leaves_the_notifications_in_postgres_exactly_once) {
  bank_servers s;
  s.generate(500, 300'000, 2025);
  auto args = s.job_args();
  args.insert(args.end(), {"--parallelism", "3"});
  eddy::test::launched_cluster c{s.dir / "cluster", 3, args};
  BOOST_REQUIRE_MESSAGE(c.started(), c.start_error());
  // The kill lands once the first notifications are committed.
  auto deadline = std::chrono::steady_clock::now() + 30s;
  auto none_yet = [&s] {
    try {
      return s.rows("SELECT count(*) FROM notifications") == std::vector<std::string>{"0"};
    } catch (const std::exception&) {
      return true; // the job has not created its table yet
    }
  };
  while (none_yet() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  BOOST_REQUIRE(c.signal("worker-2", SIGKILL));
  auto st = c.wait();
  BOOST_TEST_REQUIRE(st.exited_with(0), st.describe() << ": " << tail_of(c.dir() / "coordinator.log"));
  BOOST_TEST(c.log("coordinator").find("worker 2 was lost: ") != std::string::npos);
  s.check();
}

BOOST_AUTO_TEST_SUITE_END()
