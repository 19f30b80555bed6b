// Savepoints of clusters started with scripts/eddy-cluster: wordcount
// following a directory on 2 workers keeps every count once across a
// savepoint, a stop with savepoint, a resume at 3 workers and parallelism
// 3, another stop, and a resume with an upgraded binary (a field added to
// its state); a worker SIGKILLed or SIGSTOPped, or the coordinator
// SIGKILLed, while a savepoint or a stop is taken leaves no half-written
// savepoint listed, the job goes on or resumes, and a later savepoint works.

#include "integration/cluster/launcher.hpp"
#include "integration/followed_input.hpp"
#include "integration/word_sequences.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <fstream>
#include <random>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using eddy::test::caught_up;
using eddy::test::check_word_sequences;
using eddy::test::eventually;
using eddy::test::followed_input;
using eddy::test::keep_on_failure;
using eddy::test::launched_cluster;
using eddy::test::lines_of;
using eddy::test::slurp;
using eddy::test::tail_of;
using eddy::test::temp_dir;

namespace {

const std::string wordcount = EDDY_WORDCOUNT_BINARY;
const std::string wordcount_upgraded = EDDY_WORDCOUNT_UPGRADED_BINARY; // a field more in its state

std::vector<std::string> follow_job(const followed_input& in, const fs::path& output, int parallelism,
                                    const std::string& binary = wordcount) {
  return {binary, "--follow", in.dir.string(), "--output", output.string(), "--parallelism",
          std::to_string(parallelism)};
}

/// The savepoints `eddy-cluster savepoints` lists under cluster `dir`.
std::vector<std::string> listed(const fs::path& dir) {
  auto st = eddy::test::run({eddy::test::cluster_script, "savepoints", "--dir", dir.string()}, dir.string() + ".ls.out",
                            dir.string() + ".ls.err", 30s);
  BOOST_TEST(st.exited_with(0));
  auto lines = lines_of(slurp(dir.string() + ".ls.out"));
  if (!lines.empty() && lines.front().rfind("PATH", 0) == 0)
    lines.erase(lines.begin());
  else
    lines.clear(); // "no savepoints in ..."
  return lines;
}

/// Every listed savepoint is complete.
void check_listed_complete(const fs::path& dir) {
  std::error_code ec;
  for (auto& e : fs::directory_iterator{dir / "savepoints", ec})
    if (e.path().filename().string().front() != '.')
      BOOST_TEST(fs::exists(e.path() / "manifest.json"), e.path().string() << " is listed without its manifest");
}

} // namespace

BOOST_AUTO_TEST_SUITE(cluster_savepoints)

