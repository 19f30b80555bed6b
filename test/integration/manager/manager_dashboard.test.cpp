// The dashboard in a real browser: headless Chromium loads the manager's
// page of a running deployment; what it shows (state, job, savepoints,
// events, jobs, the job graph's operators) is what the REST API says, and a
// screenshot of it is saved as manager_dashboard.png in the test's working
// directory.

#include "integration/followed_input.hpp"
#include "integration/manager/running_manager.hpp"

#include <boost/test/unit_test.hpp>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using eddy::test::caught_up;
using eddy::test::manager_test;
using eddy::test::slurp;

namespace {

const std::string wordcount = EDDY_WORDCOUNT_BINARY;
const std::string chromium = "/usr/bin/chromium";

/// Runs headless Chromium on `url` with `what` ("--dump-dom" or
/// "--screenshot=FILE"), letting the page's scripts run for 5 s of virtual time.
std::string browse(const eddy::test::temp_dir& tmp, const std::string& url, const std::string& what) {
  auto out = tmp / "chromium.out";
  auto st = eddy::test::run({chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                             "--user-data-dir=" + (tmp / "chromium-profile").string(), "--window-size=1280,1100",
                             "--virtual-time-budget=5000", what, url},
                            out, tmp / "chromium.err", 60s);
  BOOST_REQUIRE_MESSAGE(st.exited_with(0), "chromium: " << st.describe() << ": " << eddy::test::tail_of(tmp / "chromium.err"));
  return slurp(out);
}

bool shows(const std::string& dom, const std::string& what) {
  return dom.find(what) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_SUITE(manager_dashboard)

BOOST_AUTO_TEST_CASE(the_dashboard_in_chromium_shows_what_the_rest_api_says_about_a_running_deployment) {
  manager_test t{"eddy-manager-dashboard"};
  auto& tmp = t.tmp;
  auto& m = t.m;
  t.in.append(5'000);
  t.deploy("wc", {"--workers", "2", "--parallelism", "2"}, t.follow_job(wordcount));
  BOOST_REQUIRE(caught_up(t.out, t.in));
  BOOST_REQUIRE(m.eddy({"savepoint", "wc"}).ok());
  BOOST_REQUIRE(m.eddy({"savepoint", "wc"}).ok());

  auto list = browse(tmp, m.url() + "/", "--dump-dom");
  BOOST_TEST(shows(list, "data-loaded=\"true\""), list);
  BOOST_TEST(shows(list, "data-deployment=\"wc\""));
  BOOST_TEST(shows(list, "<span class=\"state RUNNING\">RUNNING</span>"));

  auto page = browse(tmp, m.url() + "/#/d/wc", "--dump-dom");
  auto d = m.json({"status", "wc"});
  BOOST_TEST(shows(page, "<span id=\"name\">wc</span>"), page);
  BOOST_TEST(shows(page, "<span class=\"state RUNNING\">RUNNING</span>"));
  BOOST_TEST(shows(page, "job " + d["status"]["job_id"].dump() + " · spec version 1"));
  BOOST_TEST(shows(page, "2 worker(s), parallelism 2"));
  for (auto& s : m.json({"savepoints", "wc"}))
    BOOST_TEST(shows(page, "data-savepoint=\"" + s["id"].dump() + "\""), "savepoint " << s["id"] << " is not shown");
  auto events = m.json({"events", "wc"});
  BOOST_TEST(events.size() >= 5u);
  for (auto& e : events)
    BOOST_TEST(shows(page, "data-event=\"" + e["id"].dump() + "\""), "event " << e["id"] << " is not shown");
  for (auto& j : m.json({"jobs", "wc"}))
    BOOST_TEST(shows(page, "data-job=\"" + j["id"].dump() + "\""));
  BOOST_TEST(shows(page, "id=\"no-exceptions\""));
  auto graph = m.json({"graph", "wc"});
  BOOST_TEST(graph["operators"].size() == 3u);
  for (auto& op : graph["operators"])
    BOOST_TEST(shows(page, "data-operator=\"" + op["name"].get<std::string>() + "\""), "operator " << op["name"] << " is not drawn");
  BOOST_TEST(shows(page, "parallelism 2</div>"));
  for (auto button : {"savepoint", "suspend", "resume", "rescale", "cancel"})
    BOOST_TEST(shows(page, "<button id=\"" + std::string{button} + "\""), button);

  auto shot = fs::current_path() / "manager_dashboard.png";
  browse(tmp, m.url() + "/#/d/wc", "--screenshot=" + shot.string());
  BOOST_TEST(fs::file_size(shot) > 10'000u, shot);
}

BOOST_AUTO_TEST_SUITE_END()
