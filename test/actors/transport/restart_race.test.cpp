// A partition restarts while messages of its old incarnation are still on
// their way. Its exchange must follow the newest incarnation: deliver only
// to the one that said hello last, and hold its watermark back until the
// answers to its own greeting, not its predecessor's, have come.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <vector>

#include <caf/all.hpp>

#include "actors/transport/fixtures.hpp"
#include "exchange_actor.hpp"

using namespace eddy;
using eddy::test::batch;
using eddy::test::frame;
using eddy::test::take_deliveries;

namespace {

using eddy::test::seqs;

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

/// One keyed exchange (one stage of 2 key groups, one instance) between a
/// scripted source and sink, and scripted incarnations of its partition 0;
/// not connected yet (connect() sends its init).
struct unconnected_exchange {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor source{sys};
  caf::scoped_actor sink{sys};
  dataflow::graph graph = test::chain(1);
  std::shared_ptr<const actors::plan> the_plan
      = std::make_shared<const actors::plan>(actors::plan::of(graph, 2, 1));
  caf::actor exchange = actors::spawn_exchange(sys, {the_plan, 1, 0, 0, 5});

  void connect() {
    std::vector<caf::actor> all{caf::actor_cast<caf::actor>(source), exchange,
                                caf::actor_cast<caf::actor>(sink)};
    source->send(exchange, actors::init_atom::value, std::move(all));
  }
  ~unconnected_exchange() {
    source->send_exit(exchange, caf::exit_reason::kill);
  }

  /// Incarnation `epoch` of partition 0 says hello with no marks.
  void hello(caf::scoped_actor& incarnation, uint64_t epoch) {
    incarnation->send(exchange, actors::hello_msg{{0, {}}, epoch});
  }

  /// The source takes the next greeting, checks it is for partition 0, and
  /// answers it with batch 1..3 on channel (source → 0).
  void source_answers_with_a_batch() {
    bool greeted = false;
    source->receive(
        [&](actors::greeting_msg& g) {
          greeted = g.hellos.size() == 1 && g.hellos[0].consumer == 0;
        },
        caf::after(std::chrono::seconds(10)) >> [] {});
    BOOST_REQUIRE_MESSAGE(greeted, "the source got no greeting for partition 0");
    source->send(exchange, frame(0, 0, {{0, 0, batch(1, 3)}}, {0}));
  }

  /// The seqs `incarnation` is delivered next (empty if nothing comes).
  seqs delivered_to(caf::scoped_actor& incarnation) {
    seqs result{};
    incarnation->receive([&](actors::deliver_msg& d) { result = test::seqs_of(d.batches, 0); },
                         caf::after(std::chrono::seconds(10)) >> [] {});
    return result;
  }

  /// True if nothing waits in the mailbox of `incarnation`.
  static bool nothing_for(caf::scoped_actor& incarnation) {
    return incarnation->mailbox().empty();
  }
};

struct scripted_exchange : unconnected_exchange {
  scripted_exchange() {
    connect();
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

BOOST_FIXTURE_TEST_CASE(an_exchange_redelivers_to_the_incarnation_that_said_hello_last,
                        scripted_exchange) {
  caf::scoped_actor old_one{sys};
  caf::scoped_actor new_one{sys};
  hello(old_one, 1);
  source_answers_with_a_batch();
  BOOST_TEST((delivered_to(old_one) == seqs{{1, 3}}));
  hello(new_one, 2); // the old one died before its entry was durable
  source_answers_with_a_batch();
  BOOST_TEST((delivered_to(new_one) == seqs{{1, 3}}));
  BOOST_TEST(nothing_for(old_one));
}

BOOST_FIXTURE_TEST_CASE(a_late_hello_of_an_old_incarnation_does_not_take_the_partition_back,
                        scripted_exchange) {
  caf::scoped_actor old_one{sys};
  caf::scoped_actor new_one{sys};
  hello(new_one, 2);
  hello(old_one, 1); // delayed on its way (another node), it comes after the new one's
  source_answers_with_a_batch();
  BOOST_TEST((delivered_to(new_one) == seqs{{1, 3}}));
  BOOST_TEST(nothing_for(old_one));
  BOOST_TEST(nothing_for(source)); // the stale hello asked for no greeting
}

// A node spawns its partitions before a cluster has placed the rest, so
// that they recover meanwhile (node.hpp): their hellos come before init.
BOOST_FIXTURE_TEST_CASE(a_hello_before_the_exchange_is_connected_is_answered_once_it_is,
                        unconnected_exchange) {
  caf::scoped_actor partition{sys};
  hello(partition, 1);
  connect();
  source_answers_with_a_batch();
  BOOST_TEST((delivered_to(partition) == seqs{{1, 3}}));
}

// The node's view of where a consumer runs can lag or be wrong (a worker
// that hung while the consumer's slice moved twice): the consumer's newest
// incarnation, the one that passed the epoch fence, is where it greets from.
BOOST_FIXTURE_TEST_CASE(an_exchange_answers_a_moved_consumer_where_its_greeting_came_from,
                        scripted_exchange) {
  caf::scoped_actor moved_sink{sys}; // stage 2 instance 0, epoch 3, on another node
  moved_sink->send(exchange, actors::greeting_msg{2, 0, 3, {{0, {}}}});
  bool answered = false;
  moved_sink->receive([&](actors::frame_msg& f) { answered = f.producer_stage == 1 && f.answers.size() == 1; },
                      caf::after(std::chrono::seconds(10)) >> [] {});
  BOOST_TEST(answered, "the moved sink got no answer to its greeting");
  BOOST_TEST(nothing_for(sink)); // where the node last said it runs
  // An ack from an older incarnation passes nothing and takes nothing back.
  sink->send(exchange, actors::frame_ack_msg{2, 0, 2, {}});
  moved_sink->send(exchange, actors::greeting_msg{2, 0, 3, {{0, {}}}});
  answered = false;
  moved_sink->receive([&](actors::frame_msg& f) { answered = f.answers.size() == 1; },
                      caf::after(std::chrono::seconds(10)) >> [] {});
  BOOST_TEST(answered);
  BOOST_TEST(nothing_for(sink));
}

BOOST_AUTO_TEST_SUITE_END()
