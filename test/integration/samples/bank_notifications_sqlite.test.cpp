// The bank_notifications sample without servers: CSV input, the embedded
// SQLite output. Its notifications equal the reference's, a rerun after
// completion adds nothing, SIGKILLs lose and duplicate nothing, and
// malformed lines become dead letters with their line numbers.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "integration/samples/bank_runs.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using eddy::test::process;
using eddy::test::slurp;
using eddy::test::tail_of;
using eddy::test::temp_dir;

namespace {

/// Generated transactions in a CSV file and runs of the job over them.
struct sqlite_job {
  temp_dir dir{"eddy-bank-sqlite"};
  eddy::test::keep_on_failure keep{dir};
  fs::path input = dir / "transactions.csv";
  fs::path db = dir / "bank.db";
  int runs = 0;

  std::unique_ptr<process> start(uint32_t parallelism, const std::string& name = "") {
    ++runs;
    auto log = dir / ("run-" + std::to_string(runs));
    return std::make_unique<process>(
      std::vector<std::string>{bank_test::binary, "run", "--input", input.string(), "--sqlite",
                               (dir / (name + "bank.db")).string(), "--state-dir", (dir / (name + "state")).string(),
                               "--parallelism", std::to_string(parallelism), "--log-level", "warn"},
      log.string() + ".stdout", log.string() + ".stderr");
  }

  /// Runs to completion; the time it took.
  int64_t run_to_end(uint32_t parallelism, const std::string& name = "") {
    auto p = start(parallelism, name);
    auto st = p->wait(120s);
    BOOST_REQUIRE_MESSAGE(st.exited_with(0), "run " << runs << ": " << st.describe() << ": "
                                                    << tail_of(dir / ("run-" + std::to_string(runs) + ".stderr")));
    return static_cast<int64_t>(eddy::test::ms(p->elapsed()));
  }

  std::vector<std::string> notifications(const std::string& name = "") const {
    return bank_test::sqlite_rows(dir / (name + "bank.db"), bank_test::notifications_query);
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(bank_notifications_sqlite)

BOOST_AUTO_TEST_CASE(notifications_match_the_reference_and_sigkills_lose_or_repeat_none) {
  sqlite_job job;
  auto gen = bank_test::generate(job.dir.path(), {"--accounts", "200", "--transactions", "200000", "--seed",
                                           "11", "--malformed", "6", "--out", job.input.string()});
  BOOST_REQUIRE_MESSAGE(gen.exited_with(0), tail_of(job.dir / "generate.stderr"));
  size_t dead = 0;
  auto want = bank_test::rows_of_reference(bank_test::records_of_file(job.input), &dead);
  BOOST_TEST_MESSAGE(want.size() << " notifications expected");
  BOOST_REQUIRE(want.size() > 50u);
  BOOST_TEST(dead == 6u);

  // An uninterrupted run on state and a database of its own times the kills.
  auto whole_ms = job.run_to_end(1, "probe-");
  BOOST_TEST((bank_test::sqlite_rows(job.dir / "probe-bank.db", bank_test::notifications_query) == want));
  // A round ends when a run finishes before its kill (each run resumes the
  // one before, so what is left shrinks) and is checked; rounds go on, in
  // new state and a new database, until five kills hit a running job.
  std::mt19937_64 rng{11};
  int kills = 0;
  std::string name;
  for (int round = 1; round <= 6 && kills < 5; ++round) {
    name = "round-" + std::to_string(round) + "-";
    for (int attempt = 0; attempt < 12 && kills < 5; ++attempt) {
      auto p = job.start(attempt % 2 ? 2 : 1, name); // state moves between parallelisms too
      auto ended = p->wait_for(bank_test::kill_delay(whole_ms, rng));
      auto st = ended ? *ended : p->kill();
      if (!st.killed()) {
        BOOST_REQUIRE_MESSAGE(st.exited_with(0), st.describe());
        break;
      }
      ++kills;
    }
    job.run_to_end(2, name);
    auto got = job.notifications(name);
    BOOST_TEST((got == want), "round " << round << ": " << bank_test::difference(got, want));
  }
  BOOST_TEST_MESSAGE(kills << " SIGKILLs");
  BOOST_TEST(kills == 5);
  auto got = job.notifications(name);
  auto letters = bank_test::sqlite_rows(job.dir / (name + "bank.db"), "SELECT source_id || '|' || reason FROM bank_dead_letters ORDER BY 1");
  BOOST_TEST(letters.size() == dead);

  job.run_to_end(1, name);
  BOOST_TEST((job.notifications(name) == got), "a rerun after completion changed the notifications");
}

BOOST_AUTO_TEST_CASE(malformed_lines_become_dead_letters_with_their_line_numbers) {
  sqlite_job job;
  std::ofstream{job.input} << "alice,1000,deposit,50000,,\n"
                              "garbage\n"
                              "alice,2000,refund,100,,\n"
                              "alice,3000,withdrawal,45000,,\n"
                              "bob,noon,deposit,100,,\n"
                              "bob,4000,card_payment,100,,\n";
  job.run_to_end(1);
  BOOST_TEST((job.notifications()
              == std::vector<std::string>{"alice|3000|overdraft_risk|balance 50.00, spent 450.00 in "
                                          "30 days: -55.00 in 7 days|4"}));
  BOOST_TEST((bank_test::sqlite_rows(job.db, "SELECT source_id || '|' || reason || '|' || text "
                                              "FROM bank_dead_letters ORDER BY 0 + source_id")
              == std::vector<std::string>{
                "2|expected 6 fields, got 1|garbage",
                "3|kind is not deposit, withdrawal or card_payment|alice,2000,refund,100,,",
                "5|ts is not a time in ms|bob,noon,deposit,100,,",
                "6|a card payment needs a merchant|bob,4000,card_payment,100,,"}));
  BOOST_TEST(slurp(job.dir / "run-1.stdout").find("bank_notifications: ") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
