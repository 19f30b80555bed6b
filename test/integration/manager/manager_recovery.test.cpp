// The manager's own failures and its jobs': periodic savepoints appear in
// the catalog; a manager SIGSTOPped leaves its jobs running, and one
// SIGKILLed and started again keeps its catalog, finds its running
// deployment and operates it on (every count once); a deployment whose job
// fails is restarted by its restart policy from its latest state, with the
// failure recorded as an event with the exception's text.

#include "integration/followed_input.hpp"
#include "integration/manager/running_manager.hpp"
#include "integration/word_sequences.hpp"

#include <boost/test/unit_test.hpp>

#include <map>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using eddy::test::caught_up;
using eddy::test::manager_test;
using eddy::test::check_word_sequences;
using eddy::test::eventually;
using eddy::test::lines_of;
using eddy::test::slurp;
using nlohmann::json;

namespace {

const std::string wordcount = EDDY_WORDCOUNT_BINARY;
const std::string poisoned_count = EDDY_POISONED_COUNT_BINARY;

size_t periodic_savepoints(eddy::test::running_manager& m, const std::string& name) {
  size_t n = 0;
  for (auto& s : m.json({"savepoints", name}))
    n += s["origin"] == "PERIODIC" && s["state"] == "COMPLETED";
  return n;
}

} // namespace

BOOST_AUTO_TEST_SUITE(manager_recovery)

BOOST_AUTO_TEST_CASE(periodic_savepoints_are_recorded_and_a_manager_stopped_or_killed_and_restarted_finds_its_running_deployment) {
  manager_test t{"eddy-manager-kill"};
  auto& in = t.in;
  auto& out = t.out;
  auto& m = t.m;
  in.append(5'000);
  t.deploy("wc", {"--workers", "2", "--savepoint-interval", "2"}, t.follow_job(wordcount));
  BOOST_REQUIRE(eventually([&] { return periodic_savepoints(m, "wc") >= 1; }, 30s));
  auto job = m.json({"status", "wc"})["status"]["job_id"];

  // Stopped, the manager holds nothing up: the job runs on without it.
  BOOST_REQUIRE(m.proc().stop());
  in.append(5'000);
  BOOST_TEST(caught_up(out, in));
  ::kill(m.proc().pid(), SIGCONT);
  BOOST_TEST(m.eddy({"status", "wc"}).ok());

  m.kill();
  in.append(5'000);
  BOOST_TEST(caught_up(out, in)); // still running, unmanaged
  m.start();
  BOOST_REQUIRE_MESSAGE(m.started(), m.log());
  auto status = m.json({"status", "wc"});
  BOOST_TEST(status["status"]["state"] == "RUNNING");
  BOOST_TEST(status["status"]["job_id"] == job); // the same job, adopted, not started again
  BOOST_TEST(m.events("wc", "JOB_ADOPTED").size() == 1u);
  auto before = periodic_savepoints(m, "wc");
  BOOST_TEST(eventually([&] { return periodic_savepoints(m, "wc") > before; }, 30s), "no periodic savepoint after the restart");
  in.append(5'000);
  BOOST_REQUIRE(caught_up(out, in));
  BOOST_TEST(m.eddy({"suspend", "wc"}).ok());
  BOOST_TEST(check_word_sequences(slurp(out), in.all) == "");
}

BOOST_AUTO_TEST_CASE(a_failed_job_is_restarted_by_the_restart_policy_from_its_latest_state_and_the_failure_is_an_event_with_its_exception) {
  manager_test t{"eddy-manager-restart"};
  auto& in = t.in;
  auto& out = t.out;
  auto& m = t.m;
  auto poison = t.tmp / "poison-on";
  in.append_text("apple\npear\napple\n");
  std::ofstream{poison} << "on\n";
  t.deploy("pc", {"--workers", "2", "--max-restarts", "5"}, t.follow_job(poisoned_count, {"--poison-while", poison.string()}));
  BOOST_REQUIRE(eventually([&] { return lines_of(slurp(out)).size() >= 3; }, 30s));

  in.append_text("poison\napple\n");
  BOOST_REQUIRE_MESSAGE(eventually([&] { return !m.events("pc", "JOB_FAILED").empty(); }, 60s), m.log());
  fs::remove(poison); // what an operator would fix
  auto failed = m.events("pc", "JOB_FAILED").front();
  BOOST_TEST(failed["message"].get<std::string>().find("poison pill in line 'poison'") != std::string::npos,
             failed["message"]);
  BOOST_REQUIRE(eventually([&] {
    auto d = m.json({"status", "pc"});
    return d["status"]["state"] == "RUNNING" && d["status"]["restarts"].get<int>() >= 1
           && d["status"]["job_id"] != failed["job_id"];
  }, 60s));
  BOOST_TEST(!m.events("pc", "RESTARTING").empty());
  auto jobs = m.json({"jobs", "pc"});
  BOOST_TEST(jobs.back()["restored_from"].get<std::string>().find("the state of job") != std::string::npos,
             jobs.back().dump());
  in.append_text("pear\n");
  // Every line counted once, in order: apple 1 2 3, pear 1 2, poison 1.
  BOOST_REQUIRE(eventually([&] { return lines_of(slurp(out)).size() >= 6; }, 60s));
  std::map<std::string, int> counts;
  for (auto& line : lines_of(slurp(out))) {
    auto tab = line.find('\t');
    auto key = line.substr(0, tab);
    BOOST_TEST(std::stoi(line.substr(tab + 1)) == ++counts[key], line);
  }
  BOOST_TEST(counts["apple"] == 3);
  BOOST_TEST(counts["pear"] == 2);
  BOOST_TEST(counts["poison"] == 1);
  BOOST_TEST(m.eddy({"cancel", "pc"}).ok());
}

BOOST_AUTO_TEST_SUITE_END()
