// Runs a counting job into PostgreSQL (support/postgres_count_job.cpp: an
// insert-only table of every (word, count) and an upserted table of totals,
// two sink instances each), SIGKILLs it at random moments, lets it finish,
// and checks that the tables hold every count exactly once; a bad DSN or a
// missing table stops it before it starts (exit 2, one line).

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "integration/process.hpp"
#include "support/postgres_server.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using eddy::test::exit_status;
using eddy::test::ms;
using eddy::test::process;
using eddy::test::tail_of;
using eddy::test::temp_dir;

namespace {

const std::string job_binary = EDDY_POSTGRES_COUNT_JOB_BINARY;

auto& server = eddy::test::suite_postgres::server;

/// A job over one input, writing into tables `<name>_events` and `<name>_totals`.
struct count_job {
  temp_dir dir{"eddy-postgres-kill"};
  eddy::test::keep_on_failure keep{dir};
  fs::path input = dir / "input.txt";
  std::map<std::string, int64_t> reference;
  int runs = 0;
  fs::path last_stderr;

  /// `lines` words, one per line, from a vocabulary of 3000 skewed towards
  /// the first ones; some contain a tab or a backslash (COPY escapes them).
  count_job(uint64_t seed, size_t lines) {
    std::mt19937_64 rng{seed};
    std::ofstream out{input};
    for (size_t i = 0; i < lines; ++i) {
      auto rank = rng() % (1 + rng() % 3000);
      auto word = "w" + std::to_string(rank) + (rank % 97 == 0 ? "\\x" : rank % 89 == 0 ? "\tt" : "");
      out << word << '\n';
      ++reference[word];
    }
  }

  void create_tables(const std::string& name) {
    server->query("create table " + name + "_events (word text, n bigint); create table " + name
                  + "_totals (word text primary key, n bigint)");
  }

  std::unique_ptr<process> start(const std::string& name, const std::string& dsn = "") {
    ++runs;
    auto log = dir / ("run-" + std::to_string(runs));
    last_stderr = log.string() + ".stderr";
    std::vector<std::string> args{job_binary,
                                  "--input",        input.string(),
                                  "--dsn",          dsn.empty() ? server->dsn() : dsn,
                                  "--events-table", name + "_events",
                                  "--totals-table", name + "_totals",
                                  "--state-dir",    (dir / (name + ".state")).string(),
                                  "--parallelism",  "2"};
    return std::make_unique<process>(args, log.string() + ".stdout", last_stderr);
  }

  exit_status run(const std::string& name, const std::string& dsn = "") {
    return start(name, dsn)->wait(180s);
  }

