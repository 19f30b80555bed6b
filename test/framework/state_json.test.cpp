// The JSON a query of a running job's state shows for one key
// (eddy/detail/json_writer.hpp, state_registry::state_json).

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "eddy/dataflow/key_text.hpp"
#include "eddy/state.hpp"
#include "framework/state_harness.hpp"

using eddy::detail::to_json;

namespace {

struct position {
  int32_t x = 0;
  int32_t y = 0;
};

template <class Inspector>
auto inspect(Inspector& f, position& p) {
  return f(p.x, p.y);
}

struct account {
  std::string owner;
  int64_t balance = 0;
  bool frozen = false;
  std::optional<position> last_seen;
  std::vector<double> amounts;
};

template <class Inspector>
auto inspect(Inspector& f, account& a) {
  return f(eddy::field("owner", a.owner), eddy::field("balance", a.balance), eddy::field("frozen", a.frozen),
           eddy::field("last_seen", a.last_seen), eddy::field("amounts", a.amounts));
}

/// A keyed function's state: a named value, an unnamed map, a list, and timers.
struct account_state {
  eddy::timer_service timers; // not user state: never shown
  eddy::value_state<account> current{"account"};
  eddy::map_state<std::string, int64_t> tags;
  eddy::list_state<position> trail{"trail"};
  eddy::value_state<int64_t> expiring{"expiring", eddy::ttl{std::chrono::milliseconds(100)}};
};

using harness = eddy::test::state_harness<account_state>;

} // namespace

BOOST_AUTO_TEST_SUITE(state_json)

BOOST_AUTO_TEST_CASE(a_struct_with_named_fields_renders_as_an_object_and_unnamed_ones_as_an_array) {
  account a{"ann \"the\" owner\n", -12, true, position{3, -4}, {1.5, 2}};
  BOOST_TEST(to_json(a)
             == R"({"owner":"ann \"the\" owner\n","balance":-12,"frozen":true,"last_seen":[3,-4],"amounts":[1.5,2]})");
  a.last_seen.reset();
  a.amounts = {NAN};
  BOOST_TEST(to_json(a) == R"({"owner":"ann \"the\" owner\n","balance":-12,"frozen":true,"last_seen":null,"amounts":[null]})");
}

BOOST_AUTO_TEST_CASE(maps_with_string_or_integer_keys_render_as_objects_others_as_pairs) {
  BOOST_TEST(to_json(std::map<std::string, int>{{"a", 1}, {"b\t", 2}}) == R"({"a":1,"b\t":2})");
  BOOST_TEST(to_json(std::map<int64_t, std::string>{{-1, "x"}, {7, "y"}}) == R"({"-1":"x","7":"y"})");
  std::map<std::pair<int, int>, bool> by_pair{{{1, 2}, true}};
  BOOST_TEST(to_json(by_pair) == "[[[1,2],true]]");
  BOOST_TEST(to_json(std::string{"\x01"}) == R"("\u0001")");
}

BOOST_AUTO_TEST_CASE(a_key_shows_every_state_by_name_and_a_key_without_state_shows_null) {
  harness h;
  h.at("alice").current = account{"alice", 10, false, std::nullopt, {}};
  h.at("alice").tags.put("vip", 1);
  h.at("alice").tags.put("early", 2);
  h.at("alice").trail.add({1, 2});
  h.at("alice").timers.at_event_time(5);
  h.at("bob").tags.put("new", 3);
  std::string log;
  h.registry.take_log(log);
  h.at("bob"); // the current key stays bob's after the queries
  BOOST_TEST(h.registry.state_json("alice")
             == R"({"account":{"owner":"alice","balance":10,"frozen":false,"last_seen":null,"amounts":[]},)"
                R"("#2":{"early":2,"vip":1},"trail":[[1,2]],"expiring":null})");
  BOOST_TEST(h.registry.state_json("nobody") == R"({"account":null,"#2":null,"trail":null,"expiring":null})");
  BOOST_TEST(h.registry.log_empty()); // a query only reads
  BOOST_TEST(h.registry.current_key() == "bob");
  BOOST_TEST(*h.fn->tags.get("new") == 3);
}

BOOST_AUTO_TEST_CASE(an_expired_value_shows_as_null_and_stays_until_the_cleanup) {
  harness h;
  h.registry.now_for_testing(1000);
  h.at("k").expiring = 7;
  BOOST_TEST(h.registry.state_json("k") == R"({"account":null,"#2":null,"trail":null,"expiring":7})");
  h.registry.now_for_testing(1100);
  BOOST_TEST(h.registry.state_json("k") == R"({"account":null,"#2":null,"trail":null,"expiring":null})");
  BOOST_TEST(h.registry.key_count() == 1u); // the query expired nothing: the cleanup does, journaled
}

BOOST_AUTO_TEST_CASE(keys_given_as_text_become_the_canonical_bytes_records_are_routed_by) {
  auto text = eddy::dataflow::key_parser_of<std::string>();
  BOOST_TEST(*text("new york") == "new york");
  auto number = eddy::dataflow::key_parser_of<int64_t>();
  std::string bytes;
  eddy::append_key_bytes(bytes, int64_t{-42});
  BOOST_TEST(*number("-42") == bytes);
  BOOST_TEST(!number("42x"));
  BOOST_TEST(!number(""));
  BOOST_TEST(!eddy::dataflow::key_parser_of<uint8_t>()("300"));
  BOOST_TEST(!eddy::dataflow::key_parser_of<position>());
  BOOST_TEST(eddy::dataflow::key_type_name<int64_t>() == "i64");
  BOOST_TEST(eddy::dataflow::key_type_name<std::string>() == "string");
}

BOOST_AUTO_TEST_SUITE_END()
