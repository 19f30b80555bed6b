// Runs the fraud_detection sample: generated transactions, out of event-time
// order, give the alerts of a plain reference (per account, sort by time,
// apply the rule) exactly once, also when the run is SIGKILLed again and
// again; malformed lines become dead letters with their line numbers; records
// behind the watermark go to the late output, not to the rule.

#include "process.hpp"

#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using eddy::test::exit_status;
using eddy::test::lines_of;
using eddy::test::ms;
using eddy::test::passing;
using eddy::test::process;
using eddy::test::size_of;
using eddy::test::slurp;
using eddy::test::tail_of;
using eddy::test::temp_dir;

namespace {

using clock_type = std::chrono::steady_clock;

const std::string binary = EDDY_FRAUD_DETECTION_BINARY;



/// One parsed input line: account, time, amount in cents.
struct tx {
  std::string account;
  int64_t ts;
  int64_t cents;
  std::string amount; // as written
};

/// Parses the generator's lines ("a,t,d.dd"); the caller passes only valid ones.
tx parse(const std::string& line) {
  auto c1 = line.find(',');
  auto c2 = line.find(',', c1 + 1);
  tx t;
  t.account = line.substr(0, c1);
  t.ts = std::stoll(line.substr(c1 + 1, c2 - c1 - 1));
  t.amount = line.substr(c2 + 1);
  auto dot = t.amount.find('.');
  t.cents = std::stoll(t.amount.substr(0, dot)) * 100 + std::stoll(t.amount.substr(dot + 1));
  return t;
}

/// The rule, written plainly: per account in time order, a transaction above
/// 500.00 right after one below 1.00 and at most 60 s later is an alert.
std::multiset<std::string> reference(const std::vector<std::string>& lines) {
  std::map<std::string, std::vector<tx>> by_account;
  for (auto& l : lines) {
    auto t = parse(l);
    by_account[t.account].push_back(t);
  }
  std::multiset<std::string> alerts;
  for (auto& [account, txs] : by_account) {
    std::sort(txs.begin(), txs.end(), [](const tx& a, const tx& b) { return a.ts < b.ts; });
    for (size_t i = 1; i < txs.size(); ++i)
      if (txs[i - 1].cents < 100 && txs[i].cents > 50'000 && txs[i].ts - txs[i - 1].ts <= 60'000)
        alerts.insert(account + "\t" + std::to_string(txs[i - 1].ts) + "\t"
                      + std::to_string(txs[i].ts) + "\t" + txs[i].amount);
  }
  return alerts;
}

std::multiset<std::string> multiset_of_lines(const std::string& text) {
  auto lines = lines_of(text);
  return {lines.begin(), lines.end()};
}

std::multiset<std::string> multiset_of(const fs::path& file) {
  return multiset_of_lines(slurp(file));
}

/// A directory with an input and the runs of fraud_detection over it.
struct fraud_job {
  temp_dir dir{"eddy-fraud-kill"};
  fs::path input = dir / "input.csv";
  int runs = 0;
  fs::path last_stdout, last_stderr;

  ~fraud_job() {
    dir.keep(!passing());
    if (!passing())
      BOOST_TEST_MESSAGE("kept " << dir.path() << " for inspection");
  }

  void generate(int64_t accounts, int64_t transactions, uint64_t seed, int64_t max_delay_ms) {
    auto st = eddy::test::run({binary, "generate", "--accounts", std::to_string(accounts),
                               "--transactions", std::to_string(transactions), "--seed",
                               std::to_string(seed), "--max-delay-ms",
                               std::to_string(max_delay_ms), "--out", input.string()},
                              dir / "generate.stdout", dir / "generate.stderr");
    BOOST_REQUIRE_MESSAGE(st.exited_with(0), "generate: " << st.describe() << ": "
                                                         << tail_of(dir / "generate.stderr"));
  }

  fs::path output(const std::string& name) const {
    return dir / (name + ".alerts");
  }

  std::unique_ptr<process> start(const std::string& name, int64_t out_of_orderness,
                                 uint32_t parallelism = 1) {
    ++runs;
    auto log = dir / ("run-" + std::to_string(runs));
    last_stdout = log.string() + ".stdout";
    last_stderr = log.string() + ".stderr";
    return std::make_unique<process>(
      std::vector<std::string>{binary, "run", "--input", input.string(), "--output",
                               output(name).string(), "--state-dir",
                               (dir / (name + ".state")).string(), "--max-out-of-orderness-ms",
                               std::to_string(out_of_orderness), "--parallelism",
                               std::to_string(parallelism), "--log-level", "warn"},
      last_stdout, last_stderr);
  }

