#include "eddy/state.hpp"

#include "eddy/dataflow/keyed_logic.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <string>

using eddy::detail::state_registry;
using namespace std::chrono_literals;

namespace {

/// A user function's state with and without TTL, as a keyed function declares it.
struct session_state {
  eddy::value_state<int64_t> last_seen{eddy::ttl{100ms}};
  eddy::map_state<std::string, int> tags{eddy::ttl{100ms}};
  eddy::value_state<int64_t> forever;
  eddy::map_state<std::string, int> forever_tags;
};

/// A registry with its handles, built the way the runtime builds them, and a
/// clock the test sets.
struct harness {
  state_registry registry;
  std::optional<session_state> fn;
  explicit harness(int64_t now = 0) {
    registry.now_for_testing(now);
    state_registry::scope scope{&registry};
    fn.emplace();
  }
  /// Makes `key` current at time `now`, as the runtime does per record.
  session_state& at(std::string_view key, int64_t now) {
    registry.now_for_testing(now);
    registry.current_key(key);
    return *fn;
  }
  std::string take_log() {
    std::string log;
    registry.take_log(log);
    return log;
  }
  std::string snapshot() {
    std::string out;
    registry.snapshot(out);
    return out;
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(state_ttl)

BOOST_AUTO_TEST_CASE(a_value_expires_after_its_ttl_and_reads_as_absent) {
  harness h;
  h.at("k", 0).last_seen = 7;
  BOOST_TEST(*h.at("k", 0).last_seen == 7);
  BOOST_TEST(*h.at("k", 99).last_seen == 7);
  BOOST_TEST(!h.at("k", 100).last_seen);
  BOOST_TEST(h.at("k", 100).last_seen.value_or(-1) == -1);
  BOOST_CHECK_THROW(h.at("k", 100).last_seen.value(), std::logic_error);
  // Dropped when read: the key no longer holds state.
  BOOST_TEST(h.registry.key_count() == 0u);
}

BOOST_AUTO_TEST_CASE(a_write_restarts_the_clock_and_a_read_does_not) {
  harness h;
  h.at("k", 0).last_seen = 1;
  BOOST_TEST(*h.at("k", 60).last_seen == 1); // read only
  h.at("k", 80).last_seen = 2;
  BOOST_TEST(*h.at("k", 179).last_seen == 2);
  BOOST_TEST(!h.at("k", 180).last_seen);
}

BOOST_AUTO_TEST_CASE(expiry_is_decided_once_per_record) {
  harness h;
  auto& s = h.at("k", 0);
  s.last_seen = 1;
  auto& same_record = h.at("k", 50);
  BOOST_TEST(same_record.last_seen.has_value());
  h.registry.now_for_testing(500); // time passes within one on_record
  BOOST_TEST(same_record.last_seen.value() == 1);
  BOOST_TEST(!h.at("k", 500).last_seen); // the next record sees it expired
}

BOOST_AUTO_TEST_CASE(map_entries_expire_independently) {
  harness h;
  h.at("k", 0).tags.put("a", 1);
  h.at("k", 50).tags.put("b", 2);
  h.at("k", 90).tags.put("a", 3); // rewriting restarts a's clock
  h.at("k", 95).tags.put("c", 4);
  BOOST_TEST(h.at("k", 140).tags.size() == 3u);
  auto& at150 = h.at("k", 150);
  BOOST_TEST(at150.tags.size() == 2u);
  BOOST_TEST(!at150.tags.contains("b"));
  BOOST_TEST(*at150.tags.get("a") == 3);
  int n = 0;
  for (auto& [k, v] : h.at("k", 190).tags) {
    BOOST_TEST(k == "c");
    BOOST_TEST(v == 4);
    ++n;
  }
  BOOST_TEST(n == 1);
  BOOST_TEST(h.at("k", 195).tags.empty());
  BOOST_TEST(h.registry.key_count() == 0u);
}

BOOST_AUTO_TEST_CASE(expired_entries_are_not_in_a_snapshot) {
  harness h;
  h.at("old", 0).last_seen = 1;
  h.at("old", 0).tags.put("x", 1);
  h.at("mixed", 0).tags.put("x", 1);
  h.at("mixed", 60).tags.put("y", 2);
  h.at("new", 60).last_seen = 2;
  h.registry.now_for_testing(120);
  auto snap = h.snapshot();
  // Restored at a time when nothing written at 0 would have expired yet, so
  // only what the snapshot holds comes back.
  harness restored{0};
  restored.registry.restore(snap);
  BOOST_TEST(!restored.at("old", 10).last_seen);
  BOOST_TEST(restored.at("old", 10).tags.empty());
  BOOST_TEST(*restored.at("new", 10).last_seen == 2);
  BOOST_TEST(restored.at("mixed", 10).tags.size() == 1u);
  BOOST_TEST(*restored.at("mixed", 10).tags.get("y") == 2);
  // The write times came along: y (written at 60) expires at 160.
  BOOST_TEST(*restored.at("mixed", 159).tags.get("y") == 2);
  BOOST_TEST(!restored.at("mixed", 160).tags.contains("y"));
  BOOST_TEST(!restored.at("new", 160).last_seen);
}

BOOST_AUTO_TEST_CASE(log_replay_keeps_the_original_write_times) {
  harness h;
  h.at("k", 0).last_seen = 5;
  h.at("k", 0).tags.put("a", 1);
  h.at("k", 30).tags.put("b", 2);
  auto log = h.take_log();
  harness replayed{50};
  replayed.registry.apply_log(log);
  BOOST_TEST(*replayed.at("k", 99).last_seen == 5);
  BOOST_TEST(replayed.at("k", 99).tags.size() == 2u);
  BOOST_TEST(!replayed.at("k", 100).last_seen); // not 150
  BOOST_TEST(replayed.at("k", 100).tags.size() == 1u);
  BOOST_TEST(replayed.at("k", 130).tags.empty());
}

BOOST_AUTO_TEST_CASE(replay_after_the_ttl_does_not_resurrect_expired_values) {
  harness h;
  h.at("gone", 0).last_seen = 1;
  h.at("gone", 0).tags.put("a", 1);
  h.at("kept", 0).last_seen = 1;
  h.at("kept", 150).last_seen = 2;
  BOOST_TEST(!h.at("gone", 200).last_seen); // dropped on read, not journaled
  auto log = h.take_log();
  harness replayed{200};
  replayed.registry.apply_log(log);
  BOOST_TEST(replayed.registry.key_count() == 1u); // only "kept"'s value
  BOOST_TEST(!replayed.at("gone", 200).last_seen);
  BOOST_TEST(replayed.at("gone", 200).tags.empty());
  BOOST_TEST(*replayed.at("kept", 200).last_seen == 2);
}

BOOST_AUTO_TEST_CASE(clears_and_removes_are_replayed) {
  harness h;
  h.at("k", 0).last_seen = 1;
  h.at("k", 10).last_seen.clear();
  h.at("k", 10).tags.put("a", 1);
  h.at("k", 10).tags.put("b", 1);
  h.at("k", 20).tags.remove("a");
  auto log = h.take_log();
  harness replayed{30};
  replayed.registry.apply_log(log);
  BOOST_TEST(!replayed.at("k", 30).last_seen);
  BOOST_TEST(replayed.at("k", 30).tags.size() == 1u);
  BOOST_TEST(replayed.at("k", 30).tags.contains("b"));
}

BOOST_AUTO_TEST_CASE(handles_without_ttl_never_expire) {
  harness h;
  h.at("k", 0).forever = 1;
  h.at("k", 0).forever_tags.put("a", 1);
  auto log = h.take_log();
  constexpr int64_t years = int64_t{1000} * 3600 * 24 * 365 * 100;
  BOOST_TEST(*h.at("k", years).forever == 1);
  BOOST_TEST(h.at("k", years).forever_tags.size() == 1u);
  harness replayed{years};
  replayed.registry.apply_log(log);
  BOOST_TEST(*replayed.at("k", years).forever == 1);
  std::string snap = replayed.snapshot();
  harness restored{years};
  restored.registry.restore(snap);
  BOOST_TEST(*restored.at("k", years).forever == 1);
  BOOST_TEST(*restored.at("k", years).forever_tags.get("a") == 1);
}

BOOST_AUTO_TEST_CASE(handles_without_ttl_keep_the_journal_format) {
  harness h;
  h.at("k", 0).forever = 1;
  auto log = h.take_log();
  // varint id 2, op set, varint key size 1, "k", i64 1.
  BOOST_TEST(log.size() == 1u + 1 + 1 + 1 + 8);
  BOOST_TEST(static_cast<uint8_t>(log[1]) == static_cast<uint8_t>(eddy::detail::state_op::set));
  h.at("k", 0).last_seen = 1;
  log = h.take_log();
  BOOST_TEST(static_cast<uint8_t>(log[1])
             == static_cast<uint8_t>(eddy::detail::state_op::set_stamped));
}

BOOST_AUTO_TEST_CASE(a_ttl_must_be_positive) {
  struct bad {
    eddy::value_state<int> v{eddy::ttl{0ms}};
  };
  state_registry registry;
  state_registry::scope scope{&registry};
  BOOST_CHECK_THROW(bad{}, std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(a_journal_with_ttl_writes_is_refused_by_a_handle_without_ttl) {
  harness h;
  h.at("k", 0).last_seen = 1;
  auto log = h.take_log();
  struct plain {
    eddy::value_state<int64_t> last_seen;
  };
  state_registry registry;
  std::optional<plain> fn;
  {
    state_registry::scope scope{&registry};
    fn.emplace();
  }
  BOOST_CHECK_THROW(registry.apply_log(log), eddy::decode_error);
}

// -- incremental cleanup ------------------------------------------------------

namespace {

/// What a reader sees of a harness's state at `now`: every handle's value
/// (or absence) for each of `keys`, then the key count (reading dropped what
/// expired among them).
std::string observe(harness& h, const std::vector<std::string>& keys, int64_t now) {
  std::string out;
  for (const auto& k : keys) {
    auto& s = h.at(k, now);
    out += k + ":" + std::to_string(s.last_seen.value_or(-1)) + "/";
    for (const auto& [tag, v] : s.tags)
      out += tag + "=" + std::to_string(v) + ",";
    out += "/" + std::to_string(s.forever.value_or(-1)) + ";";
  }
  return out + "keys=" + std::to_string(h.registry.key_count());
}

std::vector<std::string> key_names(int n) {
  std::vector<std::string> keys;
  for (int i = 0; i < n; ++i)
    keys.push_back("k" + std::to_string(i));
  return keys;
}

} // namespace

BOOST_AUTO_TEST_CASE(cleanup_keeps_the_key_count_bounded_under_key_churn) {
  // Every ms a new key is written and never read again; the TTL is 100 ms,
  // so about 100 keys are live per handle at any time.
  harness cleaned;
  harness uncleaned;
  size_t most = 0;
  for (int64_t t = 0; t < 5000; ++t) {
    auto key = "user" + std::to_string(t);
    for (auto* h : {&cleaned, &uncleaned}) {
      auto& s = h->at(key, t);
      s.last_seen = t;
      s.tags.put("page", static_cast<int>(t));
    }
    cleaned.registry.cleanup_expired(t, 32); // a small budget per call, often
    most = std::max(most, cleaned.registry.key_count());
  }
  BOOST_TEST(uncleaned.registry.key_count() == 10000u); // grows with time
  BOOST_TEST_MESSAGE("most keys held with cleanup: " << most);
  BOOST_TEST(most <= 3 * 2 * 100u);                     // bounded by the live keys
  BOOST_TEST(cleaned.registry.key_count() >= 2 * 100u); // the live ones stay
}

BOOST_AUTO_TEST_CASE(cleanup_visits_at_most_its_budget_and_resumes_where_it_stopped) {
  harness h;
  for (int i = 0; i < 1000; ++i)
    h.at("k" + std::to_string(i), 0).last_seen = i;
  // 1000 value keys and however many empty buckets: one call erases no more
  // than its budget, and enough calls erase them all.
  BOOST_TEST(h.registry.cleanup_expired(100, 10) <= 10u);
  size_t calls = 1;
  while (h.registry.key_count() > 0 && calls < 10000) {
    h.registry.cleanup_expired(100, 10);
    ++calls;
  }
  BOOST_TEST(h.registry.key_count() == 0u);
  BOOST_TEST(calls >= 100u);
}

BOOST_AUTO_TEST_CASE(cleanup_leaves_live_entries_and_handles_without_ttl_alone) {
  harness h;
  h.at("a", 0).last_seen = 1;
  h.at("a", 0).tags.put("old", 1);
  h.at("a", 80).tags.put("new", 2);
  h.at("a", 0).forever = 3;
  h.at("a", 0).forever_tags.put("x", 4);
  h.at("b", 90).last_seen = 5;
  BOOST_TEST(h.registry.cleanup_expired(120, 1000) == 2u); // a's value and a's "old"
  BOOST_TEST(h.registry.key_count() == 4u); // a's tags, forever, forever_tags; b's value
  auto& a = h.at("a", 120);
  BOOST_TEST(!a.last_seen);
  BOOST_TEST(a.tags.size() == 1u);
  BOOST_TEST(*a.tags.get("new") == 2);
  BOOST_TEST(*a.forever == 3);
  BOOST_TEST(*a.forever_tags.get("x") == 4);
  BOOST_TEST(*h.at("b", 120).last_seen == 5);
}

BOOST_AUTO_TEST_CASE(cleaned_state_equals_a_snapshot_restore_round_trip) {
  harness h;
  auto keys = key_names(300);
  for (int i = 0; i < 300; ++i) {
    auto& s = h.at(keys[i], i);
    s.last_seen = i;
    s.tags.put("a", i);
    if (i % 3 == 0)
      s.forever = i;
  }
  for (int i = 0; i < 300; i += 2)
    h.at(keys[i], 300).tags.put("b", i); // keeps some keys' maps alive
  // A full round at 350 erases what expired by then (written before 250).
  // Enough calls for more than one round over ~1000 entries and their buckets.
  for (int i = 0; i < 100; ++i)
    h.registry.cleanup_expired(350, 64);
  auto live = h.registry.key_count();
  h.registry.now_for_testing(350);
  auto snap = h.snapshot();
  harness restored{350};
  restored.registry.restore(snap);
  // The snapshot leaves out what expired; cleanup had already erased it.
  BOOST_TEST(restored.registry.key_count() == live);
  BOOST_TEST(observe(restored, keys, 350) == observe(h, keys, 350));
}

BOOST_AUTO_TEST_CASE(the_change_log_with_cleanup_replays_to_the_same_state_at_any_clock) {
  harness h;
  auto keys = key_names(200);
  std::string log;
  for (int64_t t = 0; t < 400; ++t) {
    auto& s = h.at(keys[t % 200], t);
    s.last_seen = t;
    s.tags.put(t % 2 ? "odd" : "even", static_cast<int>(t));
    if (t % 7 == 0)
      s.forever = t;
    h.registry.cleanup_expired(t, 16);
    log += h.take_log(); // as the runtime journals each group
  }
  auto before = h.registry.key_count();
  // Replayed at a clock far behind the run (a restarted node's clock, or a
  // test's), nothing expires on replay: only the journaled erasures remove
  // state, and they remove exactly what the run's cleanup removed.
  harness behind{0};
  behind.registry.apply_log(log);
  BOOST_TEST(behind.registry.key_count() == before);
  // Replayed when the log ends, replay also drops what expired since; either
  // way a reader sees the same state.
  harness at_end{399};
  at_end.registry.apply_log(log);
  BOOST_TEST(at_end.registry.key_count() <= before);
  auto seen = observe(h, keys, 399);
  BOOST_TEST(observe(behind, keys, 399) == seen);
  BOOST_TEST(observe(at_end, keys, 399) == seen);
}

namespace {

struct ttl_counter {
  eddy::value_state<int64_t> count{eddy::ttl{std::chrono::minutes(1)}};
  eddy::map_state<std::string, int64_t> seen{eddy::ttl{std::chrono::minutes(1)}};
  void on_record(const int64_t& x, eddy::context<int64_t>& ctx) {
    count = count.value_or(0) + 1;
    seen.put("last", x);
    ctx.emit(*count);
  }
};

struct no_port final : eddy::dataflow::output_port {
  void push(uint32_t, uint32_t, std::string_view, int64_t, std::string_view) override {
  }
  void propose_watermark(int64_t) override {
  }
};

using counter_logic = eddy::dataflow::process_logic<ttl_counter, int64_t, int64_t>;

} // namespace

BOOST_AUTO_TEST_CASE(a_keyed_logic_cleans_up_through_partition_logic_and_journals_it) {
  no_port port;
  auto make = [&]() -> std::unique_ptr<eddy::dataflow::partition_logic> {
    return std::make_unique<counter_logic>([](const int64_t&, int64_t) {}, port);
  };
  auto logic = make();
  for (int64_t i = 0; i < 500; ++i) {
    auto key = "key" + std::to_string(i);
    auto payload = eddy::encode(i);
    logic->process(eddy::dataflow::record_view{key, 0, payload});
  }
  BOOST_TEST(logic->key_count() == 1000u);
  std::string log;
  logic->take_log(log);
  // Two minutes on, every value has expired.
  auto later = eddy::processing_time_now() + 2 * 60 * 1000;
  size_t erased = 0;
  for (int i = 0; i < 1000 && logic->key_count() > 0; ++i)
    erased += logic->cleanup_expired(later, 100);
  BOOST_TEST(erased == 1000u);
  BOOST_TEST(logic->key_count() == 0u);
  std::string cleanup_log;
  logic->take_log(cleanup_log);
  BOOST_TEST(!cleanup_log.empty());
  // Replayed now, when the writes would still be live, the journaled
  // erasures leave the same (empty) state.
  auto replayed = make();
  replayed->apply_log(log);
  BOOST_TEST(replayed->key_count() == 1000u);
  replayed->apply_log(cleanup_log);
  BOOST_TEST(replayed->key_count() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