  /// The first difference between the tables of `name` and the reference, or "".
  std::string check(const std::string& name) const {
    // Per word: how many events, how many distinct counts, the highest.
    std::map<std::string, std::string> events;
    for (auto& r : server->query("select word, count(*) || ' ' || count(distinct n) || ' ' || "
                                 "max(n) || ' ' || min(n) from " + name + "_events group by word"))
      events[r.substr(0, r.rfind('\t'))] = r.substr(r.rfind('\t') + 1);
    std::map<std::string, std::string> totals;
    for (auto& r : server->query("select word, n from " + name + "_totals"))
      totals[r.substr(0, r.rfind('\t'))] = r.substr(r.rfind('\t') + 1);
    if (events.size() != reference.size())
      return std::to_string(events.size()) + " words in the events, "
             + std::to_string(reference.size()) + " in the input";
    if (totals.size() != reference.size())
      return std::to_string(totals.size()) + " words in the totals, "
             + std::to_string(reference.size()) + " in the input";
    for (auto& [word, n] : reference) {
      auto k = std::to_string(n);
      if (events[word] != k + " " + k + " " + k + " 1")
        return "'" + word + "' occurs " + k + " times; events (rows distinct max min): " + events[word];
      if (totals[word] != k)
        return "'" + word + "' occurs " + k + " times; its total is " + totals[word];
    }
    return {};
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(postgres_kill, *boost::unit_test::fixture<eddy::test::suite_postgres>())

BOOST_AUTO_TEST_CASE(counts_reach_postgres_exactly_once_after_repeated_sigkills) {
  count_job job{20261203, 200'000};
  job.create_tables("clean");
  auto clean = job.start("clean");
  auto st = clean->wait(180s);
  BOOST_REQUIRE_MESSAGE(st.exited_with(0), "uninterrupted run: " << st.describe() << ": "
                                                                 << tail_of(job.last_stderr));
  auto t_full = ms(clean->elapsed());
  BOOST_REQUIRE_EQUAL(job.check("clean"), "");
  BOOST_TEST_MESSAGE("an uninterrupted run takes " << t_full << " ms");

  // A killed run resumes where the last one left off, so a job lasts only
  // a few kills: when one finishes, it is checked and a new one (tables and
  // state of its own) is killed at shorter delays, until 12 kills hit.
  std::mt19937_64 rng{42};
  int hits = 0;
  auto upper_ms = t_full;
  for (int round = 1; round <= 6 && hits < 12; ++round) {
    auto name = "killed" + std::to_string(round);
    job.create_tables(name);
    for (int attempt = 0; attempt < 30 && hits < 12; ++attempt) {
      // Early kills land in start-up and recovery, later ones mid-commit.
      auto delay_ms = 20.0 + static_cast<double>(rng() % 1000) / 1000.0 * upper_ms;
      auto p = job.start(name);
      auto ended = p->wait_for(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double, std::milli>(delay_ms)));
      auto end = ended ? *ended : p->kill();
      if (!end.killed()) {
        BOOST_REQUIRE_MESSAGE(end.exited_with(0), "run " << job.runs << ": " << end.describe()
                                                         << ": " << tail_of(job.last_stderr));
        BOOST_TEST_MESSAGE("run " << job.runs << " finished " << name << " before its kill at "
                                  << static_cast<int>(delay_ms) << " ms");
        break;
      }
      ++hits;
      BOOST_TEST_MESSAGE("kill " << hits << " after " << static_cast<int>(delay_ms) << " ms: "
                                 << server->value("select count(*) from " + name + "_events")
                                 << " events in the table");
    }
    st = job.run(name);
    BOOST_REQUIRE_MESSAGE(st.exited_with(0), "final run of " << name << ": " << st.describe()
                                                             << ": " << tail_of(job.last_stderr));
    BOOST_TEST(job.check(name) == "");
    // Each sink instance keeps its own marks.
    BOOST_TEST(server->value("select count(distinct instance) from eddy_sink_marks where sink_id = '"
                             + name + "_events'")
               == "2");
    auto events = server->value("select count(*) from " + name + "_events");
    st = job.run(name);
    BOOST_REQUIRE_MESSAGE(st.exited_with(0), "rerun: " << st.describe());
    BOOST_TEST(server->value("select count(*) from " + name + "_events") == events);
    upper_ms *= 0.6;
  }
  BOOST_TEST(hits >= 12);
}

BOOST_AUTO_TEST_CASE(a_bad_dsn_or_a_missing_table_stops_the_job_before_it_starts) {
  count_job job{7, 100};
  auto st = job.run("absent");
  BOOST_TEST(st.exited_with(2), st.describe());
  auto err = eddy::test::slurp(job.last_stderr);
  BOOST_TEST_MESSAGE(err);
  BOOST_TEST(eddy::test::lines_of(err).size() == 1u);
  BOOST_TEST(err.find("table absent_totals does not exist") != std::string::npos);

  job.create_tables("present");
  st = job.run("present", "postgresql://postgres:hunter2@127.0.0.1:1/eddy");
  BOOST_TEST(st.exited_with(2), st.describe());
  err = eddy::test::slurp(job.last_stderr);
  BOOST_TEST_MESSAGE(err);
  BOOST_TEST(eddy::test::lines_of(err).size() == 1u);
  BOOST_TEST(err.find("postgresql://postgres@127.0.0.1:1/eddy: cannot connect") != std::string::npos);
  BOOST_TEST(err.find("hunter2") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
