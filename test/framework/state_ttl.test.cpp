#include "eddy/state.hpp"

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

BOOST_AUTO_TEST_SUITE_END()
