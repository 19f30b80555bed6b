#pragma once

// Redis stream entry ids, "<ms>-<seq>", compared as the server orders them.

#include <charconv>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eddy::connectors::redis::detail {

struct stream_id {
  uint64_t ms = 0;
  uint64_t seq = 0;

  friend auto operator<=>(const stream_id&, const stream_id&) = default;

  /// The id `text` ("1700000000000-3"), if it is one.
  static std::optional<stream_id> parse(std::string_view text) {
    auto dash = text.find('-');
    if (dash == std::string_view::npos)
      return std::nullopt;
    stream_id id;
    if (!whole_number(text.substr(0, dash), id.ms) || !whole_number(text.substr(dash + 1), id.seq))
      return std::nullopt;
    return id;
  }

  std::string to_string() const {
    return std::to_string(ms) + "-" + std::to_string(seq);
  }

private:
  static bool whole_number(std::string_view s, uint64_t& out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return !s.empty() && ec == std::errc{} && end == s.data() + s.size();
  }
};

} // namespace eddy::connectors::redis::detail
