#include "eddy/state.hpp"
#include "framework/state_harness.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using eddy::detail::state_registry;

namespace {

/// A user function's state, as a keyed process function declares it.
struct account_state {
  eddy::value_state<int64_t> balance;
  eddy::map_state<std::string, int> tags;
  eddy::list_state<int64_t> history;
};

/// A registry with its handles, built the way the runtime builds them.
using harness = eddy::test::state_harness<account_state>;

void mutate(harness& h) {
  h.at("alice").balance = 10;
  h.at("bob").balance = 5;
  h.at("alice").balance = h.at("alice").balance.value() + 1;
  h.at("alice").tags.put("vip", 1);
  h.at("alice").tags.put("old", 2);
  h.at("alice").tags.remove("old");
  h.at("bob").history.add(1);
  h.at("bob").history.add(2);
  h.at("carol").balance = 3;
  h.at("carol").balance.clear();
  h.at("dave").history.add(7);
  h.at("dave").history.clear();
}

void check(harness& h) {
  BOOST_TEST(*h.at("alice").balance == 11);
  BOOST_TEST(*h.at("bob").balance == 5);
  BOOST_TEST(!h.at("carol").balance);
  BOOST_TEST(h.at("alice").tags.size() == 1u);
  BOOST_TEST(*h.at("alice").tags.get("vip") == 1);
  BOOST_TEST(!h.at("alice").tags.contains("old"));
  BOOST_TEST((h.at("bob").history.values() == std::vector<int64_t>{1, 2}));
  BOOST_TEST(h.at("dave").history.empty());
  BOOST_TEST(h.at("alice").history.empty());
}

} // namespace

BOOST_AUTO_TEST_SUITE(state)

BOOST_AUTO_TEST_CASE(state_handles_keep_one_value_per_key) {
  harness h;
  mutate(h);
  check(h);
  BOOST_TEST(h.at("zed").balance.value_or(42) == 42);
  BOOST_CHECK_THROW(h.at("zed").balance.value(), std::logic_error);
}

BOOST_AUTO_TEST_CASE(replaying_the_change_log_rebuilds_the_same_state) {
  harness original;
  mutate(original);
  std::string log;
  original.registry.take_log(log);
  BOOST_TEST(!log.empty());
  BOOST_TEST(original.registry.log_empty());
  harness replayed;
  replayed.registry.apply_log(log);
  check(replayed);
}

BOOST_AUTO_TEST_CASE(a_snapshot_restores_every_key_of_every_handle) {
  harness original;
  mutate(original);
  std::string snap;
  original.registry.snapshot(snap);
  harness restored;
  restored.at("stale").balance = 99;
  restored.registry.restore(snap);
  check(restored);
  BOOST_TEST(!restored.at("stale").balance);
  BOOST_TEST(restored.registry.key_count() == original.registry.key_count());
}

BOOST_AUTO_TEST_CASE(optional_assignment_sets_or_clears) {
  harness h;
  h.at("k").balance = std::optional<int64_t>{4};
  BOOST_TEST(*h.at("k").balance == 4);
  h.at("k").balance = std::nullopt;
  BOOST_TEST(!h.at("k").balance);
}

BOOST_AUTO_TEST_CASE(timers_fire_once_in_time_order_and_survive_log_replay_and_snapshots) {
  struct with_timers {
    eddy::timer_service timers;
    eddy::value_state<int> unused;
  };
  state_registry registry;
  std::optional<with_timers> fn;
  {
    state_registry::scope scope{&registry};
    fn.emplace();
  }
  registry.current_key("a");
  fn->timers.at_event_time(30);
  fn->timers.at_event_time(10);
  fn->timers.at_event_time(10); // once per key and time
  fn->timers.at_processing_time(1000);
  registry.current_key("b");
  fn->timers.at_event_time(20);
  fn->timers.at_event_time(40);
  fn->timers.remove_event_time(40);
  BOOST_TEST(fn->timers.size() == 4u);
  std::string log;
  registry.take_log(log);

  // A replay of the log has the same timers; firing removes them in order.
  state_registry replayed;
  std::optional<with_timers> copy;
  {
    state_registry::scope scope{&replayed};
    copy.emplace();
  }
  replayed.apply_log(log);
  std::string snap;
  replayed.snapshot(snap);
  std::vector<std::pair<std::string, int64_t>> fired;
  copy->timers.fire_event_timers(25, [&](int64_t ts) {
    fired.emplace_back(std::string{replayed.current_key()}, ts);
  });
  BOOST_TEST((fired == std::vector<std::pair<std::string, int64_t>>{{"a", 10}, {"b", 20}}));
  copy->timers.fire_event_timers(25, [&](int64_t) { BOOST_FAIL("fired twice"); });
  BOOST_TEST(copy->timers.next_processing_time().value() == 1000);
  std::string fire_log;
  replayed.take_log(fire_log);
  BOOST_TEST(!fire_log.empty()); // firing is journaled: a replay will not fire again

  // The snapshot taken before firing still holds all of them.
  state_registry restored;
  std::optional<with_timers> third;
  {
    state_registry::scope scope{&restored};
    third.emplace();
  }
  restored.restore(snap);
  restored.apply_log(fire_log);
  BOOST_TEST(third->timers.size() == 2u); // a@30 and the processing-time timer
}

BOOST_AUTO_TEST_CASE(handles_outside_a_partition_are_refused) {
  BOOST_CHECK_THROW(eddy::value_state<int>{}, std::logic_error);
}

BOOST_AUTO_TEST_CASE(a_corrupt_log_is_a_decode_error) {
  harness h;
  h.at("a").balance = 1;
  std::string log;
  h.registry.take_log(log);
  harness other;
  BOOST_CHECK_THROW(other.registry.apply_log(log.substr(0, log.size() - 1)), eddy::decode_error);
  BOOST_CHECK_THROW(other.registry.apply_log("\x09\x01\x00"), eddy::decode_error);
}

BOOST_AUTO_TEST_CASE(a_value_set_again_by_the_next_write_is_journaled_once) {
  harness once;
  once.at("alice").balance = 3;
  std::string expected;
  once.registry.take_log(expected);

  harness h;
  h.at("alice").balance = 1;
  h.at("alice").balance = 2;
  h.at("alice").balance = 3;
  std::string log;
  h.registry.take_log(log);
  BOOST_TEST(log == expected);
}

BOOST_AUTO_TEST_CASE(a_value_set_again_after_other_writes_keeps_every_record_in_order) {
  harness h;
  h.at("alice").balance = 1;
  h.at("bob").balance = 7;
  h.at("alice").balance = 2;
  h.at("alice").history.add(5);
  h.at("alice").balance = 4;
  h.at("alice").balance.clear();
  h.at("alice").balance = 6;
  std::string log;
  h.registry.take_log(log);
  harness replayed;
  replayed.registry.apply_log(log);
  BOOST_TEST(*replayed.at("alice").balance == 6);
  BOOST_TEST(*replayed.at("bob").balance == 7);
  BOOST_TEST((replayed.at("alice").history.values() == std::vector<int64_t>{5}));
  harness fresh; // a new entry starts over: nothing to replace
  fresh.at("alice").balance = 9;
  std::string first;
  fresh.registry.take_log(first);
  fresh.at("alice").balance = 9;
  std::string second;
  fresh.registry.take_log(second);
  BOOST_TEST(first == second);
}

BOOST_AUTO_TEST_SUITE_END()
