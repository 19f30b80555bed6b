// What a partition's snapshot holds: its user state, every input mark, the
// position of every output channel in use, and every output not
// acknowledged, released or still held back by an entry in flight.

#include "partition/snapshot.hpp"

#include <boost/test/unit_test.hpp>

#include <memory>

#include "actors/partition/fixtures.hpp"
#include "eddy/journal/sqlite_journal.hpp"

using namespace eddy;

BOOST_AUTO_TEST_SUITE(snapshot)

BOOST_AUTO_TEST_CASE(a_snapshot_holds_state_marks_positions_and_every_unacknowledged_output) {
  test::echo_logic logic;
  logic.state = "abc";
  actors::input_channels inputs{1, 2};
  inputs.applied(1, 4);
  actors::outbox outputs{3};
  auto released = test::records(0, 2);
  outputs.assign(0, released); // seqs 1..2, released, not acknowledged
  outputs.sent(0, std::make_shared<const dataflow::record_batch>(released));
  auto acked = test::records(0, 1);
  outputs.assign(2, acked); // seq 1, released and acknowledged
  outputs.sent(2, std::make_shared<const dataflow::record_batch>(acked));
  outputs.ack(2, 1);
  actors::in_flight_entries in_flight;
  actors::in_flight_entry e;
  auto held = test::records(0, 1);
  outputs.assign(0, held); // seq 3, its entry not durable yet
  e.outputs.push_back({0, std::move(held)});
  in_flight.push(std::move(e));

  auto s = actors::snapshot_of(logic, inputs, outputs, in_flight);
  BOOST_TEST(s.state == "abc");
  BOOST_TEST_REQUIRE(s.inputs.size() == 1u);
  BOOST_TEST(s.inputs[0].peer == journal::partition_id_of(1, 1));
  BOOST_TEST(s.inputs[0].seq == 4u);
  BOOST_TEST_REQUIRE(s.next_seqs.size() == 2u); // channel 1 never assigned a seq
  BOOST_TEST(s.next_seqs[0].peer == 0u);
  BOOST_TEST(s.next_seqs[0].seq == 4u);
  BOOST_TEST(s.next_seqs[1].peer == 2u);
  BOOST_TEST(s.acked[1].seq == 1u);
  BOOST_TEST_REQUIRE(s.outbox.size() == 2u);
  BOOST_TEST(s.outbox[0].batch.first_seq == 1u); // released first
  BOOST_TEST(s.outbox[1].batch.first_seq == 3u); // then held back
}

BOOST_AUTO_TEST_SUITE_END()
