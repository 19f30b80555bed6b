// Side outputs: values a flat_map step or a keyed function sends to a tag
// become a stream of their own, with the same exactly-once guarantees as the
// main output, even across SIGKILL.

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <map>
#include <set>

#include "eddy/actors/run.hpp"
#include "eddy/connectors/file/lines_out.hpp"
#include "eddy/connectors/memory/memory.hpp"
#include "eddy/side_output.hpp"
#include "eddy/state.hpp"
#include "support/kill_loop.hpp"
#include "support/temp_dir.hpp"

using namespace eddy;
namespace memory = eddy::connectors::memory;

namespace {

/// "n" parses, anything else is a dead letter.
std::vector<std::string> inputs(int n) {
  std::vector<std::string> result;
  for (int i = 0; i < n; ++i)
    result.push_back(i % 10 == 3 ? "bad" + std::to_string(i) : std::to_string(i));
  return result;
}

const side_output<std::string> dead_letters{"dead-letters"};
const side_output<int64_t> odd_sums{"odd-sums"};

/// Running sum per key (n % 5); sums that are odd also go to a side output.
struct summer {
  value_state<int64_t> sum;
  void on_record(const int64_t& n, context<int64_t>& ctx) {
    sum = sum.value_or(0) + n;
    ctx.emit(*sum);
    if (*sum % 2 != 0)
      ctx.output(odd_sums, *sum);
  }
};

void build(job& j, const std::vector<std::string>& in, std::unique_ptr<sink<int64_t>> sums,
           std::unique_ptr<sink<std::string>> dead, std::unique_ptr<sink<int64_t>> odd) {
  auto parsed = j.source(memory::from_vector(in))
                  .flat_map([](const std::string& s, collector<int64_t>& out) {
                    if (!s.empty() && std::isdigit(static_cast<unsigned char>(s[0])))
                      out(std::stoll(s));
                    else
                      out.output(dead_letters, s);
                  });
  parsed.side_output(dead_letters).sink(std::move(dead));
  auto result = parsed.key_by([](const int64_t& n) { return n % 5; }).process<summer>();
  result.side_output(odd_sums).sink(std::move(odd));
  result.sink(std::move(sums));
}

/// The expected sums per key, dead letters and odd sums.
struct expected_outputs {
  std::map<int64_t, std::vector<int64_t>> sums;
  std::multiset<std::string> dead;
  std::multiset<int64_t> odd;
  explicit expected_outputs(const std::vector<std::string>& in) {
    std::map<int64_t, int64_t> running;
    for (auto& s : in) {
      if (!std::isdigit(static_cast<unsigned char>(s[0]))) {
        dead.insert(s);
        continue;
      }
      auto n = std::stoll(s);
      auto sum = running[n % 5] += n;
      sums[n % 5].push_back(sum);
      if (sum % 2 != 0)
        odd.insert(sum);
    }
  }
};

std::vector<std::string> read_lines(const std::filesystem::path& file) {
  std::vector<std::string> lines;
  std::ifstream in{file};
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

} // namespace

BOOST_AUTO_TEST_SUITE(side_outputs)

BOOST_AUTO_TEST_CASE(side_outputs_of_a_step_and_of_a_keyed_function_reach_their_sinks) {
  test::temp_dir dir;
  auto in = inputs(20'000);
  auto sums = std::make_shared<std::vector<int64_t>>();
  auto dead = std::make_shared<std::vector<std::string>>();
  auto odd = std::make_shared<std::vector<int64_t>>();
  job j{"side-outputs"};
  j.config().state_dir = dir.path;
  j.config().log_level = "off";
  build(j, in, memory::to_vector(sums), memory::to_vector(dead), memory::to_vector(odd));
  auto result = actors::execute(j);
  BOOST_TEST_REQUIRE(result.exit_code == 0, result.error);
  expected_outputs want{in};
  BOOST_TEST((std::multiset<std::string>(dead->begin(), dead->end()) == want.dead));
  BOOST_TEST((std::multiset<int64_t>(odd->begin(), odd->end()) == want.odd));
  size_t total = 0;
  for (auto& [k, v] : want.sums)
    total += v.size();
  BOOST_TEST(sums->size() == total);
}

BOOST_AUTO_TEST_CASE(a_side_output_nobody_continues_is_dropped) {
  test::temp_dir dir;
  auto sums = std::make_shared<std::vector<int64_t>>();
  job j{"unused-side-output"};
  j.config().state_dir = dir.path;
  j.config().log_level = "off";
  j.source(memory::generate(1'000, [](uint64_t i) { return static_cast<int64_t>(i); }))
    .key_by([](const int64_t& n) { return n % 5; })
    .process<summer>()
    .sink(memory::to_vector(sums));
  auto result = actors::execute(j);
  BOOST_TEST_REQUIRE(result.exit_code == 0, result.error);
  BOOST_TEST(sums->size() == 1'000u);
}

BOOST_AUTO_TEST_CASE(a_side_output_that_ends_nowhere_is_a_configuration_error) {
  test::temp_dir dir;
  job j{"dangling"};
  j.config().state_dir = dir.path;
  auto s = j.source(memory::generate(10, [](uint64_t i) { return static_cast<int64_t>(i); }))
             .key_by([](const int64_t& n) { return n; })
             .process<summer>();
  s.side_output(odd_sums); // not continued
  s.sink(memory::to_vector(std::make_shared<std::vector<int64_t>>()));
  auto result = actors::execute(j);
  BOOST_TEST(result.exit_code == 2);
  BOOST_TEST(result.error.find("side output") != std::string::npos, result.error);
}

BOOST_AUTO_TEST_CASE(every_output_is_exactly_once_across_sigkills) {
  test::temp_dir dir;
  std::filesystem::create_directories(dir.path);
  auto in = inputs(150'000);
  auto text = [](const auto& x) {
    if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::string>)
      return x;
    else
      return std::to_string(x);
  };
  auto run = [&](const std::string& prefix) {
    job j{"side-outputs-crash"};
    j.config().state_dir = dir.path / (prefix + "state");
    j.config().log_level = "off";
    build(j, in,
          connectors::file::lines_out<int64_t>(dir.path / (prefix + "sums.txt"), text),
          connectors::file::lines_out<std::string>(dir.path / (prefix + "dead.txt"), text),
          connectors::file::lines_out<int64_t>(dir.path / (prefix + "odd.txt"), text));
    return actors::execute(j).exit_code;
  };
  auto report = test::kill_and_finish([&](bool probe) { return run(probe ? "probe-" : ""); }, 5);
  BOOST_TEST_MESSAGE("the whole job takes " << report.whole_ms << " ms; killed " << report.kills
                                            << " times");
  BOOST_TEST_REQUIRE(report.final_code == 0);
  BOOST_TEST(report.kills >= 8);
  expected_outputs want{in};
  auto dead = read_lines(dir.path / "dead.txt");
  BOOST_TEST((std::multiset<std::string>(dead.begin(), dead.end()) == want.dead));
  std::multiset<int64_t> odd;
  for (auto& l : read_lines(dir.path / "odd.txt"))
    odd.insert(std::stoll(l));
  BOOST_TEST((odd == want.odd));
  std::multiset<int64_t> sums, want_sums;
  for (auto& l : read_lines(dir.path / "sums.txt"))
    sums.insert(std::stoll(l));
  for (auto& [k, v] : want.sums)
    want_sums.insert(v.begin(), v.end());
  BOOST_TEST((sums == want_sums));
}

BOOST_AUTO_TEST_SUITE_END()
