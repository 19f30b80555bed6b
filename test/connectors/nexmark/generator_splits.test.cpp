// Stride splits of the Nexmark generator: split i of n generates events i,
// i+n, i+2n, ...; together they are exactly the single generator's events.

#include "eddy/connectors/nexmark/generator.hpp"

#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>
#include <vector>

namespace nx = eddy::connectors::nexmark;

namespace {

/// Reads `src` from `position` to its end, `batch` events per read().
std::vector<nx::event> read_from(eddy::source<nx::event>& src, const std::string& position,
                                 size_t batch) {
  auto err = src.open(position);
  BOOST_REQUIRE_MESSAGE(!err, err.message());
  std::vector<nx::event> out;
  while (!src.finished()) {
    auto n = src.read(batch, [&](const nx::event& e) { out.push_back(e); });
    BOOST_REQUIRE(n);
  }
  return out;
}

std::unique_ptr<eddy::source<nx::event>> reader(const eddy::source<nx::event>& src,
                                                const std::string& split) {
  auto r = src.reader(split);
  BOOST_REQUIRE_MESSAGE(r, (r ? std::string{} : r.error().message()));
  BOOST_REQUIRE(*r != nullptr);
  return std::move(*r);
}

} // namespace

BOOST_AUTO_TEST_SUITE(generator_splits)

BOOST_AUTO_TEST_CASE(the_union_of_n_stride_splits_is_exactly_the_single_generator) {
  nx::generator_config config{.events = 1'003, .seed = 7, .rate = 1'000};
  auto whole = nx::source(config);
  auto all = read_from(*whole, "", 100);
  BOOST_REQUIRE(all.size() == 1'003u);
  for (uint32_t n : {1u, 2u, 3u, 4u}) {
    BOOST_TEST_CONTEXT(n << " splits") {
      auto splits = whole->splits(n);
      BOOST_REQUIRE(splits);
      BOOST_REQUIRE(splits->size() == n);
      std::vector<std::optional<nx::event>> merged(config.events);
      size_t total = 0;
      for (uint32_t i = 0; i < n; ++i) {
        BOOST_TEST((*splits)[i] == std::to_string(i) + "/" + std::to_string(n));
        auto r = reader(*whole, (*splits)[i]);
        auto events = read_from(*r, "", 37);
        // Event k of split i is event i + k*n: same ids, fields and times.
        for (size_t k = 0; k < events.size(); ++k) {
          auto number = i + k * n;
          BOOST_REQUIRE(number < merged.size());
          BOOST_REQUIRE(!merged[number]);
          merged[number] = events[k];
        }
        total += events.size();
      }
      BOOST_TEST(total == all.size());
      for (size_t e = 0; e < all.size(); ++e)
        BOOST_TEST((merged[e] && *merged[e] == all[e]), "event " << e);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_split_resumes_at_its_position_and_checks_it_belongs_to_it) {
  nx::generator_config config{.events = 100};
  auto whole = nx::source(config);
  auto first = reader(*whole, "1/3");
  auto all = read_from(*first, "", 1'000);
  BOOST_REQUIRE(all.size() == 33u); // 1, 4, ..., 97
  BOOST_REQUIRE(!first->open(""));
  BOOST_REQUIRE(first->read(5, [](const nx::event&) {}));
  BOOST_TEST(first->position() == "16");
  auto resumed = reader(*whole, "1/3");
  auto rest = read_from(*resumed, first->position(), 4);
  BOOST_TEST((rest == std::vector<nx::event>(all.begin() + 5, all.end())));
  BOOST_TEST(resumed->position() == "100");
  for (auto bad : {"15", "x", "103"})
    BOOST_TEST((reader(*whole, "1/3")->open(bad).code() == eddy::errc::corrupt), bad);
  BOOST_TEST(!reader(*whole, "2/3")->open("101")); // the end of split 2: 101 > 99
  for (auto bad : {"3/3", "1/0", "1", "a/b", "1/3x"})
    BOOST_TEST(!whole->reader(bad), bad);
}

BOOST_AUTO_TEST_SUITE_END()
