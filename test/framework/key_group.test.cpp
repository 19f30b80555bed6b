#include "eddy/key_group.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace eddy;

BOOST_AUTO_TEST_SUITE(key_group)

BOOST_AUTO_TEST_CASE(key_hash_is_xxhash64_with_seed_zero) {
  // Published test vector of XXH64: the empty input with seed 0.
  BOOST_TEST(key_hash("") == 0xEF46DB3751D8E999ull);
  BOOST_TEST(key_group_of("", 128) == 0xEF46DB3751D8E999ull % 128);
}

BOOST_AUTO_TEST_CASE(ranges_follow_flinks_formula_and_cover_every_group_once) {
  for (uint32_t max : {1u, 7u, 128u, 1000u}) {
    for (uint32_t p = 1; p <= std::min(max, 37u); ++p) {
      uint32_t next = 0;
      for (uint32_t i = 0; i < p; ++i) {
        auto r = range_of(i, max, p);
        BOOST_TEST(r.first == next);
        BOOST_TEST(r.size() >= 1u);
        for (auto kg = r.first; kg <= r.last; ++kg)
          BOOST_TEST(instance_of(kg, max, p) == i);
        next = r.last + 1;
      }
      BOOST_TEST(next == max);
    }
  }
}

BOOST_AUTO_TEST_CASE(ranges_match_flink_for_128_groups_and_parallelism_3) {
  BOOST_TEST((range_of(0, 128, 3) == key_group_range{0, 42}));
  BOOST_TEST((range_of(1, 128, 3) == key_group_range{43, 85}));
  BOOST_TEST((range_of(2, 128, 3) == key_group_range{86, 127}));
}

BOOST_AUTO_TEST_CASE(key_groups_spread_keys_evenly) {
  std::vector<int> counts(128);
  for (int i = 0; i < 128'000; ++i)
    ++counts[key_group_of("key-" + std::to_string(i), 128)];
  for (auto c : counts) {
    BOOST_TEST(c > 800);
    BOOST_TEST(c < 1200);
  }
}

BOOST_AUTO_TEST_SUITE_END()
