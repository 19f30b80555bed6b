// The queries that look at one bid at a time: they run in the source's
// chain, with no keyed stage and no state.

#include <algorithm>
#include <cctype>
#include <array>
#include <optional>
#include <string_view>

#include "queries/queries.hpp"
#include "queries/rows.hpp"

namespace nexmark::queries {

namespace {

using rows::row;

/// A stream of `f(const bid&)` rows for the bids of `in` for which `f`
/// returns a row (a std::optional<std::string>, or a std::string: always).
template <class F>
rows_stream per_bid(events in, F f) {
  return in.flat_map([f](const event& e, eddy::collector<std::string>& out) {
    auto* b = std::get_if<bid>(&e);
    if (!b)
      return;
    if constexpr (std::is_same_v<decltype(f(*b)), std::string>) {
      out(f(*b));
    } else if (auto r = f(*b)) {
      out(*r);
    }
  });
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == y;
         });
}

/// q21's channel id: the named channels' numbers, else the url's `channel_id=`.
std::optional<std::string_view> channel_id(const bid& b) {
  static constexpr std::array<std::string_view, 4> named{"apple", "google", "facebook", "baidu"};
  static constexpr std::array<std::string_view, 4> numbers{"0", "1", "2", "3"};
  for (size_t i = 0; i < named.size(); ++i)
    if (iequals(b.channel, named[i]))
      return numbers[i];
  constexpr std::string_view param = "channel_id=";
  std::string_view url = b.url;
  auto at = url.find(param);
  if (at == std::string_view::npos)
    return std::nullopt;
  auto value = url.substr(at + param.size());
  return value.substr(0, value.find('&'));
}

/// q14's label for the UTC hour of `ms`.
std::string_view bid_time_type(int64_t ms) {
  auto hour = ((ms % rows::day_ms + rows::day_ms) % rows::day_ms) / 3'600'000;
  if (hour >= 8 && hour <= 18)
    return "dayTime";
  if (hour <= 6 || hour >= 20)
    return "nightTime";
  return "otherTime";
}

} // namespace

rows_stream q0(events in) {
  return per_bid(in, [](const bid& b) -> std::string {
    return row{} << b.auction << b.bidder << b.price << b.date_time;
  });
}

rows_stream q1(events in) {
  return per_bid(in, [](const bid& b) -> std::string {
    return (row{} << b.auction << b.bidder).fixed3(rows::to_eur(b.price)) << b.date_time;
  });
}

rows_stream q2(events in) {
  return per_bid(in, [](const bid& b) -> std::optional<std::string> {
    if (b.auction % 123 != 0)
      return std::nullopt;
    return row{} << b.auction << b.price;
  });
}

rows_stream q14(events in) {
  return per_bid(in, [](const bid& b) -> std::optional<std::string> {
    auto eur = rows::to_eur(b.price);
    if (!(eur > 1'000'000 && eur < 50'000'000))
      return std::nullopt;
    auto c_count = static_cast<int64_t>(std::count(b.extra.begin(), b.extra.end(), 'c'));
    return (row{} << b.auction << b.bidder).fixed3(eur)
           << bid_time_type(b.date_time) << b.date_time << c_count;
  });
}

rows_stream q21(events in) {
  return per_bid(in, [](const bid& b) -> std::optional<std::string> {
    auto id = channel_id(b);
    if (!id)
      return std::nullopt;
    return row{} << b.auction << b.bidder << b.price << b.channel << *id;
  });
}

rows_stream q22(events in) {
  return per_bid(in, [](const bid& b) -> std::string {
    // Pieces 4..6 (1-based) of the url split at '/'; absent ones are empty.
    std::array<std::string_view, 3> dirs{};
    std::string_view url = b.url;
    size_t piece = 1;
    for (size_t begin = 0; piece <= 6;) {
      auto slash = url.find('/', begin);
      if (piece >= 4)
        dirs[piece - 4] = url.substr(begin, slash == std::string_view::npos ? slash : slash - begin);
      if (slash == std::string_view::npos)
        break;
      begin = slash + 1;
      ++piece;
    }
    return row{} << b.auction << b.bidder << b.price << b.channel << dirs[0] << dirs[1] << dirs[2];
  });
}

} // namespace nexmark::queries

namespace nexmark::queries {

eddy::stream<bid_core> bid_cores(events in) {
  return in.flat_map([](const event& e, eddy::collector<bid_core>& out) {
    if (auto* b = std::get_if<bid>(&e))
      out(bid_core{b->auction, b->bidder, b->price, b->date_time});
  });
}

} // namespace nexmark::queries
