// The application manager end to end through the `eddy` CLI: wordcount
// following a directory, deployed on 2 workers, keeps every count once
// across a savepoint, a suspend, a resume at 3 workers and parallelism 3,
// an upgrade to the variant with a field added to its state, and a cancel;
// the catalog holds every job, savepoint and event of it. An upgrade to a
// binary whose state's type changed is refused with the reason, and the
// deployment runs on with its old spec. `eddy query` reads a key's current
// count while the job runs. A cancelled deployment resumes from its state
// in place (LATEST_STATE), and a STATELESS upgrade starts the new spec empty.

#include "integration/followed_input.hpp"
#include "integration/manager/running_manager.hpp"
#include "integration/state_query.hpp"
#include "integration/word_sequences.hpp"

#include <boost/test/unit_test.hpp>

#include <set>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using eddy::test::caught_up;
using eddy::test::manager_test;
using eddy::test::check_word_sequences;
using nlohmann::json;

namespace {

const std::string wordcount = EDDY_WORDCOUNT_BINARY;
const std::string wordcount_upgraded = EDDY_WORDCOUNT_UPGRADED_BINARY;
const std::string variant_prefix = EDDY_UPGRADE_JOB_PREFIX;

std::multiset<std::string> kinds_of(const json& events) {
  std::multiset<std::string> kinds;
  for (auto& e : events)
    kinds.insert(e["kind"].get<std::string>());
  return kinds;
}

} // namespace

BOOST_AUTO_TEST_SUITE(manager_cli)

