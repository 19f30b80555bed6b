// The sessionization sample end to end: a generated click stream (out of
// order by at most D, with malformed lines mixed in) against a plain
// reference of the sessions, uninterrupted and under repeated SIGKILLs.

#include "process.hpp"

#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
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

const std::string binary = EDDY_SESSIONIZATION_BINARY;
constexpr int64_t gap_ms = 1'800'000; // the default
constexpr int64_t max_delay_ms = 20'000;

bool parse_int(std::string_view s, int64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc{} && p == s.data() + s.size();
}

/// The expected session lines of the valid lines of `input`, written
/// independently of the window operator: per user, times sorted; a click at
/// most `gap` after the previous one (exactly `gap` included: the windows
/// [last, last + gap) and [next, next + gap) touch) continues its session.
std::vector<std::string> reference_sessions(const std::vector<std::string>& input, int64_t gap) {
  std::map<int64_t, std::vector<int64_t>> times;
  for (auto& line : input) {
    auto c1 = line.find(',');
    auto c2 = c1 == std::string::npos ? c1 : line.find(',', c1 + 1);
    int64_t user = 0;
    int64_t ts = 0;
    if (c2 == std::string::npos || line.find(',', c2 + 1) != std::string::npos
        || c2 + 1 == line.size() || !parse_int(std::string_view{line}.substr(0, c1), user)
        || user < 0 || !parse_int(std::string_view{line}.substr(c1 + 1, c2 - c1 - 1), ts))
      continue; // a dead letter
    times[user].push_back(ts);
  }
  std::vector<std::string> result;
  auto emit = [&](int64_t user, int64_t first, int64_t last, int64_t n) {
    result.push_back(std::to_string(user) + "\t" + std::to_string(first) + "\t"
                     + std::to_string(last + gap) + "\t" + std::to_string(n));
  };
  for (auto& [user, ts] : times) {
    std::sort(ts.begin(), ts.end());
    int64_t first = ts[0];
    int64_t last = ts[0];
    int64_t n = 0;
    for (auto t : ts) {
      if (t > last + gap) {
        emit(user, first, last, n);
        first = t;
        n = 0;
      }
      last = t;
      ++n;
    }
    emit(user, first, last, n);
  }
  std::sort(result.begin(), result.end());
  return result;
}

std::vector<std::string> sorted_lines(const fs::path& file) {
  auto lines = lines_of(slurp(file));
  std::sort(lines.begin(), lines.end());
  return lines;
}

/// "number<TAB>text" of each dead-letter line (the reason left out).
std::vector<std::string> numbers_and_texts(const fs::path& file) {
  std::vector<std::string> result;
  for (auto& line : lines_of(slurp(file))) {
    auto t1 = line.find('\t');
    auto t2 = line.find('\t', t1 + 1);
    result.push_back(t2 == std::string::npos ? "malformed: " + line
                                             : line.substr(0, t1) + "\t" + line.substr(t2 + 1));
  }
  std::sort(result.begin(), result.end());
  return result;
}




/// A generated input with malformed lines, its reference, and runs over it.
struct sessions_job {
  temp_dir dir{"eddy-sessionization-kill"};
  fs::path input = dir / "clicks.csv";
  std::vector<std::string> lines;
  std::vector<std::string> want;      ///< sorted session lines
  std::vector<std::string> want_dead; ///< sorted "number<TAB>line"
  int runs = 0;
  fs::path last_stderr;

