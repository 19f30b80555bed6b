#include "split_positions.hpp"

#include <charconv>

namespace eddy::actors {

namespace {

constexpr std::string_view tag = "eddy-splits/1;";

void put(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
}

/// Takes the next "<length>:<bytes>" field off the front of `in`.
bool take(std::string_view& in, std::string_view& field) {
  auto colon = in.find(':');
  size_t n = 0;
  if (colon == std::string_view::npos)
    return false;
  auto [end, ec] = std::from_chars(in.data(), in.data() + colon, n);
  if (ec != std::errc{} || end != in.data() + colon || colon == 0 || n > in.size() - colon - 1)
    return false;
  field = in.substr(colon + 1, n);
  in.remove_prefix(colon + 1 + n);
  return true;
}

bool take_number(std::string_view& in, uint64_t& x) {
  std::string_view field;
  if (!take(in, field))
    return false;
  auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), x);
  return ec == std::errc{} && end == field.data() + field.size() && !field.empty();
}

} // namespace

bool is_split_positions(std::string_view text) {
  return text.starts_with(tag);
}

std::string encode(const split_positions& x) {
  std::string out{tag};
  put(out, std::to_string(x.desired));
  put(out, std::to_string(x.turn));
  put(out, std::to_string(x.next));
  put(out, std::to_string(x.splits.size()));
  for (auto& [split, position] : x.splits) {
    put(out, split);
    put(out, position);
  }
  return out;
}

std::optional<split_positions> decode_split_positions(std::string_view text) {
  if (!is_split_positions(text))
    return std::nullopt;
  text.remove_prefix(tag.size());
  split_positions x;
  uint64_t desired = 0, count = 0;
  if (!take_number(text, desired) || desired > UINT32_MAX || !take_number(text, x.turn)
      || x.turn == 0 || !take_number(text, x.next) || !take_number(text, count))
    return std::nullopt;
  x.desired = static_cast<uint32_t>(desired);
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view split, position;
    if (!take(text, split) || !take(text, position))
      return std::nullopt;
    x.splits.emplace_back(std::string{split}, std::string{position});
  }
  if (!text.empty() || (count > 0 && x.next >= count))
    return std::nullopt;
  return x;
}

} // namespace eddy::actors
