// The telematics sample end to end with PostgreSQL output: a generated
// fleet (out of order within the bound, malformed lines mixed in) against
// the plain reference, as a local process SIGKILLed again and again, and on
// a 3-worker cluster that loses a worker mid-run. Trips must be in `trips`
// exactly once (the table has no upsert key: a replayed trip would break
// its primary key), premiums hold their final value per (driver, month).

#include "integration/cluster/launcher.hpp"
#include "integration/process.hpp"
#include "connectors/redis/redis_client.hpp"
#include "support/postgres_server.hpp"
#include "support/redis_server.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "telematics/generator.hpp"
#include "telematics/job.hpp"
#include "telematics/reference.hpp"
#include "telematics/samples_csv.hpp"
#include "telematics/tables.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using eddy::test::keep_on_failure;
using eddy::test::launched_cluster;
using eddy::test::lines_of;
using eddy::test::postgres_server;
using eddy::test::process;
using eddy::test::tail_of;
using eddy::test::temp_dir;

namespace {

using clock_type = std::chrono::steady_clock;

const std::string binary = EDDY_TELEMATICS_BINARY;

/// A row as psql -At prints it: values joined by tabs.
std::string joined(const eddy::connectors::table::row& r) {
  std::string out;
  for (size_t i = 0; i < r.size(); ++i)
    out += (i ? "\t" : "") + r[i].value_or("");
  return out;
}

std::vector<std::string> sorted(std::vector<std::string> xs) {
  std::sort(xs.begin(), xs.end());
  return xs;
}

/// Trips committed so far, "none" before the job created its table.
std::string committed_trips(const postgres_server& pg) {
  try {
    return pg.value("SELECT count(*) FROM trips");
  } catch (const std::exception&) {
    return "none";
  }
}

/// A generated fleet with malformed lines, its reference, and the tables.
struct fleet {
  temp_dir dir{"eddy-telematics"};
  keep_on_failure keep{dir};
  fs::path input = dir / "samples.csv";
  std::vector<std::string> want_trips;    ///< sorted rows
  std::vector<std::string> want_premiums; ///< sorted rows
  size_t dead_letters = 0;

  telematics::generator_config config;

  fleet(int64_t vehicles, int64_t days, uint64_t seed) {
    config.vehicles = vehicles;
    config.days = days;
    config.seed = seed;
    std::vector<std::string> lines;
    for (auto& s : telematics::generate_samples(config))
      lines.push_back(telematics::format(s));
    static const std::vector<std::string> bad = {"", "garbage", "1,2,3", "x,1,1774828800000,1,1,1",
                                                 "1,1,1774828800000,99000000,1,1",
                                                 "1,1,1774828800000,1,1,1,1"};
    std::mt19937_64 rnd{seed};
    for (size_t i = 0; i < 30; ++i)
      lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(rnd() % (lines.size() + 1)),
                   bad[i % bad.size()]);
    dead_letters = 30;
    std::ofstream out{input, std::ios::binary};
    for (auto& l : lines)
      out << l << '\n';
    auto want = telematics::reference(lines, telematics::default_trip_gap_ms, {});
    for (auto& t : want.trips)
      want_trips.push_back(joined(telematics::trip_row(t)));
    for (auto& p : want.premiums)
      want_premiums.push_back(joined(telematics::premium_row(p)));
    want_trips = sorted(want_trips);
    want_premiums = sorted(want_premiums);
    BOOST_TEST_MESSAGE("input: " << lines.size() << " lines, " << want_trips.size() << " trips, "
                                 << want_premiums.size() << " premiums");
  }

  std::vector<std::string> run_args(const postgres_server& pg) const {
    return {binary, "run", "--input", input.string(), "--postgres", pg.dsn(), "--parallelism", "3"};
  }

