// Job shapes beyond one keyed stage: stateless steps only, two keyed stages
// with their own parallelism, and rescaling a job between runs.

#include <boost/test/unit_test.hpp>

#include <map>

#include "eddy/actors/run.hpp"
#include "eddy/connectors/memory/memory.hpp"
#include "eddy/state.hpp"
#include "support/temp_dir.hpp"

using namespace eddy;
namespace memory = eddy::connectors::memory;

namespace {

struct keyed_sum {
  value_state<int64_t> sum;
  void on_record(const std::pair<int64_t, int64_t>& kv, context<std::pair<int64_t, int64_t>>& ctx) {
    sum = sum.value_or(0) + kv.second;
    ctx.emit({kv.first, *sum});
  }
};


} // namespace

BOOST_AUTO_TEST_SUITE(pipeline)

BOOST_AUTO_TEST_CASE(a_job_of_stateless_steps_only_delivers_every_value_once) {
  test::temp_dir dir;
  auto out = std::make_shared<std::vector<int64_t>>();
  job j{"stateless"};
  j.config().state_dir = dir.path;
  j.config().log_level = "off";
  j.source(memory::generate(10'000, [](uint64_t i) { return static_cast<int64_t>(i); }))
    .filter([](const int64_t& x) { return x % 3 != 0; })
    .map([](const int64_t& x) { return x * 2; })
    .sink(memory::to_vector(out));
  auto result = actors::execute(j);
  BOOST_TEST_REQUIRE(result.exit_code == 0, result.error);
  std::vector<int64_t> want;
  for (int64_t i = 0; i < 10'000; ++i)
    if (i % 3 != 0)
      want.push_back(i * 2);
  BOOST_TEST((*out == want));
}

BOOST_AUTO_TEST_CASE(two_keyed_stages_with_their_own_parallelism_compose_exactly_once) {
  test::temp_dir dir;
  auto out = std::make_shared<std::vector<std::pair<int64_t, int64_t>>>();
  job j{"two-stages"};
  j.config().state_dir = dir.path;
  j.config().log_level = "off";
  // Stage 1: running sum per key k = i % 100. Stage 2: running sum of those
  // sums per k % 7. Both are deterministic per key, whatever the interleaving.
  j.source(memory::generate(30'000, [](uint64_t i) {
       return std::pair<int64_t, int64_t>{static_cast<int64_t>(i % 100), 1};
     }))
    .key_by([](const std::pair<int64_t, int64_t>& kv) { return kv.first; })
    .process<keyed_sum>()
    .parallelism(3)
    .map([](const std::pair<int64_t, int64_t>& kv) {
      return std::pair<int64_t, int64_t>{kv.first % 7, kv.second};
    })
    .key_by([](const std::pair<int64_t, int64_t>& kv) { return kv.first; })
    .process<keyed_sum>()
    .parallelism(2)
    .sink(memory::to_vector(out));
  auto result = actors::execute(j);
  BOOST_TEST_REQUIRE(result.exit_code == 0, result.error);
  BOOST_TEST(out->size() == 30'000u);
  // The last value per second-stage key is the sum over its first-stage keys
  // of 1 + 2 + ... + 300 (each first-stage key sees 300 records).
  std::map<int64_t, int64_t> last;
  for (auto& [k, v] : *out)
    last[k] = std::max(last[k], v);
  std::map<int64_t, int64_t> want;
  for (int64_t k = 0; k < 100; ++k)
    want[k % 7] += 300 * 301 / 2;
  BOOST_TEST((last == want));
}

BOOST_AUTO_TEST_CASE(state_survives_a_change_of_parallelism_between_runs) {
  test::temp_dir dir;
  auto out = std::make_shared<std::vector<std::pair<int64_t, int64_t>>>();
  auto run = [&](uint64_t count, uint32_t parallelism) {
    job j{"rescale"};
    j.config().state_dir = dir.path;
    j.config().log_level = "off";
    j.config().parallelism = parallelism;
    // The generator's position survives too: the second run reads on from it.
    j.source(memory::generate(count, [](uint64_t i) {
         return std::pair<int64_t, int64_t>{static_cast<int64_t>(i % 50), 1};
       }))
      .key_by([](const std::pair<int64_t, int64_t>& kv) { return kv.first; })
      .process<keyed_sum>()
      .sink(memory::to_vector(out));
    return actors::execute(j);
  };
  BOOST_TEST_REQUIRE(run(5'000, 1).exit_code == 0);
  BOOST_TEST_REQUIRE(out->size() == 5'000u);
  BOOST_TEST_REQUIRE(run(10'000, 4).exit_code == 0);
  // The sink reopened at its committed position (5000) and appended the rest.
  BOOST_TEST(out->size() == 10'000u);
  std::map<int64_t, int64_t> last;
  for (auto& [k, v] : *out)
    last[k] = std::max(last[k], v);
  for (auto& [k, v] : last)
    BOOST_TEST(v == 200, "key " << k);
}

BOOST_AUTO_TEST_SUITE_END()