BOOST_AUTO_TEST_CASE(wordcount_deployed_through_the_cli_keeps_every_count_once_across_savepoint_suspend_resume_at_3_workers_upgrade_and_cancel) {
  manager_test t{"eddy-manager-cli"};
  auto& in = t.in;
  auto& out = t.out;
  auto& m = t.m;
  in.append(10'000);
  auto deployed = t.deploy("wc", {"--workers", "2", "--parallelism", "2"}, t.follow_job(wordcount));
  BOOST_TEST(deployed.out.find("RUNNING") != std::string::npos);
  BOOST_REQUIRE(caught_up(out, in));

  auto sp = m.eddy({"savepoint", "wc"});
  BOOST_REQUIRE_MESSAGE(sp.ok(), sp.err);
  auto sp_path = eddy::test::lines_of(sp.out).front();
  BOOST_TEST(fs::exists(fs::path{sp_path} / "manifest.json"), sp_path);
  in.append(10'000);
  BOOST_REQUIRE(caught_up(out, in));

  auto suspended = m.eddy({"suspend", "wc"});
  BOOST_REQUIRE_MESSAGE(suspended.ok(), suspended.err);
  BOOST_TEST(m.json({"status", "wc"})["status"]["state"] == "SUSPENDED");
  in.append(10'000); // while nothing runs

  auto resumed = m.eddy({"resume", "wc", "--workers", "3", "--parallelism", "3"});
  BOOST_REQUIRE_MESSAGE(resumed.ok(), resumed.err << m.log());
  BOOST_REQUIRE(caught_up(out, in));
  in.append(10'000);
  BOOST_REQUIRE(caught_up(out, in));

  auto upgrade = t.follow_job(wordcount_upgraded);
  upgrade.insert(upgrade.begin(), {"upgrade", "wc", "--"});
  auto upgraded = m.eddy(upgrade);
  BOOST_REQUIRE_MESSAGE(upgraded.ok(), upgraded.err << m.log());
  in.append(10'000);
  BOOST_REQUIRE(caught_up(out, in));

  auto cancelled = m.eddy({"cancel", "wc"});
  BOOST_REQUIRE_MESSAGE(cancelled.ok(), cancelled.err);
  BOOST_TEST(check_word_sequences(eddy::test::slurp(out), in.all) == "");

  // The records: every job with how it ended, every savepoint, every transition.
  auto jobs = m.json({"jobs", "wc"});
  BOOST_REQUIRE_EQUAL(jobs.size(), 3u);
  BOOST_TEST(jobs[0]["state"] == "SUSPENDED");
  BOOST_TEST(jobs[0]["spec"]["workers"] == 2);
  BOOST_TEST(jobs[1]["state"] == "UPGRADED");
  BOOST_TEST(jobs[1]["spec"]["workers"] == 3);
  BOOST_TEST(jobs[1]["restored_from"].is_string());
  BOOST_TEST(jobs[2]["state"] == "CANCELLED");
  BOOST_TEST(jobs[2]["spec"]["binary"] == wordcount_upgraded);
  std::multiset<std::string> origins;
  for (auto& s : m.json({"savepoints", "wc"})) {
    BOOST_TEST(s["state"] == "COMPLETED", s.dump());
    BOOST_TEST(fs::exists(fs::path{s["path"].get<std::string>()} / "manifest.json"));
    origins.insert(s["origin"].get<std::string>());
  }
  BOOST_TEST(origins.count("MANUAL") == 1u);
  BOOST_TEST(origins.count("SUSPEND") == 1u);
  BOOST_TEST(origins.count("UPGRADE") == 2u); // the check's and the stop's
  auto kinds = kinds_of(m.json({"events", "wc"}));
  for (auto k : {"DEPLOYED", "JOB_STARTING", "JOB_RUNNING", "SAVEPOINT_COMPLETED", "JOB_SUSPENDED", "DESIRED_STATE",
                 "SPEC_CHANGED", "JOB_UPGRADED", "UPGRADING", "JOB_CANCELLED"})
    BOOST_TEST(kinds.count(k) > 0u, "no event " << k);
  BOOST_TEST(kinds.count("JOB_RUNNING") == 3u);
  auto listed = m.eddy({"list"});
  BOOST_TEST(listed.out.find("wc") != std::string::npos);
  BOOST_TEST(listed.out.find("CANCELLED") != std::string::npos);
  auto logs = m.eddy({"logs", "wc", "--node", "coordinator"});
  BOOST_TEST(logs.ok());
  BOOST_TEST(logs.out.find("started on 3 workers") != std::string::npos);
  // Records outlive the deployment: deleted, its savepoints stay listed.
  BOOST_TEST(m.eddy({"delete", "wc"}).ok());
  BOOST_TEST(m.eddy({"status", "wc"}).status.exited_with(1));
}

BOOST_AUTO_TEST_CASE(an_upgrade_to_a_binary_whose_state_changed_type_is_refused_and_the_deployment_runs_on_with_its_old_spec) {
  manager_test t{"eddy-manager-refuse"};
  auto& in = t.in;
  auto& out = t.out;
  auto& m = t.m;
  in.append(5'000);
  auto base = variant_prefix + "0";
  t.deploy("up", {}, t.follow_job(base));
  BOOST_REQUIRE(caught_up(out, in));
  auto before = m.json({"status", "up"});

  auto upgrade = t.follow_job(variant_prefix + "4"); // a state's type changed
  upgrade.insert(upgrade.begin(), {"upgrade", "up", "--"});
  auto refused = m.eddy(upgrade);
  BOOST_TEST(refused.status.exited_with(1), refused.status.describe());
  BOOST_TEST(refused.err.find("cannot start from savepoint") != std::string::npos, refused.err);
  BOOST_TEST(refused.err.find("counts") != std::string::npos, refused.err); // names the operator

  auto after = m.json({"status", "up"});
  BOOST_TEST(after["spec_version"] == before["spec_version"]);
  BOOST_TEST(after["spec"]["binary"] == base);
  BOOST_TEST(after["status"]["job_id"] == before["status"]["job_id"]);
  BOOST_TEST(after["status"]["state"] == "RUNNING");
  BOOST_TEST(m.events("up", "UPGRADE_REFUSED").size() == 1u);
  in.append(5'000);
  BOOST_REQUIRE(caught_up(out, in));
  BOOST_TEST(m.eddy({"cancel", "up"}).ok());
  BOOST_TEST(check_word_sequences(eddy::test::slurp(out), in.all) == "");
}

BOOST_AUTO_TEST_CASE(eddy_query_returns_a_keys_current_count_while_wordcount_runs) {
  manager_test t{"eddy-manager-query"};
  auto& in = t.in;
  auto& m = t.m;
  in.append(5'000);
  t.deploy("wc", {"--workers", "2", "--parallelism", "2"}, t.follow_job(wordcount));
  BOOST_REQUIRE(caught_up(t.out, in));
  auto count_of = [&](const std::string& word) {
    auto q = m.json({"query", "wc", "counts", word});
    BOOST_TEST(q["operator"] == "counts");
    BOOST_TEST(q["key"] == word);
    return eddy::test::word_count_in(q).value_or(0);
  };
  auto reference = eddy::test::word_counts(in.all);
  auto word = reference.begin()->first;
  BOOST_TEST(count_of(word) == reference[word]);
  in.append(5'000);
  BOOST_REQUIRE(caught_up(t.out, in));
  auto grown = eddy::test::word_counts(in.all)[word];
  BOOST_TEST(grown > reference[word]);
  BOOST_TEST(count_of(word) == grown);
  BOOST_TEST(count_of("never-seen") == 0);
  auto human = m.eddy({"query", "wc", "counts", word});
  BOOST_TEST(human.out.find("\"count\":" + std::to_string(grown)) != std::string::npos, human.out);
  auto unknown = m.eddy({"query", "wc", "no-such-operator", word});
  BOOST_TEST(unknown.status.exited_with(1));
  BOOST_TEST(unknown.err.find("has no keyed operator 'no-such-operator'") != std::string::npos, unknown.err);
  BOOST_TEST(m.eddy({"cancel", "wc"}).ok());
  BOOST_TEST(m.eddy({"query", "wc", "counts", word}).err.find("has no running job") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_cancelled_deployment_resumes_from_its_state_in_place_and_a_stateless_upgrade_starts_the_new_spec_empty) {
  manager_test t{"eddy-manager-stateless"};
  auto& in = t.in;
  auto& m = t.m;
  in.append(5'000);
  t.deploy("sl", {"--upgrade", "stateless", "--restore", "latest-state"}, t.follow_job(wordcount));
  BOOST_REQUIRE(caught_up(t.out, in));
  BOOST_REQUIRE(m.eddy({"cancel", "sl"}).ok());
  in.append(5'000); // while nothing runs
  auto resumed = m.eddy({"resume", "sl"});
  BOOST_REQUIRE_MESSAGE(resumed.ok(), resumed.err);
  BOOST_REQUIRE(caught_up(t.out, in));
  BOOST_TEST(check_word_sequences(eddy::test::slurp(t.out), in.all) == ""); // every count once across the cancel
  BOOST_TEST(m.json({"jobs", "sl"})[1]["restored_from"] == "the state of job 1");

  auto out2 = t.tmp / "out2.txt";
  auto upgraded = m.eddy({"upgrade", "sl", "--", wordcount, "--follow", in.dir.string(), "--output", out2.string()});
  BOOST_REQUIRE_MESSAGE(upgraded.ok(), upgraded.err);
  BOOST_REQUIRE(caught_up(out2, in));
  // Empty: the new job counts the whole input again from 1, into its new output.
  BOOST_TEST(check_word_sequences(eddy::test::slurp(out2), in.all) == "");
  auto jobs = m.json({"jobs", "sl"});
  BOOST_REQUIRE_EQUAL(jobs.size(), 3u);
  BOOST_TEST(jobs[2]["restored_from"].is_null());
  BOOST_TEST(m.json({"savepoints", "sl"}).empty()); // nothing was needed
  BOOST_TEST(m.eddy({"cancel", "sl"}).ok());
}

BOOST_AUTO_TEST_SUITE_END()