  /// Checks the tables of `pg` against the reference.
  void check(const postgres_server& pg, const std::string& what) const {
    check(pg, what, dead_letters);
  }
  void check(const postgres_server& pg, const std::string& what, size_t dead_letters) const {
    auto trips = pg.query("SELECT trip_id, vehicle, driver, start_ms, end_ms, samples, distance_m, "
                          "harsh_brakes, speeding, night_permille, risk FROM trips");
    BOOST_TEST(trips.size() == want_trips.size(), what << ": trips");
    BOOST_TEST((sorted(trips) == want_trips), what << ": the trips differ from the reference");
    auto premiums = pg.query("SELECT driver, month, trips, distance_m, risk, factor_permille, "
                             "premium_cents FROM premiums");
    BOOST_TEST((sorted(premiums) == want_premiums), what << ": the premiums differ from the reference");
    BOOST_TEST(pg.value("SELECT count(*) FROM dead_letters") == std::to_string(dead_letters), what);
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(telematics_kill)

BOOST_AUTO_TEST_CASE(trips_and_premiums_match_the_reference_after_repeated_sigkills_of_a_local_run) {
  fleet f{20, 4, 20260330};
  postgres_server pg;
  int runs = 0;
  auto start = [&](const std::string& state) {
    auto args = f.run_args(pg);
    args.insert(args.end(), {"--role", "local", "--state-dir", (f.dir / state).string(),
                             "--log-level", "warn"});
    auto log = f.dir / ("run-" + std::to_string(++runs));
    return std::make_unique<process>(args, log.string() + ".stdout", log.string() + ".stderr");
  };
  auto last_stderr = [&] { return f.dir / ("run-" + std::to_string(runs) + ".stderr"); };
  // A new round starts from nothing: fresh state, empty tables and marks.
  auto empty_tables = [&] {
    pg.query("DELETE FROM trips; DELETE FROM premiums; DELETE FROM dead_letters; "
             "DELETE FROM eddy_sink_marks");
  };

  // An uninterrupted run times the job, so kills land while it runs.
  auto t0 = clock_type::now();
  auto st = start("probe")->wait(120s);
  auto whole_ms = std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
  BOOST_REQUIRE_MESSAGE(st.exited_with(0), "probe: " << st.describe() << ": " << tail_of(last_stderr()));
  BOOST_TEST_MESSAGE("an uninterrupted run takes " << static_cast<int>(whole_ms) << " ms: "
                                                   << eddy::test::slurp(f.dir / "run-1.stdout"));
  f.check(pg, "uninterrupted");

  // Kills at random moments of a whole run (trips are committed mostly in
  // its second half); a round ends when a run finishes before its kill, and
  // its tables are checked. Rounds go on until ten kills hit a running job.
  std::mt19937_64 rnd{7};
  int kills = 0;
  int with_output = 0;
  for (int round = 1; round <= 12 && kills < 10; ++round) {
    empty_tables();
    auto state = "round-" + std::to_string(round);
    for (int attempt = 0; attempt < 20 && kills < 10; ++attempt) {
      // Half the kills in the second half of a run, where trips commit.
      auto u = static_cast<double>(rnd() % 1000) / 1000.0;
      auto after = 30.0 + (kills % 2 ? 0.5 + 0.45 * u : 0.5 * u) * whole_ms;
      auto p = start(state);
      auto ended = p->wait_for(std::chrono::duration_cast<clock_type::duration>(
        std::chrono::duration<double, std::milli>(after)));
      if (ended) {
        BOOST_REQUIRE_MESSAGE(ended->exited_with(0), "run " << runs << ": " << ended->describe()
                                                            << ": " << tail_of(last_stderr()));
        break; // finished before its kill
      }
      p->kill();
      ++kills;
      auto committed = committed_trips(pg);
      with_output += committed != "0" && committed != "none";
      BOOST_TEST_MESSAGE("round " << round << ", kill " << kills << " after "
                                  << static_cast<int>(after) << " ms: " << committed
                                  << " trips committed");
    }
    st = start(state)->wait(120s); // finishes, or finds the job done
    BOOST_REQUIRE_MESSAGE(st.exited_with(0), "round " << round << ": " << st.describe() << ": "
                                                      << tail_of(last_stderr()));
    f.check(pg, "round " + std::to_string(round) + " after " + std::to_string(kills) + " kills");
  }
  BOOST_TEST(kills == 10);
  BOOST_TEST(with_output >= 2, with_output << " kills after trips were committed");
}

BOOST_AUTO_TEST_CASE(a_three_worker_cluster_that_loses_a_worker_mid_run_writes_the_reference) {
  fleet f{30, 4, 20260331};
  postgres_server pg;
  launched_cluster c{f.dir / "cluster", 3, f.run_args(pg)};
  BOOST_REQUIRE_MESSAGE(c.started(), c.start_error());
  // Kill worker 2 right after the start: on a fast hour the whole job
  // committed before a kill that waited for its first trips, and the loss
  // went unnoticed (a kill this early once stalled the job: fixed, and
  // covered by the cluster test that kills worker 2 right after the start).
  BOOST_REQUIRE(c.signal("worker-2", SIGKILL));
  auto st = c.wait();
  BOOST_REQUIRE_MESSAGE(st.exited_with(0), st.describe() << ": " << tail_of(c.dir() / "coordinator.log"));
  BOOST_TEST(c.log("coordinator").find("worker 2 was lost") != std::string::npos);
  f.check(pg, "3 workers, one lost");
}

BOOST_AUTO_TEST_CASE(samples_from_a_redis_stream_give_the_same_trips_and_premiums) {
  fleet f{4, 2, 20260401};
  eddy::test::redis_server redis;
  postgres_server pg;
  auto st = eddy::test::run({binary, "generate", "--vehicles", "4", "--days", "2", "--seed",
                             std::to_string(f.config.seed), "--redis", redis.url(), "--stream",
                             "fleet"},
                            f.dir / "generate.out", f.dir / "generate.err");
  BOOST_REQUIRE_MESSAGE(st.exited_with(0), st.describe() << ": " << tail_of(f.dir / "generate.err"));
  eddy::test::redis_client client{redis.port()};
  client.run({"XADD", "fleet", "*", "vehicle", "1", "driver", "x"}); // malformed: a dead letter
  st = eddy::test::run({binary, "run", "--redis", redis.url(), "--stream", "fleet", "--postgres",
                        pg.dsn(), "--state-dir", (f.dir / "state").string(), "--parallelism", "2"},
                       f.dir / "run.out", f.dir / "run.err");
  BOOST_REQUIRE_MESSAGE(st.exited_with(0), st.describe() << ": " << tail_of(f.dir / "run.err"));
  f.check(pg, "from Redis", 1);
  BOOST_TEST(pg.value("SELECT reason FROM dead_letters") == "driver is not an integer");
}

BOOST_AUTO_TEST_CASE(a_dsn_nobody_answers_at_and_bad_options_exit_2_with_one_error_line) {
  temp_dir dir{"eddy-telematics-bad"};
  auto input = dir / "samples.csv";
  std::ofstream{input} << "1,1,1774828800000,48137000,11575000,50\n";
  auto port = std::to_string(eddy::test::free_port());
  auto check_fails = [&](std::vector<std::string> extra, const std::string& says) {
    std::vector<std::string> args{binary, "run", "--input", input.string(), "--state-dir",
                                  (dir / "state").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    auto st = eddy::test::run(args, dir / "out", dir / "err", 60s);
    auto err = lines_of(eddy::test::slurp(dir / "err"));
    BOOST_TEST(st.exited_with(2), st.describe());
    BOOST_TEST_REQUIRE(err.size() == 1u, eddy::test::slurp(dir / "err"));
    BOOST_TEST(err[0].rfind("telematics: error: ", 0) == 0u, err[0]);
    BOOST_TEST(err[0].find(says) != std::string::npos, err[0]);
  };
  check_fails({"--postgres", "postgresql://postgres@127.0.0.1:" + port + "/eddy"}, "127.0.0.1:" + port);
  check_fails({"--trip-gap-min", "0"}, "trip-gap-min");
}

BOOST_AUTO_TEST_SUITE_END()
