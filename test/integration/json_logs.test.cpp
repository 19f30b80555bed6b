// --log-format json: every line a job binary writes to stderr is one JSON
// object with time, level, logger, node and message, also when the message
// holds quotes, backslashes or control characters, and also the error a
// job that cannot start reports.

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "integration/process.hpp"
#include "integration/word_sequences.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using eddy::test::keep_on_failure;
using eddy::test::lines_of;
using eddy::test::slurp;
using eddy::test::tail_of;
using eddy::test::temp_dir;

namespace {

const std::string wordcount = EDDY_WORDCOUNT_BINARY;

/// Every line of `file` parsed as a JSON object with the five fields;
/// fails the test naming the first line that is not one.
std::vector<nlohmann::json> json_lines(const fs::path& file) {
  std::vector<nlohmann::json> result;
  for (auto& line : lines_of(slurp(file))) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    BOOST_REQUIRE_MESSAGE(j.is_object(), "not a JSON object: " << line);
    for (auto* key : {"time", "level", "logger", "node", "message"})
      BOOST_REQUIRE_MESSAGE(j.contains(key) && j[key].is_string(), "no string '" << key << "' in " << line);
    result.push_back(std::move(j));
  }
  return result;
}

} // namespace

BOOST_AUTO_TEST_SUITE(json_logs)

BOOST_AUTO_TEST_CASE(every_log_line_of_a_job_is_one_json_object_also_with_quotes_and_backslashes) {
  temp_dir tmp{"eddy-json-logs"};
  keep_on_failure keep{tmp};
  std::ofstream{tmp / "in.txt"} << eddy::test::words_text(1, 1'000);
  auto state = tmp / "st \"quoted\" \\ back\ttab";
  auto st = eddy::test::run({wordcount, "--input", (tmp / "in.txt").string(), "--output",
                             (tmp / "out.txt").string(), "--state-dir", state.string(),
                             "--log-format", "json", "--log-level", "debug"},
                            tmp / "job.out", tmp / "job.err", 60s);
  BOOST_REQUIRE_MESSAGE(st.exited_with(0), st.describe() << ": " << tail_of(tmp / "job.err"));
  auto lines = json_lines(tmp / "job.err");
  BOOST_REQUIRE(!lines.empty());
  bool started = false;
  for (auto& j : lines) {
    BOOST_TEST(j["time"].get<std::string>().size() == std::string{"2026-01-01T00:00:00.000Z"}.size());
    auto message = j["message"].get<std::string>();
    if (message.rfind("job wordcount started", 0) == 0) {
      started = true;
      BOOST_TEST(message.find(state.string()) != std::string::npos, message);
      BOOST_TEST(j["level"] == "info");
      BOOST_TEST(j["logger"] == "runtime");
    }
  }
  BOOST_TEST(started, "no 'job wordcount started' line in " << tail_of(tmp / "job.err"));
}

BOOST_AUTO_TEST_CASE(the_error_of_a_job_that_cannot_start_is_a_json_line_too) {
  temp_dir tmp{"eddy-json-logs"};
  keep_on_failure keep{tmp};
  auto st = eddy::test::run({wordcount, "--input", (tmp / "missing.txt").string(), "--output",
                             (tmp / "out.txt").string(), "--state-dir", (tmp / "st").string(),
                             "--log-format", "json"},
                            tmp / "job.out", tmp / "job.err", 30s);
  BOOST_TEST(st.exited_with(2), st.describe());
  auto lines = json_lines(tmp / "job.err");
  BOOST_REQUIRE(!lines.empty());
  BOOST_TEST(lines.back()["level"] == "error");
  BOOST_TEST(lines.back()["message"].get<std::string>().rfind("wordcount: error: ", 0) == 0);
}

BOOST_AUTO_TEST_CASE(an_unknown_log_format_is_refused) {
  temp_dir tmp{"eddy-json-logs"};
  auto st = eddy::test::run({wordcount, "--input", "x", "--output", "y", "--state-dir",
                             (tmp / "st").string(), "--log-format", "xml"},
                            tmp / "job.out", tmp / "job.err", 30s);
  BOOST_TEST(st.exited_with(2), st.describe());
  BOOST_TEST(slurp(tmp / "job.err").find("--log-format: 'xml' is not one of text, json") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
