// The manager's job graph from a job's plan.json and two scrapes of its
// nodes' exposition text: rates over the time between the scrapes, the
// slowest instance's watermark, the most backpressured instance, restarts.

#include <boost/test/unit_test.hpp>

#include "job_graph.hpp"

using namespace eddy::manager;
using nlohmann::json;

namespace {

const json plan = json::parse(R"({"generation": 3, "stages": [
  {"stage": 0, "kind": "source", "name": "file:in", "uid": null, "producer": -1, "indexes": 1,
   "instances": [{"instance": 0, "first": 0, "last": 0, "node": 0}]},
  {"stage": 1, "kind": "keyed", "name": "counter", "uid": "counts", "producer": 0, "indexes": 128,
   "instances": [{"instance": 0, "first": 0, "last": 63, "node": 0}, {"instance": 1, "first": 64, "last": 127, "node": 1}]}]})");

scrape at(double seconds, const std::string& text) {
  scrape s;
  s.at = std::chrono::steady_clock::time_point{} + std::chrono::milliseconds{static_cast<int64_t>(seconds * 1000)};
  s.samples = parse_exposition(text);
  s.up["worker-1"] = true;
  return s;
}

} // namespace

BOOST_AUTO_TEST_SUITE(manager_job_graph)

BOOST_AUTO_TEST_CASE(exposition_text_parses_into_samples_with_escaped_labels) {
  auto samples = parse_exposition("# HELP x y\n# TYPE x counter\n"
                                  "eddy_records_in_total{job=\"w\",operator=\"file:a\\\"b\",instance=\"0\"} 12\n"
                                  "eddy_workers_up 2\nbroken{ 1\neddy_watermark_seconds{instance=\"1\"} +Inf\n");
  BOOST_REQUIRE_EQUAL(samples.size(), 3u);
  BOOST_TEST(samples[0].labels.at("operator") == "file:a\"b");
  BOOST_TEST(samples[0].value == 12.0);
  BOOST_TEST(samples[1].name == "eddy_workers_up");
  BOOST_TEST(std::isinf(samples[2].value));
}

BOOST_AUTO_TEST_CASE(rates_watermarks_backpressure_and_restarts_come_per_instance_and_per_operator) {
  auto before = at(10, "eddy_records_in_total{operator=\"counter\",instance=\"0\"} 100\n"
                       "eddy_records_in_total{operator=\"counter\",instance=\"1\"} 200\n"
                       "eddy_backpressured_seconds_total{operator=\"counter\",instance=\"1\"} 1\n");
  auto now = at(12, "eddy_records_in_total{operator=\"counter\",instance=\"0\"} 300\n"
                    "eddy_records_in_total{operator=\"counter\",instance=\"1\"} 600\n"
                    "eddy_backpressured_seconds_total{operator=\"counter\",instance=\"1\"} 2\n"
                    "eddy_watermark_seconds{operator=\"counter\",instance=\"0\"} 1000\n"
                    "eddy_watermark_seconds{operator=\"counter\",instance=\"1\"} 990\n"
                    "eddy_watermark_lag_seconds{operator=\"counter\",instance=\"0\"} 5\n"
                    "eddy_watermark_lag_seconds{operator=\"counter\",instance=\"1\"} 15\n"
                    "eddy_partition_restarts_total{operator=\"counter\",instance=\"1\"} 2\n");
  auto g = eddy::manager::job_graph(plan, before, now);
  BOOST_TEST(g["generation"] == 3);
  auto& counter = g["operators"][1];
  BOOST_TEST(counter["uid"] == "counts");
  BOOST_TEST(counter["parallelism"] == 2);
  BOOST_TEST(counter["records_in_per_s"].get<double>() == 300.0); // (200 + 400) / 2 s
  BOOST_TEST(counter["instances"][1]["records_in_per_s"].get<double>() == 200.0);
  BOOST_TEST(counter["backpressured_ratio"].get<double>() == 0.5);
  BOOST_TEST(counter["watermark_s"].get<double>() == 990.0);
  BOOST_TEST(counter["watermark_lag_s"].get<double>() == 15.0);
  BOOST_TEST(counter["restarts"] == 2);
  BOOST_TEST(g["operators"][0]["records_in_per_s"].get<double>() == 0.0); // no series: nothing measured
  BOOST_TEST(g["operators"][0]["instances"][0]["records_in_per_s"].is_null());
}

BOOST_AUTO_TEST_SUITE_END()
