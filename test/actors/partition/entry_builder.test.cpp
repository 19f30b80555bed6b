// One journal entry per group of inputs: its state changes, its outputs
// with their channel seqs, its input positions and the acknowledged output
// positions that moved, numbered one after the other.

#include "partition/entry_builder.hpp"

#include <boost/test/unit_test.hpp>

#include "actors/partition/fixtures.hpp"
#include "eddy/journal/sqlite_journal.hpp"
#include "records_codec.hpp"

using namespace eddy;
using builder = actors::entry_builder;

namespace {

/// A partition of stage 2 with one producer of stage 1 and two consumers.
struct group {
  actors::input_channels inputs{1, 1};
  actors::batch_port port{{0}, 2};
  actors::outbox outputs{2};
};

} // namespace

BOOST_AUTO_TEST_SUITE(entry_builder)

BOOST_AUTO_TEST_CASE(a_group_that_changed_nothing_makes_no_entry) {
  builder b;
  group g;
  BOOST_TEST(!b.close({}, g.inputs, g.port, g.outputs, 10).has_value());
  BOOST_TEST(b.seq() == 0u);
}

BOOST_AUTO_TEST_CASE(an_entry_holds_the_groups_changes_inputs_and_outputs) {
  builder b;
  group g;
  g.inputs.applied(0, 5);
  g.port.push(0, 1, "k", 1, "out");
  auto e = b.close("changes", g.inputs, g.port, g.outputs, 42);
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST(e->held.seq == 1u);
  BOOST_TEST(e->held.watermark == 42);
  BOOST_TEST_REQUIRE(e->held.acks.size() == 1u);
  BOOST_TEST(e->held.acks[0].seq == 5u);
  BOOST_TEST_REQUIRE(e->held.outputs.size() == 1u);
  BOOST_TEST(e->held.outputs[0].target == 1u);
  BOOST_TEST(e->held.outputs[0].batch.first_seq == 1u); // the channel's first seq
  BOOST_TEST(g.outputs.next_seq(1) == 2u);
  BOOST_TEST(!g.inputs.acks_due());
  auto body = actors::decode_entry(e->body);
  BOOST_TEST(body.state_log == "changes");
  BOOST_TEST_REQUIRE(body.inputs.size() == 1u);
  BOOST_TEST(body.inputs[0].peer == journal::partition_id_of(1, 0));
  BOOST_TEST(body.inputs[0].seq == 5u);
  BOOST_TEST_REQUIRE(body.outputs.size() == 1u);
  BOOST_TEST(body.outputs[0].batch.data == e->held.outputs[0].batch.data);
}

BOOST_AUTO_TEST_CASE(entries_are_numbered_after_the_recovered_last_seq) {
  builder b;
  b.seq(9);
  group g;
  auto e = b.close("x", g.inputs, g.port, g.outputs, min_time);
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST(e->held.seq == 10u);
  BOOST_TEST(b.seq() == 10u);
}

BOOST_AUTO_TEST_CASE(an_acknowledged_position_is_journaled_once_with_the_next_entry) {
  builder b;
  group g;
  g.port.push(0, 0, "k", 1, "out");
  BOOST_TEST_REQUIRE(b.close({}, g.inputs, g.port, g.outputs, min_time).has_value());
  g.outputs.ack(0, 1);
  b.acked(0);
  b.acked(0); // two acks of one consumer: one position
  BOOST_TEST(!b.close({}, g.inputs, g.port, g.outputs, min_time).has_value()); // waits for an entry
  auto next = b.close("x", g.inputs, g.port, g.outputs, min_time);
  BOOST_TEST_REQUIRE(next.has_value());
  auto body = actors::decode_entry(next->body);
  BOOST_TEST_REQUIRE(body.acked.size() == 1u);
  BOOST_TEST(body.acked[0].peer == 0u);
  BOOST_TEST(body.acked[0].seq == 1u);
  auto after = b.close("y", g.inputs, g.port, g.outputs, min_time);
  BOOST_TEST(actors::decode_entry(after->body).acked.empty());
}

BOOST_AUTO_TEST_CASE(without_a_journal_entries_are_numbered_but_have_no_body) {
  builder b{false};
  group g;
  g.inputs.applied(0, 1);
  auto e = b.close({}, g.inputs, g.port, g.outputs, min_time);
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST(e->held.seq == 1u);
  BOOST_TEST(e->body.empty());
  BOOST_TEST(e->held.acks.size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
