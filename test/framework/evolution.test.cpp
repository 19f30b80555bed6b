// Schemas of value types and the evolution of structs between versions
// (eddy/detail/evolution.hpp): what a savepoint records and how a restore
// reads old values after fields were added or removed.

#include "eddy/codec.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <optional>
#include <string>
#include <typeinfo>
#include <variant>
#include <vector>

namespace {

/// Version 2 of a record type; versions 1 are written by hand below with
/// this type's name, as a savepoint of an older binary would have them.
struct account {
  int64_t balance = 0;
  int64_t limit = 500; // added in version 2: old values get this default
  std::string owner;
};

template <class Inspector>
auto inspect(Inspector& f, account& x) {
  return f(eddy::field("balance", x.balance), eddy::field("limit", x.limit), eddy::field("owner", x.owner));
}

struct positional {
  int32_t a = 0;
  std::vector<std::string> b;
};

template <class Inspector>
auto inspect(Inspector& f, positional& x) {
  return f(x.a, x.b);
}

std::string name_of_account() {
  return typeid(account).name();
}

} // namespace


using eddy::detail::evolution_problem;
using eddy::detail::evolution_scope;
using eddy::detail::parse_schema;

BOOST_AUTO_TEST_SUITE(evolution)

BOOST_AUTO_TEST_CASE(schemas_name_every_field_and_element_type) {
  BOOST_TEST(eddy::schema_of<int64_t>() == "i64");
  BOOST_TEST((eddy::schema_of<std::map<std::string, std::optional<double>>>() == "map<string,optional<f64>>"));
  BOOST_TEST((eddy::schema_of<std::variant<uint8_t, bool>>() == "variant<u8,bool>"));
  BOOST_TEST(eddy::schema_of<account>() == "struct " + name_of_account() + "{balance:i64,limit:i64,owner:string}");
  BOOST_TEST(eddy::schema_of<positional>().find("{_0:i32,_1:vector<string>}") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_schema_parses_back_and_skips_exactly_its_value) {
  using value = std::tuple<positional, std::map<int16_t, std::vector<account>>, std::optional<std::string>>;
  value v{positional{3, {"x", "yz"}}, {{-1, {account{10, 20, "ann"}}}}, "tail"};
  auto bytes = eddy::encode(v) + "rest";
  auto schema = parse_schema(eddy::schema_of<value>());
  eddy::reader r{bytes};
  eddy::detail::skip_value(r, schema);
  BOOST_TEST(r.remaining() == 4u);
  BOOST_CHECK_THROW(parse_schema("struct X{a:i64"), eddy::decode_error);
  BOOST_CHECK_THROW(parse_schema("vector<quaternion>"), eddy::decode_error);
}

BOOST_AUTO_TEST_CASE(a_field_added_takes_its_default_and_a_removed_one_is_skipped) {
  // Version 1: {balance, notes (removed since), owner}; limit did not exist.
  std::string old_bytes;
  eddy::writer w{old_bytes};
  w.write(int64_t{-42});
  w.write(std::vector<std::string>{"late", "again"});
  w.write(std::string{"bob"});
  auto old = parse_schema("struct " + name_of_account() + "{balance:i64,notes:vector<string>,owner:string}");
  auto now = parse_schema(eddy::schema_of<account>());
  BOOST_TEST(evolution_problem(old, now, "").empty());
  eddy::detail::evolution e;
  e.add(old, now);
  BOOST_TEST(e.structs.count(name_of_account()) == 1u);
  account a;
  {
    evolution_scope scope{&e};
    a = eddy::decode<account>(old_bytes);
  }
  BOOST_TEST(a.balance == -42);
  BOOST_TEST(a.limit == 500);
  BOOST_TEST(a.owner == "bob");
  // Outside the scope the current layout is read again.
  auto again = eddy::decode<account>(eddy::encode(account{1, 2, "c"}));
  BOOST_TEST(again.limit == 2);
}

BOOST_AUTO_TEST_CASE(a_field_whose_type_changed_or_another_struct_is_a_problem_naming_it) {
  auto now = parse_schema(eddy::schema_of<account>());
  auto changed = parse_schema("struct " + name_of_account() + "{balance:string,owner:string}");
  BOOST_TEST(evolution_problem(changed, now, "") == "field balance was string and is i64 now");
  auto other = parse_schema("struct OtherType{balance:i64}");
  BOOST_TEST(evolution_problem(other, now, "").find("was struct OtherType") != std::string::npos);
  BOOST_TEST(evolution_problem(parse_schema("i32"), parse_schema("i64"), "") == "the value was i32 and is i64 now");
  BOOST_TEST(evolution_problem(now, now, "").empty());
}

BOOST_AUTO_TEST_SUITE_END()
