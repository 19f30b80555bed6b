// Deliveries that wait for output credit: a partition without credit
// applies nothing more, and what waits goes on in order once acks return it.

#include "partition/pending_inputs.hpp"

#include <boost/test/unit_test.hpp>

#include <vector>

using namespace eddy;
using pending = actors::pending_inputs;

namespace {

actors::deliver_msg delivery(int64_t watermark) {
  actors::deliver_msg d;
  d.watermark = watermark; // tells the deliveries apart
  return d;
}

} // namespace

BOOST_AUTO_TEST_SUITE(pending_inputs)

BOOST_AUTO_TEST_CASE(a_delivery_with_credit_and_nothing_waiting_is_applied_at_once) {
  pending p;
  auto d = delivery(1);
  BOOST_TEST(!p.wait(d, true));
  BOOST_TEST(p.empty());
}

BOOST_AUTO_TEST_CASE(without_credit_deliveries_wait_and_keep_their_order) {
  pending p;
  auto a = delivery(1), b = delivery(2), c = delivery(3);
  BOOST_TEST(p.wait(a, false));
  BOOST_TEST(p.wait(b, true)); // credit came back, but a goes first
  BOOST_TEST(p.wait(c, false));
  std::vector<int64_t> applied;
  p.drain([] { return true; }, [&](const actors::deliver_msg& d) {
    applied.push_back(d.watermark);
    return true;
  });
  BOOST_TEST(applied == (std::vector<int64_t>{1, 2, 3}));
  BOOST_TEST(p.empty());
}

BOOST_AUTO_TEST_CASE(draining_stops_when_credit_runs_out_again) {
  pending p;
  auto a = delivery(1), b = delivery(2);
  p.wait(a, false);
  p.wait(b, false);
  int credit = 1; // applying one delivery spends the window
  std::vector<int64_t> applied;
  p.drain([&] { return credit > 0; }, [&](const actors::deliver_msg& d) {
    applied.push_back(d.watermark);
    --credit;
    return true;
  });
  BOOST_TEST(applied == (std::vector<int64_t>{1}));
  BOOST_TEST(!p.empty());
}

BOOST_AUTO_TEST_CASE(draining_stops_when_user_code_threw) {
  pending p;
  auto a = delivery(1), b = delivery(2);
  p.wait(a, false);
  p.wait(b, false);
  int calls = 0;
  p.drain([] { return true; }, [&](const actors::deliver_msg&) {
    ++calls;
    return false; // the partition failed: it applies nothing more
  });
  BOOST_TEST(calls == 1);
  BOOST_TEST(!p.empty());
}

BOOST_AUTO_TEST_SUITE_END()
