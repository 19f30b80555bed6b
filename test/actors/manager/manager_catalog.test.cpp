// The manager's catalog: records survive a reopen, a spec change counts a
// new version, a deleted deployment is gone from the list but its
// savepoints stay, and the latest completed savepoint is the restore point.

#include <boost/test/unit_test.hpp>

#include "catalog.hpp"
#include "support/temp_dir.hpp"

using namespace eddy::manager;

BOOST_AUTO_TEST_SUITE(manager_catalog)

BOOST_AUTO_TEST_CASE(records_survive_a_reopen_and_a_spec_change_counts_a_new_version) {
  eddy::test::temp_dir tmp;
  std::filesystem::create_directories(tmp.path);
  deployment_spec spec;
  spec.binary = "/bin/true";
  spec.workers = 2;
  int64_t id = 0;
  {
    catalog c{tmp.path / "catalog.db"};
    BOOST_TEST(c.version() == catalog::latest_version());
    id = c.add_deployment("wc", spec, desired_state::running);
    auto job = c.add_job(id, spec, 1, "/tmp/x", "");
    c.set_current_job(id, job);
    c.event(id, job, "JOB_STARTING", "why");
    spec.workers = 3;
    c.change_deployment(id, spec, desired_state::suspended);
  }
  catalog c{tmp.path / "catalog.db"};
  auto d = c.deployment("wc");
  BOOST_REQUIRE(d);
  BOOST_TEST(d->spec_version == 2);
  BOOST_TEST(d->spec.workers == 3u);
  BOOST_TEST(to_string(d->desired) == "SUSPENDED");
  BOOST_TEST(c.jobs(id).size() == 1u);
  BOOST_TEST(c.jobs(id).front().spec.workers == 2u); // the job keeps the spec it ran
  BOOST_TEST(c.events(id).front().message == "why");
}

BOOST_AUTO_TEST_CASE(a_deleted_deployment_leaves_the_list_but_keeps_its_savepoints_and_its_name_can_be_taken_again) {
  eddy::test::temp_dir tmp;
  std::filesystem::create_directories(tmp.path);
  catalog c{tmp.path / "catalog.db"};
  deployment_spec spec;
  spec.binary = "/bin/true";
  auto id = c.add_deployment("wc", spec, desired_state::cancelled);
  auto first = c.request_savepoint(id, 0, "MANUAL");
  c.complete_savepoint(first, "/sp/1", 10);
  auto failed = c.request_savepoint(id, 0, "PERIODIC");
  c.fail_savepoint(failed, "no");
  BOOST_TEST(c.latest_savepoint(id)->id == first); // a failed one is no restore point
  c.delete_deployment(id);
  BOOST_TEST(!c.deployment("wc"));
  BOOST_TEST(c.deployments().empty());
  BOOST_TEST(c.savepoints(std::nullopt).size() == 2u);
  BOOST_TEST(c.deployment_name(id) == "wc");
  auto again = c.add_deployment("wc", spec, desired_state::running);
  BOOST_TEST(again != id);
  BOOST_TEST(c.savepoints(again).empty());
}

BOOST_AUTO_TEST_SUITE_END()
