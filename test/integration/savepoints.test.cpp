// Savepoints of local jobs (SIGUSR1 takes one, SIGUSR2 stops with one):
// a stopped job resumes at another parallelism with every count once, a
// followed directory keeps growing across a savepoint, a SIGKILL and a
// rescaled resume, unbounded nexmark q5 SIGKILLed, restarted, stopped and
// resumed elsewhere matches SQL, a
// SIGKILL while a savepoint is written leaves none half listed, and a
// corrupt, truncated or foreign savepoint is refused with exit 2.

#include "integration/nexmark/sql_oracle.hpp"
#include "integration/process.hpp"
#include "integration/word_sequences.hpp"

#include <signal.h>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using eddy::test::check_word_sequences;
using eddy::test::lines_of;
using eddy::test::process;
using eddy::test::slurp;
using eddy::test::tail_of;
using eddy::test::words_text;
using eddy::test::temp_dir;

namespace {

const std::string wordcount = EDDY_WORDCOUNT_BINARY;
const std::string nexmark = EDDY_NEXMARK_BINARY;
const std::string queries_sql = EDDY_NEXMARK_QUERIES_SQL;

void write_file(const fs::path& file, const std::string& text) {
  std::ofstream out{file, std::ios::binary};
  out << text;
}

/// The savepoints listed under `root`: its directories not starting with '.'.
std::vector<fs::path> listed(const fs::path& root) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto& e : fs::directory_iterator{root, ec})
    if (e.is_directory() && e.path().filename().string().front() != '.')
      out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

/// Waits until `pred()` or `timeout`; returns pred().
template <class Pred>
bool eventually(Pred pred, std::chrono::seconds timeout = 60s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  return pred();
}

size_t line_count(const fs::path& file) {
  return lines_of(slurp(file)).size();
}

/// A wordcount process with its logs in tmp/name.{out,err}.
std::unique_ptr<process> start_wordcount(const temp_dir& tmp, const std::string& name, std::vector<std::string> args) {
  std::vector<std::string> argv{wordcount};
  argv.insert(argv.end(), args.begin(), args.end());
  return std::make_unique<process>(argv, tmp / (name + ".out"), tmp / (name + ".err"));
}

/// Sends `sig` to `p` and waits for its exit 0; the savepoint it stopped with.
fs::path stop_with_savepoint(process& p, const temp_dir& tmp, const std::string& name, const fs::path& root) {
  auto before = listed(root).size();
  ::kill(p.pid(), SIGUSR2);
  auto st = p.wait(120s);
  BOOST_REQUIRE_MESSAGE(st.exited_with(0), name << ": " << st.describe() << ": " << tail_of(tmp / (name + ".err")));
  auto after = listed(root);
  BOOST_REQUIRE_MESSAGE(after.size() == before + 1, name << ": " << after.size() << " savepoints, " << before << " before");
  BOOST_TEST(fs::exists(after.back() / "manifest.json"));
  return after.back();
}

/// Resumes wordcount over `input` from `sp` into a new state `state` at
/// `parallelism`, waits for its end and checks every count of `text` in `out`.
void resume_and_check(const temp_dir& tmp, const std::string& name, const fs::path& input, const std::string& out,
                      const std::string& state, const std::string& parallelism, const fs::path& sp, const std::string& text) {
  auto p = start_wordcount(tmp, name, {"--input", input.string(), "--output", out, "--state-dir", (tmp / state).string(),
                                       "--parallelism", parallelism, "--from-savepoint", sp.string()});
  auto st = p->wait(180s);
  BOOST_REQUIRE_MESSAGE(st.exited_with(0), name << ": " << st.describe() << ": " << tail_of(tmp / (name + ".err")));
  auto problem = check_word_sequences(slurp(out), text);
  BOOST_TEST(problem.empty(), problem);
}

} // namespace

BOOST_AUTO_TEST_SUITE(savepoints)

