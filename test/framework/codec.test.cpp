#include "eddy/codec.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace {

struct point {
  int64_t x = 0;
  std::string label;
  std::optional<double> weight;
  friend bool operator==(const point&, const point&) = default;
};

template <class Inspector>
auto inspect(Inspector& f, point& p) {
  return f(p.x, p.label, p.weight);
}

} // namespace

BOOST_AUTO_TEST_SUITE(codec)

BOOST_AUTO_TEST_CASE(values_round_trip_through_the_encoding) {
  using value = std::tuple<int32_t, uint64_t, double, bool, std::string, std::vector<int16_t>,
                           std::map<std::string, int>, std::variant<int, std::string>,
                           std::pair<char, float>, std::vector<point>>;
  value v{-7,   1ull << 60, 3.25, true, "hé\tllo", {1, -2, 3}, {{"a", 1}, {"b", 2}},
          "alt", {'c', 1.5f}, {point{1, "one", std::nullopt}, point{-2, "", 0.5}}};
  auto bytes = eddy::encode(v);
  BOOST_TEST((eddy::decode<value>(bytes) == v));
}

BOOST_AUTO_TEST_CASE(varints_use_one_byte_below_128) {
  std::string out;
  eddy::writer w{out};
  w.varint(127);
  BOOST_TEST(out.size() == 1u);
  w.varint(128);
  BOOST_TEST(out.size() == 3u);
  eddy::reader r{out};
  BOOST_TEST(r.varint() == 127u);
  BOOST_TEST(r.varint() == 128u);
}

BOOST_AUTO_TEST_CASE(truncated_or_trailing_bytes_are_decode_errors) {
  auto bytes = eddy::encode(point{5, "label", 2.0});
  for (size_t n = 0; n < bytes.size(); ++n)
    BOOST_CHECK_THROW(eddy::decode<point>(bytes.substr(0, n)), eddy::decode_error);
  BOOST_CHECK_THROW(eddy::decode<point>(bytes + "x"), eddy::decode_error);
  using either = std::variant<int, bool>;
  BOOST_CHECK_THROW(eddy::decode<either>(eddy::encode(uint8_t{9})), eddy::decode_error);
}

BOOST_AUTO_TEST_CASE(string_keys_are_their_raw_bytes_and_other_keys_their_encoding) {
  std::string out;
  eddy::append_key_bytes(out, std::string{"word"});
  BOOST_TEST(out == "word");
  out.clear();
  eddy::append_key_bytes(out, int64_t{1});
  BOOST_TEST(out == eddy::encode(int64_t{1}));
  BOOST_TEST(eddy::decode_key<int64_t>(out) == 1);
  BOOST_TEST(eddy::decode_key<std::string>("word") == "word");
}

BOOST_AUTO_TEST_SUITE_END()
