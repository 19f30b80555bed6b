// Resolving a query of one key's state (actors/src/query/target.cpp): the
// operator by uid or name, the key text into the bytes records are routed
// by, their key group and instance, and the errors for what a job has not.

#include <boost/test/unit_test.hpp>

#include "eddy/connectors/memory/memory.hpp"
#include "eddy/job.hpp"
#include "eddy/key_group.hpp"
#include "eddy/state.hpp"
#include "plan.hpp"
#include "query/target.hpp"

using namespace eddy;
namespace memory = eddy::connectors::memory;

namespace {

struct point {
  int32_t x = 0;
  int32_t y = 0;
};

template <class Inspector>
auto inspect(Inspector& f, point& p) {
  return f(p.x, p.y);
}

struct sum_by_number {
  value_state<int64_t> sum{"sum"};
  void on_record(const int64_t& x, context<int64_t>& ctx) {
    sum = sum.value_or(0) + x;
    ctx.emit(*sum);
  }
};

struct count_by_point {
  value_state<int64_t> count;
  void on_record(const int64_t&, context<int64_t>& ctx) {
    count = count.value_or(0) + 1;
    ctx.emit(*count);
  }
};

/// Numbers keyed by themselves (uid "sums", parallelism 4), then by a point.
struct two_stage_job {
  job j{"query-targets"};
  actors::plan p;
  two_stage_job() {
    j.config().max_key_groups = 64;
    j.source(memory::generate(10, [](uint64_t i) { return static_cast<int64_t>(i); }))
      .key_by([](const int64_t& x) { return x; })
      .process<sum_by_number>()
      .uid("sums")
      .parallelism(4)
      .key_by([](const int64_t& x) { return point{static_cast<int32_t>(x), 0}; })
      .process<count_by_point>()
      .sink(memory::to_vector(std::make_shared<std::vector<int64_t>>()));
    p = actors::plan::of(j.graph(), 64, 2);
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(query_target)

BOOST_AUTO_TEST_CASE(an_integer_key_given_as_text_goes_to_the_key_group_and_instance_its_records_go_to) {
  two_stage_job t;
  auto r = actors::query::resolve(t.j, t.p, "sums", "-17");
  BOOST_REQUIRE_MESSAGE(r, (r ? std::string{} : r.error().message()));
  std::string bytes;
  append_key_bytes(bytes, int64_t{-17});
  BOOST_TEST(r->key_bytes == bytes);
  BOOST_TEST(r->stage == 1u);
  BOOST_TEST(r->key_group == key_group_of(bytes, 64));
  BOOST_TEST(r->exchange == t.p.exchange_id(1, instance_of(r->key_group, 64, 4)));
  BOOST_TEST(actors::query::answer_json(*r, R"({"sum":3})")
             == R"({"operator":"sums","key":"-17","key_group":)" + std::to_string(r->key_group)
                  + R"(,"states":{"sum":3}})");
}

BOOST_AUTO_TEST_CASE(an_operator_is_found_by_its_name_too) {
  two_stage_job t;
  auto r = actors::query::resolve(t.j, t.p, t.j.graph().keyed[0].name, "5");
  BOOST_REQUIRE_MESSAGE(r, (r ? std::string{} : r.error().message()));
  BOOST_TEST(r->op == "sums"); // answered by its uid
}

BOOST_AUTO_TEST_CASE(an_unknown_operator_a_bad_key_and_a_key_type_without_text_are_refused_as_invalid) {
  two_stage_job t;
  auto unknown = actors::query::resolve(t.j, t.p, "nope", "1");
  BOOST_REQUIRE(!unknown);
  BOOST_TEST((unknown.error().code() == errc::invalid_argument));
  BOOST_TEST(unknown.error().message().find("has no keyed operator 'nope' (it has: sums, ") != std::string::npos,
             unknown.error().message());
  auto bad = actors::query::resolve(t.j, t.p, "sums", "12 apples");
  BOOST_REQUIRE(!bad);
  BOOST_TEST(bad.error().message() == "'12 apples' is not a key of operator sums (its keys are of type i64)");
  auto by_point = actors::query::resolve(t.j, t.p, t.j.graph().keyed[1].id(), "1,0");
  BOOST_REQUIRE(!by_point);
  BOOST_TEST((by_point.error().code() == errc::invalid_argument));
  BOOST_TEST(by_point.error().message().find("'s keys (type point) cannot be given as text") != std::string::npos,
             by_point.error().message());
}

BOOST_AUTO_TEST_SUITE_END()