  std::pair<exit_status, clock_type::duration> run(const std::string& name,
                                                   int64_t out_of_orderness,
                                                   uint32_t parallelism = 1) {
    auto p = start(name, out_of_orderness, parallelism);
    auto st = p->wait(120s);
    BOOST_REQUIRE_MESSAGE(st.exited_with(0), "run " << runs << ": " << st.describe() << ": "
                                                    << tail_of(last_stderr));
    return {st, p->elapsed()};
  }
};

/// Replaces a few lines of `input` by malformed ones; returns the expected
/// dead-letter file and the valid lines.
std::pair<std::string, std::vector<std::string>> spoil(const fs::path& input) {
  auto lines = lines_of(slurp(input));
  const std::vector<std::pair<std::string, std::string>> bad = {
    {"garbage", "expected 3 fields, got 1"},
    {"1,2,3,4", "expected 3 fields, got 4"},
    {"x7,1700000000000,1.00", "account_id is not an integer"},
    {"7,noon,1.00", "timestamp_ms is not an integer"},
    {"7,1700000000000,1.2.3", "amount is not a number with at most two decimals"},
    {"7,1700000000000,1.234", "amount is not a number with at most two decimals"},
    {"", "expected 3 fields, got 1"},
  };
  std::vector<std::string> valid;
  std::string text, dead;
  size_t next_bad = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    // A malformed line every ~lines/8, spread over the whole run.
    if (next_bad < bad.size() && i == (next_bad + 1) * lines.size() / (bad.size() + 1)) {
      text += bad[next_bad].first + "\n";
      dead += std::to_string(i + 1) + "\t" + bad[next_bad].second + "\t" + bad[next_bad].first
              + "\n";
      ++next_bad;
      continue;
    }
    text += lines[i] + "\n";
    valid.push_back(lines[i]);
  }
  std::ofstream{input, std::ios::binary | std::ios::trunc} << text;
  return {dead, valid};
}

/// Checks a finished job `name`: alerts == reference, nothing late, the dead
/// letters; then that a rerun adds nothing.
void check_and_rerun(fraud_job& job, const std::string& name, const std::multiset<std::string>& want,
                     const std::string& dead, int64_t out_of_orderness) {
  auto alerts = job.output(name);
  auto got = multiset_of(alerts);
  BOOST_TEST(got.size() == want.size());
  BOOST_CHECK_MESSAGE(got == want, name << ": the alerts differ from the reference");
  BOOST_TEST(slurp(alerts.string() + ".late") == "");
  // Each split writes its dead letters in line order; several splits interleave.
  auto dead_letters = alerts.string() + ".dead-letter";
  BOOST_TEST((multiset_of(dead_letters) == multiset_of_lines(dead)));
  auto before = slurp(alerts);
  auto dead_before = slurp(dead_letters);
  job.run(name, out_of_orderness);
  BOOST_CHECK_MESSAGE(slurp(alerts) == before, name << ": a rerun after completion changed the alerts");
  BOOST_TEST(slurp(dead_letters) == dead_before);
}

} // namespace

BOOST_AUTO_TEST_SUITE(fraud_detection_kill)

