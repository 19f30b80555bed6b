// bank_notifications with options it cannot run with: an unreachable Redis,
// a PostgreSQL DSN nobody answers, a malformed URL, two inputs. Each gives
// exit 2 and one `bank_notifications: error: …` line naming the problem,
// before anything is written.

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "integration/samples/bank_runs.hpp"

using namespace std::chrono_literals;
using eddy::test::free_port;
using eddy::test::lines_of;
using eddy::test::slurp;
using eddy::test::temp_dir;

namespace {

/// Runs the binary with `args`; checks exit 2 and a single error line
/// containing `needle`.
void expect_refused(const std::vector<std::string>& args, const std::string& needle) {
  temp_dir dir{"eddy-bank-bad"};
  std::vector<std::string> argv{bank_test::binary};
  for (auto& a : args)
    argv.push_back(a == "STATE" ? (dir / "state").string() : a);
  auto st = eddy::test::run(argv, dir / "out", dir / "err", 30s);
  auto err = lines_of(slurp(dir / "err"));
  BOOST_TEST(st.exited_with(2), st.describe());
  BOOST_REQUIRE_MESSAGE(err.size() == 1u, slurp(dir / "err"));
  BOOST_TEST(err[0].rfind("bank_notifications: error: ", 0) == 0u, err[0]);
  BOOST_TEST(err[0].find(needle) != std::string::npos, err[0] << " does not name '" << needle << "'");
}

} // namespace

BOOST_AUTO_TEST_SUITE(bank_notifications_bad_input)

BOOST_AUTO_TEST_CASE(an_unreachable_redis_exits_2_naming_host_and_port) {
  auto address = "127.0.0.1:" + std::to_string(free_port());
  temp_dir dir{"eddy-bank-bad"};
  expect_refused({"run", "--redis", "redis://" + address, "--stream", "t", "--sqlite",
                  (dir / "db").string(), "--state-dir", "STATE"},
                 address);
  expect_refused({"generate", "--accounts", "3", "--transactions", "10", "--seed", "1", "--redis",
                  "redis://" + address, "--stream", "t"},
                 address);
}

BOOST_AUTO_TEST_CASE(a_postgres_dsn_nobody_answers_exits_2_naming_postgresql) {
  temp_dir dir{"eddy-bank-bad"};
  std::ofstream{dir / "in.csv"} << "alice,1000,deposit,100,,\n";
  expect_refused({"run", "--input", (dir / "in.csv").string(), "--postgres",
                  "postgresql://postgres@127.0.0.1:" + std::to_string(free_port()) + "/eddy",
                  "--state-dir", "STATE"},
                 "PostgreSQL");
}

BOOST_AUTO_TEST_CASE(malformed_or_conflicting_options_exit_2_with_what_is_wrong) {
  temp_dir dir{"eddy-bank-bad"};
  std::ofstream{dir / "in.csv"} << "alice,1000,deposit,100,,\n";
  auto in = (dir / "in.csv").string();
  auto db = (dir / "db").string();
  expect_refused({"run", "--redis", "http://x", "--stream", "t", "--sqlite", db, "--state-dir", "STATE"},
                 "http://x");
  expect_refused({"run", "--input", in, "--redis", "redis://127.0.0.1:1", "--sqlite", db,
                  "--state-dir", "STATE"},
                 "give one input");
  expect_refused({"run", "--input", in, "--state-dir", "STATE"}, "give one output");
  expect_refused({"run", "--input", in, "--sqlite", db, "--follow", "--state-dir", "STATE"},
                 "--follow need --redis");
  expect_refused({"run", "--input", in, "--sqlite", db, "--horizon-days", "0", "--state-dir", "STATE"},
                 "horizon-days");
  expect_refused({"generate", "--accounts", "0", "--transactions", "10", "--seed", "1", "--out", db},
                 "--accounts");
}

BOOST_AUTO_TEST_SUITE_END()