BOOST_AUTO_TEST_CASE(a_local_job_stopped_with_a_savepoint_resumes_at_another_parallelism_with_every_count_once) {
  temp_dir tmp{"eddy-savepoint"};
  auto text = words_text(1, 500'000);
  write_file(tmp / "in.txt", text);
  auto out = (tmp / "out.txt").string();
  auto first = start_wordcount(tmp, "first", {"--input", (tmp / "in.txt").string(), "--output", out, "--state-dir",
                                              (tmp / "st1").string(), "--parallelism", "2"});
  BOOST_REQUIRE(eventually([&] { return line_count(out) > 0; }));
  auto sp = stop_with_savepoint(*first, tmp, "first", tmp / "st1" / "savepoints");
  BOOST_TEST(line_count(out) < eddy::test::word_lines(text), "the job ended before it was stopped");
  resume_and_check(tmp, "second", tmp / "in.txt", out, "st2", "3", sp, text);
}

BOOST_AUTO_TEST_CASE(a_followed_directory_keeps_every_count_once_across_a_savepoint_a_sigkill_and_a_rescaled_resume) {
  temp_dir tmp{"eddy-savepoint"};
  fs::create_directories(tmp / "in");
  std::string all;
  auto append = [&](const std::string& file, uint64_t seed, size_t lines) {
    auto text = words_text(seed, lines);
    write_file(tmp / "in" / file, text);
    all += text;
  };
  auto out = (tmp / "out.txt").string();
  auto args = [&](const std::string& state, const std::string& parallelism) {
    return std::vector<std::string>{"--follow", (tmp / "in").string(), "--output", out, "--state-dir",
                                    (tmp / state).string(), "--parallelism", parallelism};
  };
  auto caught_up = [&] { return eventually([&] { return line_count(out) == eddy::test::word_lines(all); }); };
  append("a-001", 1, 20'000);
  auto p = start_wordcount(tmp, "run1", args("st1", "2"));
  BOOST_REQUIRE_MESSAGE(caught_up(), tail_of(tmp / "run1.err"));
  ::kill(p->pid(), SIGUSR1); // a savepoint while it runs
  BOOST_REQUIRE(eventually([&] { return listed(tmp / "st1" / "savepoints").size() == 1; }));
  append("a-002", 2, 20'000);
  std::this_thread::sleep_for(200ms);
  p->kill();
  p = start_wordcount(tmp, "run2", args("st1", "2"));
  append("a-003", 3, 20'000);
  BOOST_REQUIRE_MESSAGE(caught_up(), tail_of(tmp / "run2.err"));
  auto sp = stop_with_savepoint(*p, tmp, "run2", tmp / "st1" / "savepoints");
  append("a-004", 4, 20'000); // while nothing runs
  auto resumed = args("st2", "3");
  resumed.insert(resumed.end(), {"--from-savepoint", sp.string()});
  p = start_wordcount(tmp, "run3", resumed);
  append("a-005", 5, 20'000);
  BOOST_REQUIRE_MESSAGE(caught_up(), tail_of(tmp / "run3.err"));
  stop_with_savepoint(*p, tmp, "run3", tmp / "st2" / "savepoints");
  auto problem = check_word_sequences(slurp(out), all);
  BOOST_TEST(problem.empty(), problem);
}

BOOST_AUTO_TEST_CASE(unbounded_nexmark_q5_sigkilled_then_stopped_with_a_savepoint_and_resumed_at_another_parallelism_matches_sql) {
  temp_dir tmp{"eddy-savepoint"};
  constexpr uint64_t rate = 20'000, events = 160'000; // 8 s of event time
  auto start = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count() - 2000;
  auto out = (tmp / "q5.tsv").string();
  auto job = [&](const std::string& state, const std::string& parallelism) {
    return std::vector<std::string>{nexmark, "run", "--query", "q5", "--rate", std::to_string(rate), "--start-ms",
                                    std::to_string(start), "--output", out, "--state-dir", (tmp / state).string(),
                                    "--parallelism", parallelism};
  };
  auto unbounded = std::make_unique<process>(job("st1", "2"), tmp / "run1.out", tmp / "run1.err");
  std::this_thread::sleep_for(1500ms);
  unbounded->kill(); // and again with the same state: it replays the same events
  unbounded = std::make_unique<process>(job("st1", "2"), tmp / "run1b.out", tmp / "run1b.err");
  std::this_thread::sleep_for(1500ms);
  auto sp = stop_with_savepoint(*unbounded, tmp, "run1b", tmp / "st1" / "savepoints");
  auto resumed = job("st2", "3");
  resumed.insert(resumed.end(), {"--from-savepoint", sp.string(), "--stop-after", std::to_string(events)});
  auto st = eddy::test::run(resumed, tmp / "run2.out", tmp / "run2.err", 120s);
  BOOST_REQUIRE_MESSAGE(st.exited_with(0), st.describe() << ": " << tail_of(tmp / "run2.err"));
  auto gen = eddy::test::run({nexmark, "generate", "--events", std::to_string(events), "--rate", std::to_string(rate),
                              "--base-time-ms", std::to_string(start), "--out", (tmp / "events.csv").string()},
                             tmp / "gen.out", tmp / "gen.err", 120s);
  BOOST_REQUIRE(gen.exited_with(0));
  eddy::test::nexmark::sql_oracle oracle{tmp / "events.csv"};
  auto expected = oracle.rows(eddy::test::nexmark::load_queries(queries_sql).at("q5"));
  auto got = lines_of(slurp(out));
  std::sort(got.begin(), got.end());
  BOOST_TEST(!expected.empty());
  BOOST_TEST((got == expected), got.size() << " rows, SQL has " << expected.size());
}

BOOST_AUTO_TEST_CASE(a_sigkill_while_a_savepoint_or_a_stop_is_written_leaves_none_listed_half_and_a_later_one_works) {
  temp_dir tmp{"eddy-savepoint"};
  auto text = words_text(9, 1'200'000);
  write_file(tmp / "in.txt", text);
  auto out = (tmp / "out.txt").string();
  auto root = tmp / "st1" / "savepoints";
  auto args = [&](const std::string& name) {
    return std::vector<std::string>{"--input", (tmp / "in.txt").string(), "--output", out, "--state-dir",
                                    (tmp / "st1").string(), "--parallelism", "2"};
  };
  std::mt19937 rnd{42};
  int round = 0;
  for (int sig : {SIGUSR1, SIGUSR2, SIGUSR1}) {
    auto name = "run" + std::to_string(++round);
    auto p = start_wordcount(tmp, name, args(name));
    BOOST_REQUIRE(eventually([&] { return slurp(tmp / (name + ".err")).find("recovered") != std::string::npos; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + rnd() % 300));
    ::kill(p->pid(), sig);
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + rnd() % 200));
    auto st = p->kill();
    BOOST_TEST_MESSAGE(name << ": " << st.describe());
    for (auto& sp : listed(root)) // complete, or not listed at all
      BOOST_TEST(fs::exists(sp / "manifest.json"), sp.string() << " is listed without a manifest");
  }
  auto p = start_wordcount(tmp, "last", args("last"));
  BOOST_REQUIRE(eventually([&] { return slurp(tmp / "last.err").find("recovered") != std::string::npos; }));
  auto sp = stop_with_savepoint(*p, tmp, "last", root);
  for (auto& e : fs::directory_iterator{root}) // what the killed ones left is gone
    BOOST_TEST(e.path().filename().string().rfind(".savepoint-", 0) != 0, e.path().string() << " is left");
  resume_and_check(tmp, "resumed", tmp / "in.txt", out, "st2", "1", sp, text);
}

BOOST_AUTO_TEST_CASE(a_corrupt_truncated_unfinished_or_foreign_savepoint_is_refused_with_exit_2_and_one_error_line) {
  temp_dir tmp{"eddy-savepoint"};
  fs::create_directories(tmp / "in");
  write_file(tmp / "in" / "a", words_text(1, 5000));
  auto out = (tmp / "out.txt").string();
  auto p = start_wordcount(tmp, "run", {"--follow", (tmp / "in").string(), "--output", out, "--state-dir", (tmp / "st").string()});
  BOOST_REQUIRE(eventually([&] { return line_count(out) == 40'000; }));
  auto sp = stop_with_savepoint(*p, tmp, "run", tmp / "st" / "savepoints");
  auto body = sp / "bodies-0.bin";
  BOOST_REQUIRE(fs::exists(body));
  struct bad_case {
    std::string name, expect;
    std::function<void(const fs::path&)> spoil;
    std::vector<std::string> extra;
  };
  std::vector<bad_case> cases{
    {"corrupt", "checksum", [](const fs::path& d) {
       std::fstream f{d / "bodies-0.bin", std::ios::in | std::ios::out | std::ios::binary};
       f.seekp(100);
       f.put('\x7f');
     }, {}},
    {"truncated", "truncated", [](const fs::path& d) { fs::resize_file(d / "bodies-0.bin", fs::file_size(d / "bodies-0.bin") / 2); }, {}},
    {"unfinished", "manifest.json", [](const fs::path& d) { fs::remove(d / "manifest.json"); }, {}},
    {"other-key-groups", "--max-key-groups 128", [](const fs::path&) {}, {"--max-key-groups", "64"}},
  };
  for (auto& c : cases) {
    auto copy = tmp / ("sp-" + c.name);
    fs::copy(sp, copy, fs::copy_options::recursive);
    c.spoil(copy);
    std::vector<std::string> argv{wordcount, "--follow", (tmp / "in").string(), "--output", (tmp / (c.name + ".txt")).string(),
                                  "--state-dir", (tmp / ("st-" + c.name)).string(), "--from-savepoint", copy.string()};
    argv.insert(argv.end(), c.extra.begin(), c.extra.end());
    auto st = eddy::test::run(argv, tmp / (c.name + ".out"), tmp / (c.name + ".err"), 30s);
    auto err = lines_of(slurp(tmp / (c.name + ".err")));
    BOOST_TEST(st.exited_with(2), c.name << ": " << st.describe());
    BOOST_TEST_REQUIRE(!err.empty(), c.name);
    BOOST_TEST(err.back().find(c.expect) != std::string::npos, c.name << ": " << err.back());
    BOOST_TEST((!fs::exists(tmp / (c.name + ".txt")) || fs::file_size(tmp / (c.name + ".txt")) == 0), c.name << " wrote output");
  }
  // Another job's savepoint: nexmark from wordcount's.
  auto st = eddy::test::run({nexmark, "run", "--query", "q0", "--events", "10", "--output", (tmp / "q0.tsv").string(),
                             "--state-dir", (tmp / "st-q0").string(), "--from-savepoint", sp.string()},
                            tmp / "q0.out", tmp / "q0.err", 30s);
  BOOST_TEST(st.exited_with(2), st.describe());
  BOOST_TEST(slurp(tmp / "q0.err").find("is of job 'wordcount', not 'nexmark'") != std::string::npos, slurp(tmp / "q0.err"));
  // The savepoint used for all of them is untouched: it still resumes.
  auto again = eddy::test::run({wordcount, "--follow", (tmp / "in").string(), "--output", out, "--state-dir",
                                (tmp / "st-again").string(), "--from-savepoint", sp.string(), "--parallelism", "2",
                                "--log-level", "warn"},
                               tmp / "again.out", tmp / "again.err", 3s);
  BOOST_TEST(again.timed_out, "a good resume runs until stopped: " << again.describe() << ": " << tail_of(tmp / "again.err"));
}

BOOST_AUTO_TEST_SUITE_END()
