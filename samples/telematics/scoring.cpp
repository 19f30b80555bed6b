#include "scoring.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <tuple>

namespace telematics {

namespace {

constexpr int64_t hour_ms = 3'600'000;
constexpr int64_t day_ms = 24 * hour_ms;
constexpr double earth_radius_m = 6'371'000.0;

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int64_t overlap(int64_t a0, int64_t a1, int64_t b0, int64_t b1) {
  return std::max<int64_t>(0, std::min(a1, b1) - std::max(a0, b0));
}

} // namespace

int64_t distance_m(const sample& a, const sample& b) {
  constexpr double rad_per_micro_degree = std::numbers::pi / 180.0 / 1e6;
  double dlat = static_cast<double>(b.lat - a.lat) * rad_per_micro_degree;
  double mean_lat = static_cast<double>(a.lat + b.lat) / 2.0 * rad_per_micro_degree;
  double dlon = static_cast<double>(b.lon - a.lon) * rad_per_micro_degree * std::cos(mean_lat);
  return std::llround(earth_radius_m * std::sqrt(dlat * dlat + dlon * dlon));
}

int64_t night_ms(int64_t from, int64_t to) {
  int64_t total = 0;
  for (auto day = floor_div(from, day_ms); from < to && day <= floor_div(to - 1, day_ms); ++day) {
    auto midnight = day * day_ms;
    total += overlap(from, to, midnight, midnight + 5 * hour_ms);
    total += overlap(from, to, midnight + 22 * hour_ms, midnight + day_ms);
  }
  return total;
}

std::string month_of(int64_t ts) {
  // Howard Hinnant's civil_from_days.
  auto z = floor_div(ts, day_ms) + 719'468;
  auto era = floor_div(z, 146'097);
  auto doe = z - era * 146'097;
  auto yoe = (doe - doe / 1460 + doe / 36'524 - doe / 146'096) / 365;
  auto doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  auto mp = (5 * doy + 2) / 153;
  auto month = mp < 10 ? mp + 3 : mp - 9;
  auto year = yoe + era * 400 + (month <= 2);
  char text[16];
  std::snprintf(text, sizeof text, "%04lld-%02lld", static_cast<long long>(year),
                static_cast<long long>(month));
  return text;
}

trip score_trip(std::vector<sample> samples, const scoring_rules& rules) {
  std::sort(samples.begin(), samples.end(), [](const sample& x, const sample& y) {
    return std::tie(x.ts, x.driver, x.lat, x.lon, x.speed_kmh)
           < std::tie(y.ts, y.driver, y.lat, y.lon, y.speed_kmh);
  });
  trip t;
  t.vehicle = samples.front().vehicle;
  t.driver = samples.front().driver;
  t.start = samples.front().ts;
  t.end = samples.back().ts;
  t.samples = static_cast<int64_t>(samples.size());
  int64_t night = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    const auto& b = samples[i];
    t.speeding += b.speed_kmh > rules.speed_limit_kmh;
    if (i == 0)
      continue;
    const auto& a = samples[i - 1];
    t.distance_m += distance_m(a, b);
    night += night_ms(a.ts, b.ts);
    // A drop of more than the threshold per second: (Δv km/h) / (Δt s) > x.
    auto dt = b.ts - a.ts;
    if (dt > 0 && (a.speed_kmh - b.speed_kmh) * 1000 > rules.harsh_brake_kmh_per_s * dt)
      ++t.harsh_brakes;
  }
  t.night_permille = t.duration_ms() > 0 ? night * 1000 / t.duration_ms() : 0;
  t.risk = risk_score(t);
  return t;
}

int64_t risk_score(const trip& t) {
  auto per_100km_distance = std::max<int64_t>(t.distance_m, 10'000);
  auto braking = std::min<int64_t>(400, 50 * t.harsh_brakes * 100'000 / per_100km_distance);
  auto speeding = t.samples > 0 ? 400 * t.speeding / t.samples : 0;
  auto night = 200 * t.night_permille / 1000;
  return braking + speeding + night;
}

premium monthly_premium(int64_t driver, const std::string& month, const month_totals& totals,
                        const scoring_rules& rules) {
  premium p;
  p.driver = driver;
  p.month = month;
  p.trips = totals.trips;
  p.distance_m = totals.distance_m;
  p.risk = totals.distance_m > 0 ? totals.risk_distance / totals.distance_m : 0;
  p.factor_permille = 800 + 1200 * p.risk / 1000;
  p.premium_cents = rules.base_premium_cents * p.factor_permille / 1000;
  return p;
}

} // namespace telematics
