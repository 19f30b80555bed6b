// Upgrades from a savepoint (Flink's `run -s` with changed code): the
// variants of test/support/upgrade_job.cpp resume a stop's savepoint of the
// base job with a field added to a state (its default for old values), a
// field removed, an operator added, an operator removed (refused without
// --allow-non-restored-state, accepted with it), and a state's type changed
// (refused before anything runs, with one error line naming the operator
// and the state, exit 2, the savepoint untouched). Every count stays once.

#include "integration/process.hpp"
#include "integration/word_sequences.hpp"

#include <signal.h>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using eddy::test::check_word_sequences;
using eddy::test::lines_of;
using eddy::test::process;
using eddy::test::slurp;
using eddy::test::tail_of;
using eddy::test::temp_dir;

namespace {

const std::string variant_prefix = EDDY_UPGRADE_JOB_PREFIX;

enum variant { base = 0, field_added = 1, field_removed = 2, operator_added = 3, type_changed = 4 };

/// A followed input directory, a shared output file, and runs of variants.
struct upgrade_run {
  temp_dir tmp{"eddy-upgrade"};
  std::string all;
  int files = 0;
  int runs = 0;

  fs::path in() const {
    return tmp / "in";
  }
  fs::path out() const {
    return tmp / "out.txt";
  }

  void append(size_t lines) {
    fs::create_directories(in());
    auto text = eddy::test::words_text(static_cast<uint64_t>(++files), lines, 6, 2000);
    auto name = "part-" + std::to_string(1000 + files);
    std::ofstream{in() / ("." + name)} << text;
    fs::rename(in() / ("." + name), in() / name);
    all += text;
  }

  std::vector<std::string> args(variant v, const std::string& parallelism, std::vector<std::string> extra = {}) {
    std::vector<std::string> a{variant_prefix + std::to_string(v), "--follow", in().string(), "--output", out().string(),
                               "--state-dir", (tmp / ("state-" + std::to_string(++runs))).string(), "--parallelism",
                               parallelism};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  /// Runs variant `v` (from `savepoint` if given) until it caught up, stops
  /// it with SIGUSR2 and returns its savepoint.
  fs::path run_and_stop(variant v, const std::string& parallelism, std::vector<std::string> extra = {}) {
    auto argv = args(v, parallelism, std::move(extra));
    auto state = fs::path{argv[6]};
    auto name = "run-" + std::to_string(runs);
    process p{argv, tmp / (name + ".out"), tmp / (name + ".err")};
    auto want = eddy::test::word_lines(all);
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (lines_of(slurp(out())).size() < want && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(20ms);
    BOOST_REQUIRE_MESSAGE(lines_of(slurp(out())).size() >= want, name << " did not catch up: " << tail_of(tmp / (name + ".err")));
    ::kill(p.pid(), SIGUSR2);
    auto st = p.wait(60s);
    BOOST_REQUIRE_MESSAGE(st.exited_with(0), name << ": " << st.describe() << ": " << tail_of(tmp / (name + ".err")));
    std::vector<fs::path> sps;
    for (auto& e : fs::directory_iterator{state / "savepoints"})
      if (e.path().filename().string().front() != '.')
        sps.push_back(e.path());
    BOOST_REQUIRE_EQUAL(sps.size(), 1u);
    return sps.front();
  }

  /// Runs variant `v` from `sp` expecting a refusal: its exit status and stderr.
  std::pair<eddy::test::exit_status, std::string> refused(variant v, const fs::path& sp, std::vector<std::string> extra = {}) {
    extra.insert(extra.begin(), {"--from-savepoint", sp.string()});
    auto argv = args(v, "2", extra);
    auto name = "refused-" + std::to_string(runs);
    auto st = eddy::test::run(argv, tmp / (name + ".out"), tmp / (name + ".err"), 30s);
    return {st, slurp(tmp / (name + ".err"))};
  }

  void check_counts() {
    BOOST_TEST_MESSAGE(lines_of(slurp(out())).size() << " counts after " << runs << " runs");
    auto problem = check_word_sequences(slurp(out()), all);
    BOOST_TEST(problem.empty(), problem);
  }
};

/// The bytes of every file of savepoint `sp`, to see that a refusal left it as it was.
std::string contents(const fs::path& sp) {
  std::string all;
  for (auto& e : fs::recursive_directory_iterator{sp})
    if (e.is_regular_file())
      all += e.path().string() + "\n" + slurp(e.path());
  return all;
}

} // namespace

BOOST_AUTO_TEST_SUITE(upgrades)

BOOST_AUTO_TEST_CASE(a_field_added_to_a_state_takes_its_default_and_every_count_goes_on_once) {
  upgrade_run r;
  r.append(10'000);
  auto sp = r.run_and_stop(base, "2");
  r.append(10'000);
  r.run_and_stop(field_added, "3", {"--from-savepoint", sp.string()});
  r.check_counts();
}

BOOST_AUTO_TEST_CASE(a_field_removed_from_a_state_is_dropped_and_every_count_goes_on_once) {
  upgrade_run r;
  r.append(10'000);
  auto sp = r.run_and_stop(base, "2");
  r.append(10'000);
  r.run_and_stop(field_removed, "1", {"--from-savepoint", sp.string()});
  r.check_counts();
}

BOOST_AUTO_TEST_CASE(an_operator_added_starts_empty_and_an_operator_removed_is_refused_unless_its_state_may_be_dropped) {
  upgrade_run r;
  r.append(10'000);
  auto sp = r.run_and_stop(base, "2");
  r.append(10'000);
  auto with_relay = r.run_and_stop(operator_added, "3", {"--from-savepoint", sp.string()});
  r.append(10'000);
  auto before = contents(with_relay);
  auto [st, err] = r.refused(base, with_relay);
  BOOST_TEST(st.exited_with(2), st.describe());
  BOOST_TEST(err.find("operator 'relay'") != std::string::npos, err);
  BOOST_TEST(err.find("--allow-non-restored-state") != std::string::npos, err);
  BOOST_TEST(contents(with_relay) == before, "the refusal changed the savepoint");
  r.run_and_stop(base, "2", {"--from-savepoint", with_relay.string(), "--allow-non-restored-state"});
  r.check_counts();
}

BOOST_AUTO_TEST_CASE(a_state_whose_type_changed_is_refused_before_anything_runs_with_one_line_naming_operator_and_state) {
  upgrade_run r;
  r.append(10'000);
  auto sp = r.run_and_stop(base, "2");
  auto before = contents(sp);
  auto output_before = slurp(r.out());
  auto [st, err] = r.refused(type_changed, sp);
  BOOST_TEST(st.exited_with(2), st.describe());
  auto lines = lines_of(err);
  BOOST_TEST_REQUIRE(lines.size() == 1u, err);
  BOOST_TEST(lines[0].find("operator 'counts' state 'stats': its type changed (field count was i64 and is string now)")
               != std::string::npos,
             lines[0]);
  BOOST_TEST(contents(sp) == before, "the refusal changed the savepoint");
  BOOST_TEST(slurp(r.out()) == output_before, "the refused job wrote output");
  // The same savepoint still resumes the job it came from.
  r.append(5'000);
  r.run_and_stop(base, "2", {"--from-savepoint", sp.string()});
  r.check_counts();
}

BOOST_AUTO_TEST_SUITE_END()
