// Every node of a cluster started with eddy-cluster and --metrics-listen
// serves its own /metrics: the coordinator counts its workers, each worker
// its operator instances and the bytes between nodes, all labelled with
// their node, and promtool accepts each; a lost worker shows in the
// coordinator's workers up and move recovery time.

#include <signal.h>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "integration/cluster/launcher.hpp"
#include "integration/metrics_scrape.hpp"
#include "integration/word_sequences.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using eddy::test::keep_on_failure;
using eddy::test::launched_cluster;
using eddy::test::scrape;
using eddy::test::scrape_until;
using eddy::test::sum_of;
using eddy::test::temp_dir;

namespace {

const std::string wordcount = EDDY_WORDCOUNT_BINARY;

} // namespace

BOOST_AUTO_TEST_SUITE(cluster_metrics)

BOOST_AUTO_TEST_CASE(every_node_of_a_cluster_serves_its_metrics_at_the_address_in_its_state_directory) {
  temp_dir tmp{"eddy-cluster-metrics"};
  keep_on_failure keep{tmp};
  fs::create_directories(tmp / "in");
  std::ofstream{tmp / "in" / "a-001"} << eddy::test::words_text(1, 2'000);
  launched_cluster c{tmp / "c", 2,
                     {wordcount, "--follow", (tmp / "in").string(), "--output", (tmp / "out.txt").string(),
                      "--parallelism", "2", "--metrics-listen", "127.0.0.1:0"}};
  BOOST_REQUIRE_MESSAGE(c.started(), c.start_error());

  std::vector<std::string> nodes;
  for (auto& e : fs::directory_iterator{c.dir() / "state"})
    nodes.push_back(e.path().filename().string());
  std::sort(nodes.begin(), nodes.end());
  BOOST_REQUIRE_EQUAL(nodes.size(), 3u); // coordinator, worker-1, worker-2

  double records_in = 0;
  std::vector<std::string> workers;
  for (auto& node : nodes) {
    auto address = eddy::test::metrics_address(c.dir() / "state" / node);
    BOOST_REQUIRE_MESSAGE(!address.empty(), node << " wrote no metrics.address: " << c.log(node));
    std::string text;
    if (node == "coordinator") {
      text = scrape_until(address, [](const std::string& t) { return sum_of(t, "eddy_workers_up") == 2; });
      BOOST_TEST(sum_of(text, "eddy_workers_up") == 2, text);
      BOOST_TEST(text.find("node=\"coordinator\"") != std::string::npos);
    } else {
      text = scrape_until(address, [](const std::string& t) {
        return sum_of(t, "eddy_records_in_total") > 0 && t.find("node=\"worker-") != std::string::npos;
      });
      BOOST_TEST(text.find("node=\"worker-") != std::string::npos, node << ": " << text);
      BOOST_TEST(sum_of(text, "eddy_partitions") > 0, node);
      records_in += sum_of(text, "eddy_records_in_total");
      workers.push_back(address);
    }
    BOOST_REQUIRE_MESSAGE(!text.empty(), node << " answered no scrape at " << address);
    auto [status, output] = eddy::test::promtool_check(text, tmp.path());
    BOOST_TEST(status == 0, node << ": promtool check metrics: " << output);
  }
  BOOST_TEST(records_in > 0);
  // The source's splits feed key groups on both workers: frames cross.
  double sent = 0, received = 0;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  do {
    sent = received = 0;
    for (auto& address : workers) {
      auto text = scrape(address);
      sent += sum_of(text, "eddy_sent_bytes_total");
      received += sum_of(text, "eddy_received_bytes_total");
    }
  } while ((sent == 0 || received == 0) && std::chrono::steady_clock::now() < deadline
           && (std::this_thread::sleep_for(50ms), true));
  BOOST_TEST(sent > 0);
  BOOST_TEST(received > 0);
}

BOOST_AUTO_TEST_CASE(the_coordinator_counts_a_lost_worker_and_times_the_recovery_of_its_key_groups) {
  temp_dir tmp{"eddy-cluster-metrics"};
  keep_on_failure keep{tmp};
  fs::create_directories(tmp / "in");
  std::ofstream{tmp / "in" / "a-001"} << eddy::test::words_text(1, 2'000);
  launched_cluster c{tmp / "c", 2,
                     {wordcount, "--follow", (tmp / "in").string(), "--output", (tmp / "out.txt").string(),
                      "--parallelism", "2", "--metrics-listen", "127.0.0.1:0"}};
  BOOST_REQUIRE_MESSAGE(c.started(), c.start_error());
  auto address = eddy::test::metrics_address(c.dir() / "state" / "coordinator");
  BOOST_REQUIRE(!address.empty());
  auto before = scrape_until(address, [](const std::string& t) { return sum_of(t, "eddy_workers_up") == 2; });
  BOOST_TEST(sum_of(before, "eddy_workers_up") == 2);
  BOOST_TEST(sum_of(before, "eddy_move_recovery_seconds_count") == 0);

  BOOST_REQUIRE(c.signal("worker-2", SIGKILL));
  auto after = scrape_until(address, [](const std::string& t) {
    return sum_of(t, "eddy_workers_up") == 1 && sum_of(t, "eddy_move_recovery_seconds_count") == 1;
  });
  BOOST_TEST(sum_of(after, "eddy_workers_up") == 1, c.log("coordinator"));
  BOOST_TEST(sum_of(after, "eddy_move_recovery_seconds_count") == 1, c.log("coordinator"));
  BOOST_TEST(sum_of(after, "eddy_move_recovery_seconds_sum") > 0);
}

BOOST_AUTO_TEST_SUITE_END()
