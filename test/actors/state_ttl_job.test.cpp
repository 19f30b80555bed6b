// State TTL end to end: a keyed function whose count per key expires some
// time after its last write, fed by a source that pauses between records, in
// one run and across a restart from the journal.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "eddy/actors/run.hpp"
#include "eddy/connectors/memory/memory.hpp"
#include "eddy/state.hpp"
#include "support/temp_dir.hpp"

using namespace eddy;
using namespace std::chrono_literals;
namespace memory = eddy::connectors::memory;

namespace {

using kv = std::pair<int64_t, int64_t>;

/// Counts the records of a key seen since its count was last written less
/// than `ttl_ms` ago.
template <int64_t TtlMs>
struct count_recent {
  value_state<int64_t> count{ttl{std::chrono::milliseconds(TtlMs)}};
  void on_record(const kv& in, context<kv>& ctx) {
    count = count.value_or(0) + 1;
    ctx.emit({in.first, *count});
  }
};

/// Per key, its counts in output order, as "key: counts; ...": the order of
/// one key's outputs is fixed, the interleaving of keys is not.
std::string per_key(const std::vector<kv>& xs) {
  std::map<int64_t, std::string> by_key;
  for (auto& [k, n] : xs)
    by_key[k] += " " + std::to_string(n);
  std::string s;
  for (auto& [k, ns] : by_key)
    s += std::to_string(k) + ":" + ns + "; ";
  return s;
}

/// A key per record, each after a pause: {key, pause before it in ms}.
struct step {
  int64_t key;
  int64_t pause_ms;
};

/// Runs `count_recent<TtlMs>` over `steps[0, count)`, resuming where a run on
/// the same state directory stopped.
/// The steps whose pause was taken: a restart may read a record again from
/// the source's last checkpoint (and drop it downstream as a duplicate); it
/// must not pause again, or the pause would fall in the second run.
struct paused {
  std::mutex mtx;
  std::set<uint64_t> steps;
  bool first_time(uint64_t i) {
    std::lock_guard guard{mtx};
    return steps.insert(i).second;
  }
};

template <int64_t TtlMs>
actors::run_result run(const test::temp_dir& dir, const std::vector<step>& steps, uint64_t count,
                       std::shared_ptr<std::vector<kv>> out,
                       std::shared_ptr<paused> done = std::make_shared<paused>()) {
  job j{"ttl"};
  j.config().state_dir = dir.path;
  j.config().log_level = "off";
  j.config().parallelism = 1;
  j.config().source_chunk = 1; // one record per source step: the pauses reach the function
  j.source(memory::generate(count,
                            [steps, done](uint64_t i) {
                              if (done->first_time(i))
                                std::this_thread::sleep_for(
                                  std::chrono::milliseconds(steps[i].pause_ms));
                              return kv{steps[i].key, 0};
                            }))
    .key_by([](const kv& x) { return x.first; })
    .template process<count_recent<TtlMs>>()
    .sink(memory::to_vector(out));
  return actors::execute(j);
}

} // namespace

BOOST_AUTO_TEST_SUITE(state_ttl_job)

// The TTL is generous against scheduling delays (a record within it comes
// right after the previous one) and the long pause well beyond it.
BOOST_AUTO_TEST_CASE(a_key_seen_again_after_the_ttl_starts_over_and_within_it_continues) {
  test::temp_dir dir;
  auto out = std::make_shared<std::vector<kv>>();
  std::vector<step> steps{
    {1, 0}, {2, 0}, {1, 0},   // 1 and 2 counted
    {2, 700},                 // 2 after the TTL: starts over
    {2, 0}, {1, 0},           // 2 within it continues; 1's count expired long ago
  };
  auto result = run<200>(dir, steps, steps.size(), out);
  BOOST_TEST_REQUIRE(result.exit_code == 0, result.error);
  std::vector<kv> want{{1, 1}, {2, 1}, {1, 2}, {2, 1}, {2, 2}, {1, 1}};
  BOOST_TEST(per_key(*out) == per_key(want));
}

// A restart replays the journal: the write times come from the first run, so
// a key written long before the restart has expired and one written just
// before it has not.
BOOST_AUTO_TEST_CASE(write_times_survive_a_restart) {
  test::temp_dir dir;
  auto out = std::make_shared<std::vector<kv>>();
  std::vector<step> steps{{1, 0}, {2, 1'500}, {1, 0}, {2, 0}};
  auto done = std::make_shared<paused>();
  auto first = run<1'000>(dir, steps, 2, out, done);
  BOOST_TEST_REQUIRE(first.exit_code == 0, first.error);
  auto second = run<1'000>(dir, steps, steps.size(), out, done);
  BOOST_TEST_REQUIRE(second.exit_code == 0, second.error);
  std::vector<kv> want{{1, 1}, {2, 1}, {1, 1}, {2, 2}};
  BOOST_TEST(per_key(*out) == per_key(want));
}

BOOST_AUTO_TEST_SUITE_END()
