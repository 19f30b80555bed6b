// A job run with --metrics-listen serves Prometheus /metrics while it runs:
// it writes the address it bound to its state directory, its record
// counters are non-zero and grow as input comes, promtool accepts the
// exposition, and the endpoint goes away when the job stops.

#include <signal.h>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "integration/metrics_scrape.hpp"
#include "integration/process.hpp"
#include "integration/word_sequences.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using eddy::test::keep_on_failure;
using eddy::test::process;
using eddy::test::scrape;
using eddy::test::scrape_until;
using eddy::test::sum_of;
using eddy::test::tail_of;
using eddy::test::temp_dir;

namespace {

const std::string wordcount = EDDY_WORDCOUNT_BINARY;

void write_file(const fs::path& file, const std::string& text) {
  std::ofstream out{file, std::ios::binary};
  out << text;
}

} // namespace

BOOST_AUTO_TEST_SUITE(node_metrics)

BOOST_AUTO_TEST_CASE(a_local_job_serves_record_counters_that_grow_and_that_promtool_accepts) {
  temp_dir tmp{"eddy-metrics"};
  keep_on_failure keep{tmp};
  fs::create_directories(tmp / "in");
  write_file(tmp / "in" / "a-001", eddy::test::words_text(1, 2'000));
  process p{{wordcount, "--follow", (tmp / "in").string(), "--output", (tmp / "out.txt").string(),
             "--state-dir", (tmp / "st").string(), "--parallelism", "2", "--metrics-listen",
             "127.0.0.1:0"},
            tmp / "job.out", tmp / "job.err"};
  auto address = eddy::test::metrics_address(tmp / "st");
  BOOST_REQUIRE_MESSAGE(!address.empty(), "no metrics.address: " << tail_of(tmp / "job.err"));
  BOOST_TEST(address.rfind("127.0.0.1:", 0) == 0);
  BOOST_TEST(eddy::test::slurp(tmp / "job.err").find("metrics on " + address) != std::string::npos);

  // Records in at the source and out at the sink: wordcount's 2000 lines
  // of 8 words are 16000 words counted and written.
  auto first = scrape_until(address, [](const std::string& t) {
    return sum_of(t, "eddy_records_out_total", "operator=\"file:") >= 16'000;
  });
  BOOST_REQUIRE_MESSAGE(!first.empty(), "no scrape: " << tail_of(tmp / "job.err"));
  auto in_before = sum_of(first, "eddy_records_in_total");
  auto out_before = sum_of(first, "eddy_records_out_total");
  BOOST_TEST(in_before > 0);
  BOOST_TEST(out_before >= 16'000 * 2); // counted by the keyed operator and by the sink
  BOOST_TEST(first.find("job=\"wordcount\",node=\"local\"") != std::string::npos);
  BOOST_TEST(sum_of(first, "eddy_partitions") == 128); // every key group runs here
  BOOST_TEST(sum_of(first, "eddy_journal_commit_seconds_count") > 0);

  write_file(tmp / "in" / "a-002", eddy::test::words_text(2, 2'000));
  auto second = scrape_until(address, [&](const std::string& t) {
    return sum_of(t, "eddy_records_in_total") > in_before
           && sum_of(t, "eddy_records_out_total") >= out_before + 16'000 * 2;
  });
  BOOST_TEST(sum_of(second, "eddy_records_in_total") > in_before);
  BOOST_TEST(sum_of(second, "eddy_records_out_total") >= out_before + 16'000 * 2);

  auto [status, output] = eddy::test::promtool_check(second, tmp.path());
  BOOST_TEST(status == 0, "promtool check metrics: " << output << "\n" << second);

  // A stop with a savepoint ends the job, and its endpoint with it.
  ::kill(p.pid(), SIGUSR2);
  auto st = p.wait(60s);
  BOOST_TEST(st.exited_with(0), st.describe() << ": " << tail_of(tmp / "job.err"));
  BOOST_TEST(scrape(address).empty());
}

BOOST_AUTO_TEST_CASE(an_address_already_taken_is_refused_before_the_job_starts) {
  temp_dir tmp{"eddy-metrics"};
  keep_on_failure keep{tmp};
  write_file(tmp / "in.txt", eddy::test::words_text(1, 10));
  auto taken = eddy::test::free_port();
  // Hold the port: a first job serves metrics there and follows an idle file.
  process holder{{wordcount, "--follow", (tmp / "in.txt").string(), "--output",
                  (tmp / "holder.txt").string(), "--state-dir", (tmp / "st1").string(),
                  "--metrics-listen", "127.0.0.1:" + std::to_string(taken)},
                 tmp / "holder.out", tmp / "holder.err"};
  BOOST_REQUIRE(!eddy::test::metrics_address(tmp / "st1").empty());
  auto st = eddy::test::run({wordcount, "--input", (tmp / "in.txt").string(), "--output",
                             (tmp / "out.txt").string(), "--state-dir", (tmp / "st2").string(),
                             "--metrics-listen", "127.0.0.1:" + std::to_string(taken)},
                            tmp / "job.out", tmp / "job.err", 30s);
  BOOST_TEST(st.exited_with(2), st.describe());
  BOOST_TEST(eddy::test::slurp(tmp / "job.err").find("cannot serve metrics on 127.0.0.1:" + std::to_string(taken))
             != std::string::npos, tail_of(tmp / "job.err"));
}

BOOST_AUTO_TEST_SUITE_END()