  sessions_job(int64_t users, int64_t clicks, uint64_t seed) {
    auto generated = dir / "generated.csv";
    auto st = generate(users, clicks, seed, generated);
    BOOST_REQUIRE_MESSAGE(st.exited_with(0), "generate: " << st.describe() << ": "
                                                          << tail_of(dir / "generate.stderr"));
    lines = lines_of(slurp(generated));
    BOOST_REQUIRE_EQUAL(lines.size(), static_cast<size_t>(clicks));
    // Malformed lines at random places, some of them in the first lines.
    static const std::vector<std::string> bad = {
      "", "garbage", "1,2", "1,2,/a,b", "x,1700000000000,/page/1", "-4,1700000000000,/page/1",
      "5,17000000000OO,/page/2", "6,1700000000000,", ",1700000000000,/page/3", "7,,/page/4"};
    std::mt19937_64 rnd{seed};
    for (int i = 0; i < 40; ++i) {
      auto at = i < 3 ? static_cast<size_t>(i) : rnd() % (lines.size() + 1);
      lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(at), bad[i % bad.size()]);
    }
    std::string text;
    for (size_t i = 0; i < lines.size(); ++i) {
      text += lines[i] + "\n";
      if (std::find(bad.begin(), bad.end(), lines[i]) != bad.end())
        want_dead.push_back(std::to_string(i + 1) + "\t" + lines[i]);
    }
    std::ofstream{input, std::ios::binary} << text;
    std::sort(want_dead.begin(), want_dead.end());
    want = reference_sessions(lines, gap_ms);
    BOOST_TEST_MESSAGE("input: " << lines.size() << " lines, " << users << " users, "
                                 << want.size() << " sessions, " << want_dead.size()
                                 << " malformed");
  }

  ~sessions_job() {
    dir.keep(!passing());
    if (!passing())
      BOOST_TEST_MESSAGE("kept " << dir.path() << " for inspection");
  }

  exit_status generate(int64_t users, int64_t clicks, uint64_t seed, const fs::path& out) {
    return eddy::test::run({binary, "generate", "--users", std::to_string(users), "--clicks",
                            std::to_string(clicks), "--seed", std::to_string(seed),
                            "--max-delay-ms", std::to_string(max_delay_ms), "--out", out.string()},
                           dir / "generate.stdout", dir / "generate.stderr");
  }

  fs::path output(const std::string& name) const {
    return dir / (name + ".out");
  }

  std::unique_ptr<process> start(const std::string& name, uint32_t parallelism) {
    ++runs;
    auto log = dir / ("run-" + std::to_string(runs));
    last_stderr = log.string() + ".stderr";
    return std::make_unique<process>(
      std::vector<std::string>{binary, "run", "--input", input.string(), "--output",
                               output(name).string(), "--state-dir",
                               (dir / (name + ".state")).string(), "--parallelism",
                               std::to_string(parallelism), "--max-out-of-orderness-ms",
                               std::to_string(max_delay_ms), "--log-level", "warn"},
      log.string() + ".stdout", last_stderr);
  }

  std::pair<exit_status, clock_type::duration> run(const std::string& name, uint32_t parallelism) {
    auto p = start(name, parallelism);
    auto st = p->wait(120s);
    return {st, p->elapsed()};
  }

  /// Runs `name` to completion, checks sessions, dead letters and that
  /// nothing was late, then checks that a rerun changes nothing.
  void complete_and_check(const std::string& name, uint32_t parallelism) {
    auto [st, t] = run(name, parallelism);
    BOOST_REQUIRE_MESSAGE(st.exited_with(0), name << ": " << st.describe() << ": "
                                                  << tail_of(last_stderr));
    BOOST_TEST_MESSAGE(name << ": " << slurp(fs::path{last_stderr}.replace_extension(".stdout")));
    auto out = slurp(output(name));
    auto got = sorted_lines(output(name));
    BOOST_TEST(got.size() == want.size());
    BOOST_TEST((got == want), name << ": the sessions differ from the reference");
    BOOST_TEST((numbers_and_texts(output(name).string() + ".dead-letter") == want_dead),
               name << ": the dead letters differ");
    BOOST_TEST(slurp(output(name).string() + ".late") == "");
    auto [again, t2] = run(name, parallelism);
    BOOST_REQUIRE_MESSAGE(again.exited_with(0),
                          name << " rerun: " << again.describe() << ": " << tail_of(last_stderr));
    BOOST_CHECK_MESSAGE(slurp(output(name)) == out, name << ": a rerun changed the output");
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(sessionization_kill)

BOOST_AUTO_TEST_CASE(sessions_match_the_reference_and_survive_repeated_sigkills_exactly_once) {
  sessions_job job{2'000, 150'000, 20240611};

  // The generator is deterministic and makes bursts: several sessions a user.
  auto again = job.dir / "again.csv";
  BOOST_REQUIRE(job.generate(2'000, 150'000, 20240611, again).exited_with(0));
  BOOST_TEST((slurp(again) == slurp(job.dir / "generated.csv")));
  BOOST_TEST(job.want.size() > 5 * 2'000u);

  auto t0 = clock_type::now();
  job.complete_and_check("clean", 1);
  auto t_full = clock_type::now() - t0; // a run and a rerun
  BOOST_TEST_MESSAGE("an uninterrupted run and a rerun take " << ms(t_full) << " ms");

  // Kills at random moments, in fresh state directories: a round ends when a
  // run finishes the job before its kill; then its output is checked.
  std::mt19937_64 rnd{20240612};
  const uint64_t expected_size = size_of(job.output("clean"));
  int hits = 0;
  int with_output = 0;
  auto upper_ms = std::max(80.0, ms(t_full) * 0.6);
  for (int round = 1; round <= 4 && hits < 12; ++round) {
    auto name = "killed-" + std::to_string(round);
    for (int attempt = 0; attempt < 30 && hits < 12; ++attempt) {
      auto delay_ms = 20.0 + static_cast<double>(rnd() % 10'000) / 10'000.0 * (upper_ms - 20.0);
      auto p = job.start(name, 2);
      auto ended = p->wait_for(std::chrono::duration_cast<clock_type::duration>(
        std::chrono::duration<double, std::milli>(delay_ms)));
      auto out_at_kill = size_of(job.output(name));
      auto st = ended ? *ended : p->kill();
      if (st.killed() && out_at_kill < expected_size) {
        ++hits;
        with_output += out_at_kill > 0 ? 1 : 0;
        BOOST_TEST_MESSAGE("kill " << hits << " after " << static_cast<int>(delay_ms)
                                   << " ms: output " << out_at_kill << " of " << expected_size
                                   << " bytes");
        continue;
      }
      BOOST_REQUIRE_MESSAGE(st.killed() || st.exited_with(0),
                            "run " << job.runs << ": " << st.describe() << ": "
                                   << tail_of(job.last_stderr));
      break; // the job finished before its kill
    }
    job.complete_and_check(name, 2);
    upper_ms = std::max(60.0, upper_ms * 0.7);
  }
  BOOST_TEST_MESSAGE(hits << " kills hit an unfinished job, " << with_output
                          << " of them after output had begun");
  BOOST_TEST(hits >= 10);
}

BOOST_AUTO_TEST_CASE(malformed_lines_go_to_the_dead_letter_file_with_their_numbers) {
  temp_dir dir{"eddy-sessionization-bad"};
  auto input = dir / "clicks.csv";
  std::ofstream{input, std::ios::binary} << "1,1000,/page/1\n"
                                            "not a click\n"
                                            "1,1500,/page/2\n"
                                            "2,abc,/page/3\n"
                                            "\n"
                                            "1,2500,/page/4\n"  // 1000 after 1500: one session
                                            "3,1000,\n"
                                            "1,4000,/page/5\n"  // 1500 after 2500: a new one
                                            "2,9000,/page/6\n";
  auto st = eddy::test::run({binary, "run", "--input", input.string(), "--output",
                             (dir / "out").string(), "--state-dir", (dir / "state").string(),
                             "--gap-ms", "1000", "--dead-letter", (dir / "dead").string()},
                            dir / "stdout", dir / "stderr");
  BOOST_REQUIRE_MESSAGE(st.exited_with(0), st.describe() << ": " << tail_of(dir / "stderr"));
  BOOST_TEST((sorted_lines(dir / "out")
              == std::vector<std::string>{"1\t1000\t3500\t3", "1\t4000\t5000\t1", "2\t9000\t10000\t1"}));
  BOOST_TEST((lines_of(slurp(dir / "dead"))
              == std::vector<std::string>{"2\texpected 3 fields, got 1\tnot a click",
                                          "4\ttimestamp_ms is not an integer\t2,abc,/page/3",
                                          "5\texpected 3 fields, got 1\t",
                                          "7\turl is empty\t3,1000,"}));
  auto summary = slurp(dir / "stdout");
  BOOST_TEST(summary.find("9 records, 3 sessions") != std::string::npos, summary);

  // Bad arguments: one error line, exit 2, for both commands.
  auto bad = eddy::test::run({binary, "generate", "--users", "0", "--clicks", "1", "--seed", "1",
                              "--out", (dir / "x").string()},
                             dir / "bad.stdout", dir / "bad.stderr");
  BOOST_TEST(bad.exited_with(2));
  BOOST_TEST(lines_of(slurp(dir / "bad.stderr")).size() == 1u);
  bad = eddy::test::run({binary, "run", "--input", input.string()}, dir / "bad.stdout",
                        dir / "bad.stderr");
  BOOST_TEST(bad.exited_with(2));
}

BOOST_AUTO_TEST_SUITE_END()
