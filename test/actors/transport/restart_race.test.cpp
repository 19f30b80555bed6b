// A partition restarts while messages of its old incarnation are still on
// their way. Its exchange must follow the newest incarnation: hold its
// watermark back until the answers to its own greeting, not its
// predecessor's, have come.

#include <boost/test/unit_test.hpp>

#include <vector>

#include "actors/transport/fixtures.hpp"

using namespace eddy;
using eddy::test::batch;
using eddy::test::frame;
using eddy::test::take_deliveries;

namespace {

using seqs = std::vector<std::pair<uint64_t, uint64_t>>;

/// Stage 2, instance 0 of the two-stage plan, as its exchange keeps it.
struct consuming_instance : test::two_stage_plan {
  actors::inbound in{p, 2, 0, 0, 0};

  /// Both producer instances answer a greeting of consumer 0, instance 0
  /// after redelivering `redelivered`; both at watermark 100.
  void answers_for_0(std::vector<actors::channel_batch> redelivered = {}) {
    in.frame(frame(1, 0, std::move(redelivered), {0}, 100), 0);
    in.frame(frame(1, 1, {}, {0}, 100), 0);
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(restart_race)

BOOST_FIXTURE_TEST_CASE(
    an_answer_to_the_old_incarnations_greeting_does_not_release_the_new_ones_time,
    consuming_instance) {
  in.hello({0, {}}); // the old incarnation
  test::take_greetings(in);
  in.hello({0, {}}); // the new one, before the answers to the old one came
  test::take_greetings(in);
  answers_for_0(); // to the old greeting
  BOOST_TEST(
      take_deliveries(in, true, 0).empty()); // the new greeting's redelivery is still to come
  answers_for_0({{0, 0, batch(1, 2, 100)}});
  auto d = take_deliveries(in, true, 0);
  BOOST_TEST_REQUIRE(d.size() == 1u);
  BOOST_TEST((test::seqs_of(d.at(0).batches, 0) == seqs{{1, 2}}));
  BOOST_TEST(d.at(0).watermark == 100); // after the redelivered batch
}

BOOST_FIXTURE_TEST_CASE(an_answer_to_the_old_incarnations_resend_does_not_release_the_new_ones_time,
                        consuming_instance) {
  in.hello({0, {}});
  test::take_greetings(in);
  answers_for_0();
  in.resend(0, {0, 4}); // the old incarnation saw a gap, then died
  test::take_greetings(in);
  in.hello({0, {}});
  test::take_greetings(in);
  in.frame(frame(1, 0, {}, {0}, 200), 0); // to the resend
  in.frame(frame(1, 1, {}, {0}, 200), 0); // to the new hello
  BOOST_TEST(take_deliveries(in, true, 0).empty());
  in.frame(frame(1, 0, {}, {0}), 0); // to the new hello
  auto d = take_deliveries(in, true, 0);
  BOOST_TEST_REQUIRE(d.size() == 1u);
  BOOST_TEST(d.at(0).watermark == 200);
}

BOOST_AUTO_TEST_SUITE_END()
