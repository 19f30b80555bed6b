// Supervision: a partition whose user code throws is restarted with
// exponential backoff and recovers; past its restart budget the job fails
// with an error naming the operator, the key group and the exception.

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <unistd.h>

#include "eddy/actors/run.hpp"
#include "eddy/key_group.hpp"
#include "eddy/state.hpp"
#include "eddy/connectors/memory/memory.hpp"
#include "support/temp_dir.hpp"

using namespace eddy;

namespace {

std::atomic<int> throws_left{0};

/// Counts per key; throws on "poison" while throws_left > 0.
struct flaky_counter {
  value_state<int64_t> count;
  void on_record(const std::string& word, context<std::string>& ctx) {
    if (word == "poison" && throws_left.fetch_sub(1) > 0)
      throw std::runtime_error("poison pill");
    count = count.value_or(0) + 1;
    ctx.emit(word + "=" + std::to_string(*count));
  }
};

std::vector<std::string> words(int n) {
  std::vector<std::string> result;
  for (int i = 0; i < n; ++i)
    result.push_back(i == n / 2 ? "poison" : "w" + std::to_string(i % 50));
  return result;
}

struct job_fixture {
  test::temp_dir dir;
  std::shared_ptr<std::vector<std::string>> out = std::make_shared<std::vector<std::string>>();
  job j{"supervision"};

  explicit job_fixture(int n, uint32_t budget, uint64_t backoff_ms) {
    j.config().state_dir = dir.path;
    j.config().restart_budget = budget;
    j.config().restart_backoff_ms = backoff_ms;
    j.config().log_level = "off";
    j.source(connectors::memory::from_vector(words(n)))
      .key_by([](const std::string& w) { return w; })
      .process<flaky_counter>()
      .sink(connectors::memory::to_vector(out));
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(supervision)

BOOST_AUTO_TEST_CASE(a_partition_that_throws_is_restarted_and_recovers_its_state) {
  throws_left = 2;
  job_fixture f{20'000, 5, 5};
  auto result = actors::execute(f.j);
  BOOST_TEST_REQUIRE(result.exit_code == 0, result.error);
  BOOST_TEST(throws_left.load() <= 0);
  // Exactly once despite the restarts: every count of every word once, in order.
  std::map<std::string, int64_t> last;
  for (auto& line : *f.out) {
    auto eq = line.find('=');
    auto w = line.substr(0, eq);
    auto n = std::stoll(line.substr(eq + 1));
    BOOST_TEST(n == last[w] + 1, line);
    last[w] = n;
  }
  BOOST_TEST(f.out->size() == 20'000u);
}

BOOST_AUTO_TEST_CASE(a_partition_past_its_restart_budget_fails_the_job_with_a_named_error) {
  throws_left = 1'000'000;
  job_fixture f{2'000, 3, 40};
  auto started = std::chrono::steady_clock::now();
  auto result = actors::execute(f.j);
  auto elapsed = std::chrono::steady_clock::now() - started;
  BOOST_TEST(result.exit_code == 1);
  auto kg = key_group_of("poison", default_max_key_groups);
  BOOST_TEST(result.error.find("flaky_counter key group " + std::to_string(kg))
               != std::string::npos,
             result.error);
  BOOST_TEST(result.error.find("poison pill") != std::string::npos, result.error);
  BOOST_TEST(result.error.find("failed 4 times") != std::string::npos, result.error);
  // Backoff doubles: 40 + 80 + 160 ms before the fourth failure escalates.
  BOOST_TEST(elapsed >= std::chrono::milliseconds(280));
}

BOOST_AUTO_TEST_SUITE_END()