BOOST_AUTO_TEST_CASE(wordcount_following_a_directory_keeps_every_count_once_across_savepoints_stops_a_resume_at_3_workers_and_an_upgrade) {
  temp_dir tmp{"eddy-cluster-sp"};
  keep_on_failure keep{tmp};
  followed_input in{tmp / "in"};
  auto out = tmp / "out.txt";
  auto dir = tmp / "c";
  in.append(20'000);
  std::string stopped_with;
  {
    launched_cluster c{dir, 2, follow_job(in, out, 2)};
    BOOST_REQUIRE_MESSAGE(c.started(), c.start_error());
    BOOST_REQUIRE_MESSAGE(caught_up(out, in), tail_of(dir / "coordinator.log"));
    auto [st, sp] = c.savepoint(false, {"--to", (tmp / "named-savepoint").string()});
    BOOST_REQUIRE_MESSAGE(st.exited_with(0), "savepoint: " << sp);
    BOOST_TEST(sp == (tmp / "named-savepoint").string());
    BOOST_TEST(fs::exists(fs::path{sp} / "manifest.json"));
    in.append(20'000);
    BOOST_REQUIRE(caught_up(out, in));
    auto [st2, sp2] = c.savepoint(true);
    BOOST_REQUIRE_MESSAGE(st2.exited_with(0), "stop --with-savepoint: " << sp2);
    BOOST_TEST(c.exited_within("coordinator", 10s));
    BOOST_TEST(c.exit_of("coordinator") == "0");
    stopped_with = sp2;
  }
  BOOST_TEST(listed(dir).size() == 1u); // the first one went to --to
  in.append(20'000); // while nothing runs
  {
    launched_cluster c{dir, 3, follow_job(in, out, 3), false, {"--from-savepoint", stopped_with}};
    BOOST_REQUIRE_MESSAGE(c.started(), c.start_error());
    BOOST_TEST(c.log("coordinator").find("started on 3 workers") != std::string::npos);
    in.append(20'000);
    BOOST_REQUIRE_MESSAGE(caught_up(out, in), tail_of(dir / "coordinator.log"));
    auto [st, sp] = c.savepoint(true);
    BOOST_REQUIRE_MESSAGE(st.exited_with(0), "second stop: " << sp);
    stopped_with = sp;
  }
  BOOST_TEST(listed(dir).size() == 2u);
  { // the upgraded binary: its state has a field more, restored with its default
    launched_cluster c{dir, 3, follow_job(in, out, 3, wordcount_upgraded), false, {"--from-savepoint", stopped_with}};
    BOOST_REQUIRE_MESSAGE(c.started(), c.start_error());
    in.append(20'000);
    BOOST_REQUIRE_MESSAGE(caught_up(out, in), tail_of(dir / "coordinator.log"));
    auto [st, sp] = c.savepoint(true);
    BOOST_REQUIRE_MESSAGE(st.exited_with(0), "the upgraded job's stop: " << sp);
  }
  auto problem = check_word_sequences(slurp(out), in.all);
  BOOST_TEST(problem.empty(), problem);
}

BOOST_AUTO_TEST_CASE(a_worker_or_the_coordinator_lost_during_a_savepoint_or_a_stop_leaves_none_half_listed_and_a_later_one_works) {
  temp_dir tmp{"eddy-cluster-sp"};
  keep_on_failure keep{tmp};
  followed_input in{tmp / "in"};
  auto out = tmp / "out.txt";
  auto dir = tmp / "c";
  in.append(60'000);
  launched_cluster c{dir, 3, follow_job(in, out, 3), true}; // supervised: a killed node comes back
  BOOST_REQUIRE_MESSAGE(c.started(), c.start_error());
  BOOST_REQUIRE_MESSAGE(caught_up(out, in), tail_of(dir / "coordinator.log"));

  // A worker SIGKILLed while its journals are copied and written.
  std::thread killer{[&] {
    std::this_thread::sleep_for(30ms);
    c.signal("worker-2", SIGKILL);
  }};
  auto [st1, why1] = c.savepoint();
  killer.join();
  BOOST_TEST_MESSAGE("savepoint with worker 2 killed: " << st1.describe() << ": " << why1);
  check_listed_complete(dir);
  in.append(20'000);
  BOOST_REQUIRE_MESSAGE(caught_up(out, in), tail_of(dir / "coordinator.log"));

  // A worker SIGSTOPped during a savepoint: lost after the peer timeout, the savepoint fails or completes.
  auto stopped = c.pid_of("worker-3");
  std::thread stopper{[&] {
    std::this_thread::sleep_for(20ms);
    ::kill(stopped, SIGSTOP);
  }};
  auto [st2, why2] = c.savepoint();
  stopper.join();
  BOOST_TEST_MESSAGE("savepoint with worker 3 stopped: " << st2.describe() << ": " << why2);
  ::kill(stopped, SIGCONT);
  check_listed_complete(dir);
  in.append(20'000);
  BOOST_REQUIRE_MESSAGE(caught_up(out, in), tail_of(dir / "coordinator.log"));

  // The coordinator SIGKILLed during a stop with savepoint: the job comes back by itself (supervised).
  std::thread coordinator_killer{[&] {
    std::this_thread::sleep_for(50ms);
    c.signal("coordinator", SIGKILL);
  }};
  auto [st3, why3] = c.savepoint(true);
  coordinator_killer.join();
  BOOST_TEST_MESSAGE("stop with the coordinator killed: " << st3.describe() << ": " << why3);
  check_listed_complete(dir);
  if (!st3.exited_with(0)) { // killed before the savepoint: the supervised cluster runs on
    BOOST_REQUIRE(eventually([&] { return c.alive("coordinator") && c.log("coordinator").find("started on") != std::string::npos; }));
    in.append(20'000);
    BOOST_REQUIRE_MESSAGE(caught_up(out, in), tail_of(dir / "coordinator.log"));
    auto [st4, sp4] = c.savepoint(true);
    BOOST_REQUIRE_MESSAGE(st4.exited_with(0), "a later stop: " << sp4);
    BOOST_TEST(fs::exists(fs::path{sp4} / "manifest.json"));
  }
  auto problem = check_word_sequences(slurp(out), in.all);
  BOOST_TEST(problem.empty(), problem);
  BOOST_TEST(!listed(dir).empty());
}

BOOST_AUTO_TEST_CASE(a_savepoint_of_another_job_or_a_corrupt_one_fails_start_with_exit_2_and_leaves_nothing_running) {
  temp_dir tmp{"eddy-cluster-sp"};
  keep_on_failure keep{tmp};
  followed_input in{tmp / "in"};
  in.append(2'000);
  auto out = tmp / "out.txt";
  std::string sp;
  {
    launched_cluster c{tmp / "c", 1, follow_job(in, out, 1)};
    BOOST_REQUIRE_MESSAGE(c.started(), c.start_error());
    BOOST_REQUIRE(caught_up(out, in));
    auto [st, path] = c.savepoint(true);
    BOOST_REQUIRE_MESSAGE(st.exited_with(0), path);
    sp = path;
  }
  auto corrupt = tmp / "corrupt";
  fs::copy(sp, corrupt, fs::copy_options::recursive);
  for (auto& e : fs::directory_iterator{corrupt})
    if (e.path().extension() == ".bin")
      fs::resize_file(e.path(), fs::file_size(e.path()) / 2);
  struct bad {
    std::string name;
    std::vector<std::string> job;
    std::string from, expect;
  };
  std::vector<bad> cases{
    {"foreign", {EDDY_NEXMARK_BINARY, "run", "--query", "q0", "--events", "100", "--output", (tmp / "q0.tsv").string()}, sp,
     "is of job 'wordcount', not 'nexmark'"},
    {"corrupt", follow_job(in, out, 2), corrupt.string(), "truncated"},
  };
  for (auto& b : cases) {
    launched_cluster c{tmp / b.name, 2, b.job, false, {"--from-savepoint", b.from}};
    BOOST_TEST(!c.started(), b.name);
    auto err = slurp(tmp / (b.name + ".start.err"));
    BOOST_TEST(err.find(b.expect) != std::string::npos, b.name << ": " << err);
    BOOST_TEST(c.exit_of("coordinator") == "2", b.name);
    for (auto node : {"coordinator", "worker-1", "worker-2"})
      BOOST_TEST(!c.alive(node), b.name << ": " << node << " still runs");
  }
  auto problem = check_word_sequences(slurp(out), in.all);
  BOOST_TEST(problem.empty(), problem);
}

BOOST_AUTO_TEST_SUITE_END()