BOOST_AUTO_TEST_CASE(alerts_match_the_reference_exactly_once_after_repeated_sigkills) {
  const int64_t delay = 2000;
  fraud_job job;
  job.generate(1000, 200'000, 20240611, delay);
  auto [dead, valid] = spoil(job.input);
  auto want = reference(valid);
  BOOST_TEST_MESSAGE(valid.size() << " transactions, " << want.size() << " alerts expected");
  BOOST_REQUIRE(want.size() > 100u);

  auto [clean, t_full] = job.run("clean", delay);
  BOOST_TEST_MESSAGE("uninterrupted run: " << ms(t_full) << " ms: " << slurp(job.last_stdout));
  check_and_rerun(job, "clean", want, dead, delay);

  // Kills at random moments, up to 8 per round; a round ends when a run
  // finishes before its kill or after its 8th kill; its job is completed and
  // checked, and the next round starts afresh (at another parallelism) with
  // shorter delays, until 12 kills have hit a running job.
  std::mt19937_64 rng{20240611};
  int hits = 0;
  auto upper_ms = std::max(80.0, ms(t_full) * 0.6);
  for (int round = 1; round <= 5 && hits < 12; ++round) {
    auto name = "killed-" + std::to_string(round);
    uint32_t parallelism = round % 2 ? 1 : 2; // state moves between parallelisms too
    for (int attempt = 0; attempt < 8; ++attempt) {
      auto delay_ms = 20.0 + static_cast<double>(rng() % 1000) / 1000.0 * (upper_ms - 20.0);
      auto p = job.start(name, delay, parallelism);
      auto ended = p->wait_for(std::chrono::duration_cast<clock_type::duration>(
        std::chrono::duration<double, std::milli>(delay_ms)));
      auto st = ended ? *ended : p->kill();
      if (st.killed()) {
        ++hits;
        BOOST_TEST_MESSAGE("round " << round << ": kill " << hits << " after "
                                    << static_cast<int>(delay_ms) << " ms, "
                                    << lines_of(slurp(job.output(name))).size() << " alerts so far");
        continue;
      }
      BOOST_REQUIRE_MESSAGE(st.exited_with(0), "run " << job.runs << ": " << st.describe() << ": "
                                                      << tail_of(job.last_stderr));
      break;
    }
    job.run(name, delay, parallelism);
    check_and_rerun(job, name, want, dead, delay);
    upper_ms = std::max(60.0, upper_ms * 0.7);
  }
  BOOST_TEST(hits >= 10);
}

BOOST_AUTO_TEST_CASE(malformed_lines_become_dead_letters_with_their_line_numbers) {
  fraud_job job;
  std::ofstream{job.input, std::ios::binary} << "1,1000,5.00\n"
                                                "garbage\n"
                                                "2,abc,3.00\n"
                                                "1,2000,0.50\n"
                                                "3,3000\n"
                                                "4,4000,12.345\n"
                                                "1,3000,600.00\n"
                                                "\n"
                                                "5,6000,1.0x\n"
                                                "2,7000,10.5\n"
                                                "2,8000,0.99\n"
                                                "2,68001,500.01\n"
                                                "3,9000,0.01\n"
                                                "3,10000,500.00\n";
  job.run("small", 0);
  auto alerts = job.output("small");
  BOOST_TEST(slurp(alerts) == "1\t2000\t3000\t600.00\n");
  BOOST_TEST(slurp(alerts.string() + ".dead-letter")
             == "2\texpected 3 fields, got 1\tgarbage\n"
                "3\ttimestamp_ms is not an integer\t2,abc,3.00\n"
                "5\texpected 3 fields, got 2\t3,3000\n"
                "6\tamount is not a number with at most two decimals\t4,4000,12.345\n"
                "8\texpected 3 fields, got 1\t\n"
                "9\tamount is not a number with at most two decimals\t5,6000,1.0x\n");
  BOOST_TEST(slurp(alerts.string() + ".late") == "");
  BOOST_TEST(slurp(job.last_stdout).find("14 records, 1 alerts, 0 late, 6 dead letters")
               != std::string::npos,
             slurp(job.last_stdout));
}

BOOST_AUTO_TEST_CASE(records_behind_the_watermark_go_to_the_late_output_not_to_the_rule) {
  fraud_job job;
  job.generate(200, 50'000, 20240612, 3000);
  auto valid = lines_of(slurp(job.input));
  job.run("late", 100); // the data is out of order by up to 3 s
  auto alerts = job.output("late");
  auto late = lines_of(slurp(alerts.string() + ".late"));
  BOOST_TEST_MESSAGE(late.size() << " of " << valid.size() << " records were late");
  BOOST_TEST(late.size() > 0u);
  // Every late record is an input record; the others give the alerts.
  std::multiset<std::string> rest{valid.begin(), valid.end()};
  for (auto& l : late) {
    auto it = rest.find(l);
    BOOST_REQUIRE_MESSAGE(it != rest.end(), "late record '" << l << "' is not in the input");
    rest.erase(it);
  }
  BOOST_TEST(late.size() + rest.size() == valid.size());
  BOOST_CHECK(multiset_of(alerts) == reference({rest.begin(), rest.end()}));
  BOOST_TEST(slurp(job.last_stdout).find(std::to_string(late.size()) + " late, 0 dead letters")
               != std::string::npos,
             slurp(job.last_stdout));
}

BOOST_AUTO_TEST_SUITE_END()
