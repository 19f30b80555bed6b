// Entries on their way to disk: what each releases waits until the journal
// says it is durable, oldest first, and a watermark never overtakes the
// outputs held back before it.

#include "partition/in_flight.hpp"

#include <boost/test/unit_test.hpp>

#include <vector>

#include "actors/partition/fixtures.hpp"

using namespace eddy;
using entries = actors::in_flight_entries;

namespace {

actors::in_flight_entry entry(uint64_t seq, int64_t watermark = min_time) {
  actors::in_flight_entry e;
  e.seq = seq;
  e.watermark = watermark;
  e.outputs.push_back({0, test::records(seq, 1)});
  return e;
}

std::vector<uint64_t> release_through(entries& es, uint64_t seq) {
  std::vector<uint64_t> released;
  es.durable(seq, [&](actors::in_flight_entry& e) { released.push_back(e.seq); });
  return released;
}

} // namespace

BOOST_AUTO_TEST_SUITE(in_flight)

BOOST_AUTO_TEST_CASE(a_durable_reply_releases_every_entry_up_to_its_seq_in_order) {
  entries es;
  es.push(entry(1));
  es.push(entry(2));
  es.push(entry(3));
  BOOST_TEST(release_through(es, 2) == (std::vector<uint64_t>{1, 2}));
  BOOST_TEST(!es.empty());
  BOOST_TEST(release_through(es, 2).empty()); // a repeated reply
  BOOST_TEST(release_through(es, 3) == (std::vector<uint64_t>{3}));
  BOOST_TEST(es.empty());
}

BOOST_AUTO_TEST_CASE(a_watermark_without_an_entry_rides_on_the_newest_in_flight) {
  entries es;
  es.push(entry(1, 10));
  BOOST_TEST(es.carry(20));
  int64_t released = min_time;
  es.durable(1, [&](actors::in_flight_entry& e) { released = e.watermark; });
  BOOST_TEST(released == 20);
}

BOOST_AUTO_TEST_CASE(with_nothing_in_flight_a_watermark_is_not_carried) {
  entries es;
  BOOST_TEST(!es.carry(20));
}

BOOST_AUTO_TEST_CASE(the_outputs_held_back_are_visible_oldest_first) {
  entries es;
  es.push(entry(4));
  es.push(entry(7));
  std::vector<uint64_t> firsts;
  es.for_each_output([&](const actors::target_batch& tb) { firsts.push_back(tb.batch.first_seq); });
  BOOST_TEST(firsts == (std::vector<uint64_t>{4, 7}));
}

BOOST_AUTO_TEST_SUITE_END()
