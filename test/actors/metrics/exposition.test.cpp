// The exposition writer: what Prometheus reads from a node's /metrics. The
// text must be format 0.0.4 exactly (promtool checks it), carry the
// registry's constant labels on every series and leave out what nothing
// measured.

#include "metrics/exposition.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <string>

#include <httplib.h>

#include "metrics/http_endpoint.hpp"

using namespace eddy::actors::metrics;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// Exit status of `promtool check metrics` reading `text` on stdin.
int promtool_check(const std::string& text) {
  auto* p = popen("/usr/bin/promtool check metrics >/dev/null 2>&1", "w");
  if (!p)
    return -1;
  std::fwrite(text.data(), 1, text.size(), p);
  return pclose(p);
}

/// A registry with a counter, a gauge and a histogram of a worker of wordcount.
struct sample_registry : registry {
  sample_registry() {
    fill(*this);
  }
  static void fill(registry& reg);
};

void sample_registry::fill(registry& reg) {
  reg.constant_label("job", "wordcount");
  reg.constant_label("node", "worker-1");
  reg.counter_of("eddy_records_in_total", "Records in.", {{"operator", "count"}, {"instance", "0"}})
    .add(42);
  reg.gauge_of("eddy_watermark_seconds", "Watermark.", {{"operator", "count"}, {"instance", "0"}})
    .set(1.5);
  auto& h = reg.histogram_of("eddy_journal_commit_seconds", "Commit latency.", {0.001, 0.01, 0.1});
  h.observe(0.0005);
  h.observe(0.005);
  h.observe(5);
}

} // namespace

BOOST_AUTO_TEST_SUITE(exposition)

BOOST_AUTO_TEST_CASE(a_counter_is_written_with_help_type_and_the_constant_labels_first) {
  auto text = eddy::actors::metrics::exposition(sample_registry());
  BOOST_TEST(contains(text, "# HELP eddy_records_in_total Records in.\n"
                            "# TYPE eddy_records_in_total counter\n"
                            "eddy_records_in_total{job=\"wordcount\",node=\"worker-1\","
                            "operator=\"count\",instance=\"0\"} 42\n"));
  BOOST_TEST(contains(text, "# TYPE eddy_watermark_seconds gauge\n"));
  BOOST_TEST(contains(text, "instance=\"0\"} 1.5\n"));
}

BOOST_AUTO_TEST_CASE(histogram_buckets_are_cumulative_and_end_in_inf_with_sum_and_count) {
  auto text = eddy::actors::metrics::exposition(sample_registry());
  std::string series = "eddy_journal_commit_seconds";
  std::string labels = "job=\"wordcount\",node=\"worker-1\"";
  BOOST_TEST(contains(text, "# TYPE " + series + " histogram\n"));
  BOOST_TEST(contains(text, series + "_bucket{" + labels + ",le=\"0.001\"} 1\n"));
  BOOST_TEST(contains(text, series + "_bucket{" + labels + ",le=\"0.01\"} 2\n"));
  BOOST_TEST(contains(text, series + "_bucket{" + labels + ",le=\"0.1\"} 2\n"));
  BOOST_TEST(contains(text, series + "_bucket{" + labels + ",le=\"+Inf\"} 3\n"));
  BOOST_TEST(contains(text, series + "_sum{" + labels + "} 5.0055\n"));
  BOOST_TEST(contains(text, series + "_count{" + labels + "} 3\n"));
}

BOOST_AUTO_TEST_CASE(a_gauge_nothing_set_and_a_computed_gauge_without_a_value_are_left_out) {
  registry reg;
  reg.gauge_of("eddy_unset", "Never set.");
  reg.gauge_fn_of("eddy_lag_seconds", "No value yet.", {}, [] { return std::optional<double>{}; });
  reg.gauge_fn_of("eddy_lag2_seconds", "A value.", {{"instance", "1"}},
                  [] { return std::optional<double>{2.25}; });
  auto text = eddy::actors::metrics::exposition(reg);
  BOOST_TEST(!contains(text, "eddy_unset"));
  BOOST_TEST(!contains(text, "eddy_lag_seconds"));
  BOOST_TEST(contains(text, "eddy_lag2_seconds{instance=\"1\"} 2.25\n"));
}

BOOST_AUTO_TEST_CASE(label_values_and_help_are_escaped) {
  registry reg;
  reg.counter_of("eddy_x_total", "Help with \\ and\nnewline.", {{"operator", "a\"b\\c\nd"}}).add();
  auto text = eddy::actors::metrics::exposition(reg);
  BOOST_TEST(contains(text, "# HELP eddy_x_total Help with \\\\ and\\nnewline.\n"));
  BOOST_TEST(contains(text, "eddy_x_total{operator=\"a\\\"b\\\\c\\nd\"} 1\n"));
  BOOST_TEST(promtool_check(text) == 0);
}

BOOST_AUTO_TEST_CASE(special_values_are_written_as_prometheus_reads_them) {
  BOOST_TEST(format_value(std::nan("")) == "NaN");
  BOOST_TEST(format_value(1.0 / 0.0) == "+Inf");
  BOOST_TEST(format_value(-1.0 / 0.0) == "-Inf");
  BOOST_TEST(format_value(3) == "3");
  BOOST_TEST(format_value(0.25) == "0.25");
}

BOOST_AUTO_TEST_CASE(the_exposition_passes_promtool_check_metrics) {
  BOOST_TEST(promtool_check(eddy::actors::metrics::exposition(sample_registry())) == 0);
}

BOOST_AUTO_TEST_CASE(the_http_endpoint_serves_the_exposition_at_metrics_on_any_free_port) {
  sample_registry reg;
  auto ep = http_endpoint::start("127.0.0.1", 0, reg);
  BOOST_REQUIRE(ep);
  auto colon = (*ep)->address().rfind(':');
  auto port = std::stoi((*ep)->address().substr(colon + 1));
  BOOST_TEST(port > 0);
  httplib::Client client{"127.0.0.1", port};
  auto res = client.Get("/metrics");
  BOOST_REQUIRE(res);
  BOOST_TEST(res->status == 200);
  BOOST_TEST(res->get_header_value("Content-Type") == exposition_content_type);
  BOOST_TEST(res->body == eddy::actors::metrics::exposition(reg));
  BOOST_TEST(client.Get("/other")->status == 404);
}

BOOST_AUTO_TEST_SUITE_END()
