// The manager's view of its jobs' metrics: GET /api/v1/prometheus-targets
// lists every node of a running deployment in http_sd_configs' format; each
// target's exposition passes `promtool check metrics`; a real Prometheus
// (Debian's, on loopback) discovers the nodes through the manager and
// scrapes them; and the job graph shows each operator's parallelism and its
// records per second while input flows.

#include "integration/followed_input.hpp"
#include "integration/manager/running_manager.hpp"
#include "integration/metrics_scrape.hpp"

#include <boost/test/unit_test.hpp>

#include <httplib.h>

#include <set>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using eddy::test::caught_up;
using eddy::test::manager_test;
using eddy::test::eventually;
using nlohmann::json;

namespace {

const std::string wordcount = EDDY_WORDCOUNT_BINARY;

json get(const std::string& url, const std::string& path) {
  httplib::Client c{url};
  c.set_read_timeout(10s);
  auto r = c.Get(path);
  return r && r->status == 200 ? json::parse(r->body, nullptr, false) : json{};
}

/// Prometheus on loopback, discovering its targets from the manager.
struct prometheus {
  std::string url;
  std::unique_ptr<eddy::test::process> server;

  prometheus(const eddy::test::temp_dir& tmp, const std::string& manager_url) {
    auto port = std::to_string(eddy::test::free_port());
    url = "http://127.0.0.1:" + port;
    std::ofstream{tmp / "prometheus.yml"} << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                                              "scrape_configs:\n  - job_name: eddy\n    http_sd_configs:\n"
                                              "      - url: " << manager_url << "/api/v1/prometheus-targets\n"
                                              "        refresh_interval: 1s\n";
    server = std::make_unique<eddy::test::process>(
      std::vector<std::string>{"/usr/bin/prometheus", "--config.file=" + (tmp / "prometheus.yml").string(),
                               "--storage.tsdb.path=" + (tmp / "tsdb").string(), "--web.listen-address=127.0.0.1:" + port},
      tmp / "prometheus.out", tmp / "prometheus.err");
  }

  /// The result vector of instant query `q` (empty until Prometheus answers).
  json query(const std::string& q) {
    auto r = get(url, "/api/v1/query?query=" + httplib::detail::encode_query_param(q));
    return r.is_object() && r["status"] == "success" ? r["data"]["result"] : json::array();
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(manager_metrics)

BOOST_AUTO_TEST_CASE(prometheus_discovers_and_scrapes_a_running_deployment_through_the_manager_and_the_graph_shows_its_rates) {
  manager_test t{"eddy-manager-metrics"};
  auto& in = t.in;
  auto& tmp = t.tmp;
  auto& m = t.m;
  in.append(5'000);
  t.deploy("wc", {"--workers", "2", "--parallelism", "2"}, t.follow_job(wordcount));
  BOOST_REQUIRE(caught_up(t.out, in));

  auto groups = get(m.url(), "/api/v1/prometheus-targets");
  BOOST_REQUIRE_MESSAGE(groups.is_array() && groups.size() == 3u, groups.dump());
  std::set<std::string> nodes;
  for (auto& g : groups) {
    BOOST_REQUIRE_EQUAL(g["targets"].size(), 1u);
    BOOST_TEST(g["labels"]["deployment"] == "wc");
    nodes.insert(g["labels"]["node"].get<std::string>());
    auto exposition = eddy::test::scrape(g["targets"][0].get<std::string>());
    BOOST_TEST(!exposition.empty());
    auto [status, said] = eddy::test::promtool_check(exposition, tmp.path());
    BOOST_TEST(status == 0, g["labels"]["node"] << ": " << said);
  }
  BOOST_TEST((nodes == std::set<std::string>{"coordinator", "worker-1", "worker-2"}));

  prometheus p{tmp, m.url()};
  BOOST_TEST(eventually([&] { return p.query("up{deployment=\"wc\"} == 1").size() == 3u; }, 60s),
             eddy::test::tail_of(tmp / "prometheus.err"));
  BOOST_TEST(eventually([&] {
    auto r = p.query("sum(eddy_records_in_total{deployment=\"wc\"})");
    return r.size() == 1u && std::stod(r[0]["value"][1].get<std::string>()) > 0;
  }, 30s));

  // While input flows, the graph has rates; then it has every operator at its parallelism.
  std::atomic<bool> feeding{true};
  std::thread feeder{[&] {
    while (feeding) {
      in.append(2'000);
      std::this_thread::sleep_for(200ms);
    }
  }};
  json graph;
  bool flowing = eventually([&] {
    graph = m.json({"graph", "wc"});
    return graph["operators"].size() == 3u && graph["operators"][1]["records_in_per_s"].get<double>() > 0;
  }, 30s);
  feeding = false;
  feeder.join();
  BOOST_TEST(flowing, graph.dump());
  BOOST_TEST(graph["operators"][0]["kind"] == "source");
  BOOST_TEST(graph["operators"][1]["kind"] == "keyed");
  BOOST_TEST(graph["operators"][1]["uid"] == "counts");
  BOOST_TEST(graph["operators"][1]["parallelism"] == 2);
  BOOST_TEST(graph["operators"][2]["kind"] == "sink");
  BOOST_TEST(graph["last_exception"].is_null());
  BOOST_TEST(m.eddy({"graph", "wc"}).out.find("counts") != std::string::npos);
  BOOST_TEST(m.eddy({"cancel", "wc"}).ok());
  BOOST_TEST(eventually([&] { return get(m.url(), "/api/v1/prometheus-targets").size() == 0u; }, 10s));
}

BOOST_AUTO_TEST_SUITE_END()
