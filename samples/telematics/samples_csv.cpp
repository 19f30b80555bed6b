#include "samples_csv.hpp"

#include <array>
#include <charconv>

namespace telematics {

namespace {

bool parse_int(std::string_view s, int64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc{} && p == s.data() + s.size();
}

struct field_rule {
  const char* name;
  int64_t min;
  int64_t max;
};

constexpr int64_t any = INT64_MAX;

// In the order of the line's fields.
constexpr std::array<field_rule, 6> rules{{{"vehicle", 0, any},
                                           {"driver", 0, any},
                                           {"ts_ms", -any, any},
                                           {"lat", -90'000'000, 90'000'000},
                                           {"lon", -180'000'000, 180'000'000},
                                           {"speed_kmh", 0, 400}}};

} // namespace

bool parse(std::string_view line, sample& out, std::string& reason) {
  std::array<int64_t, 6> values{};
  size_t n = 0;
  for (size_t begin = 0;; ++n) {
    auto comma = line.find(',', begin);
    auto field = line.substr(begin, comma == std::string_view::npos ? comma : comma - begin);
    if (n < rules.size()) {
      const auto& rule = rules[n];
      if (!parse_int(field, values[n])) {
        reason = std::string{rule.name} + " is not an integer";
        return false;
      }
      if (values[n] < rule.min || values[n] > rule.max) {
        reason = std::string{rule.name} + " is out of range";
        return false;
      }
    }
    if (comma == std::string_view::npos)
      break;
    begin = comma + 1;
  }
  if (n + 1 != rules.size()) {
    reason = "expected 6 fields, got " + std::to_string(n + 1);
    return false;
  }
  out = {values[0], values[1], values[2], values[3], values[4], values[5]};
  return true;
}

std::string format(const sample& s) {
  return std::to_string(s.vehicle) + "," + std::to_string(s.driver) + "," + std::to_string(s.ts)
         + "," + std::to_string(s.lat) + "," + std::to_string(s.lon) + ","
         + std::to_string(s.speed_kmh);
}

} // namespace telematics
