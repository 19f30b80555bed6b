// How a cluster's slices (journals of state) are shared among its workers:
// a fair share for each alive worker with as few moves as can be, and a
// worker that returns gets its own slices back.

#include "placement.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <vector>

using eddy::actors::natural_owners;
using eddy::actors::share_slices;

namespace {

size_t count(const std::vector<uint32_t>& owners, uint32_t w) {
  return static_cast<size_t>(std::count(owners.begin(), owners.end(), w));
}

size_t moves(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  size_t n = 0;
  for (size_t j = 0; j < a.size(); ++j)
    n += a[j] != b[j];
  return n;
}

} // namespace

BOOST_AUTO_TEST_SUITE(slice_shares)

BOOST_AUTO_TEST_CASE(slices_start_in_contiguous_ranges_by_flinks_formula) {
  BOOST_TEST(natural_owners(3, 3) == (std::vector<uint32_t>{0, 1, 2}));
  BOOST_TEST(natural_owners(6, 3) == (std::vector<uint32_t>{0, 0, 1, 1, 2, 2}));
  BOOST_TEST(natural_owners(4, 3) == (std::vector<uint32_t>{0, 0, 1, 2}));
}

BOOST_AUTO_TEST_CASE(an_unchanged_cluster_moves_nothing) {
  auto natural = natural_owners(6, 3);
  BOOST_TEST(share_slices(natural, natural, {true, true, true}) == natural);
}

BOOST_AUTO_TEST_CASE(a_lost_worker_s_slices_spread_over_the_survivors) {
  auto natural = natural_owners(6, 3);
  auto after = share_slices(natural, natural, {true, false, true});
  BOOST_TEST(count(after, 0) == 3u);
  BOOST_TEST(count(after, 2) == 3u);
  BOOST_TEST(moves(natural, after) == 2u); // only worker 1's two slices
}

BOOST_AUTO_TEST_CASE(a_returning_worker_gets_its_own_slices_back) {
  for (uint32_t slices : {3u, 4u, 6u, 12u}) {
    auto natural = natural_owners(slices, 3);
    auto lost = share_slices(natural, natural, {true, false, true});
    BOOST_TEST(share_slices(lost, natural, {true, true, true}) == natural, "slices " << slices);
  }
}

BOOST_AUTO_TEST_CASE(a_joining_worker_gets_a_fair_share_and_nothing_else_moves) {
  auto natural = natural_owners(12, 3);
  auto after = share_slices(natural, natural, {true, true, true, true});
  for (uint32_t w = 0; w < 4; ++w)
    BOOST_TEST(count(after, w) == 3u);
  BOOST_TEST(moves(natural, after) == 3u);
  auto fewer = natural_owners(4, 3); // 2, 1, 1 → 1 each: worker 0 gives one
  auto shared = share_slices(fewer, fewer, {true, true, true, true});
  BOOST_TEST(count(shared, 3) == 1u);
  BOOST_TEST(moves(fewer, shared) == 1u);
}

BOOST_AUTO_TEST_CASE(every_slice_has_an_alive_owner_whatever_is_lost) {
  for (uint32_t slices = 1; slices <= 9; ++slices)
    for (uint32_t mask = 1; mask < 16; ++mask) {
      std::vector<bool> alive;
      for (uint32_t w = 0; w < 4; ++w)
        alive.push_back(mask >> w & 1);
      auto natural = natural_owners(slices, 4);
      auto owners = share_slices(natural, natural, alive);
      size_t most = 0, least = slices;
      for (uint32_t w = 0; w < 4; ++w)
        if (alive[w]) {
          most = std::max(most, count(owners, w));
          least = std::min(least, count(owners, w));
        }
      for (auto w : owners)
        BOOST_TEST(alive.at(w));
      BOOST_TEST(most - least <= 1u, "slices " << slices << " mask " << mask);
    }
}

BOOST_AUTO_TEST_SUITE_END()
