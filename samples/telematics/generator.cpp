#include "generator.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <tuple>

#include "sample_support.hpp"
#include "samples_csv.hpp"

namespace telematics {

namespace {

constexpr int64_t second = 1000;
constexpr int64_t minute = 60 * second;
constexpr int64_t hour = 60 * minute;

enum class style { calm, aggressive, night };

style style_of(int64_t vehicle) {
  switch (vehicle % 5) {
    case 0:
      return style::aggressive;
    case 1:
      return style::night;
    default:
      return style::calm;
  }
}

/// One vehicle on the road: position, heading and speed, moved step by step.
struct vehicle_state {
  double lat = 48.137; // degrees, around Munich
  double lon = 11.575;
  double heading = 0;  // radians
  int64_t speed = 0;   // km/h
};

/// Appends one trip of `v` from `t` with `driver`; returns its last time.
int64_t drive(samples::random_source& rnd, vehicle_state& v, int64_t vehicle, int64_t driver,
              style s, int64_t t, std::vector<sample>& out) {
  auto length = 5 * minute + rnd.below(45 * minute);
  auto end = t + length;
  int64_t cruise = s == style::aggressive ? 135 : 95;
  int64_t top = s == style::aggressive ? 170 : 125;
  auto harsh_chance = s == style::aggressive ? 0.02 : 0.002;
  v.speed = 0;
  for (;;) {
    out.push_back({vehicle, driver, t, std::llround(v.lat * 1e6), std::llround(v.lon * 1e6), v.speed});
    auto dt = 2 * second + rnd.below(2 * second + 1);
    if (t + dt > end)
      return t;
    if (rnd.unit() < 0.002) { // a stop at lights or in a jam: no samples for a while
      dt += minute + rnd.below(6 * minute);
      v.speed = 0;
    } else if (v.speed > 40 && rnd.unit() < harsh_chance) {
      v.speed = std::max<int64_t>(0, v.speed - (13 + rnd.below(int64_t{13})) * dt / second);
    } else {
      auto toward = v.speed < cruise ? 6 : -4; // accelerate to cruise, then wander around it
      v.speed = std::clamp<int64_t>(v.speed + toward + rnd.below(int64_t{9}) - 4, 0, top);
    }
    v.heading += (rnd.unit() - 0.5) * 0.3;
    double metres = static_cast<double>(v.speed) / 3.6 * static_cast<double>(dt) / 1000.0;
    v.lat += metres * std::cos(v.heading) / 111'195.0;
    v.lon += metres * std::sin(v.heading) / (111'195.0 * std::cos(v.lat * std::numbers::pi / 180));
    t += dt;
  }
}

} // namespace

std::vector<sample> generate_samples(const generator_config& config) {
  samples::random_source rnd{config.seed};
  std::vector<sample> out;
  std::vector<int64_t> arrival;
  for (int64_t vehicle = 0; vehicle < config.vehicles; ++vehicle) {
    auto s = style_of(vehicle);
    bool shared = vehicle % 4 == 3;
    vehicle_state v;
    v.lat += static_cast<double>(rnd.below(int64_t{200'000})) / 1e6 - 0.1;
    v.lon += static_cast<double>(rnd.below(int64_t{200'000})) / 1e6 - 0.1;
    int64_t trip_no = 0;
    int64_t free_from = 0; // a vehicle's trips never overlap
    for (int64_t day = 0; day < config.days; ++day) {
      auto day_start = config.start_ms + day * 24 * hour;
      // Night drivers set off between 21:00 and 02:00, the others from 06:00 on.
      auto t = day_start + (s == style::night ? 21 * hour : 6 * hour) + rnd.below(5 * hour);
      t = std::max(t, free_from);
      auto trips = 1 + rnd.below(int64_t{4});
      for (int64_t k = 0; k < trips; ++k, ++trip_no) {
        auto driver = shared && trip_no % 2 == 1 ? (vehicle + 1) % config.vehicles : vehicle;
        auto last = drive(rnd, v, vehicle, driver, s, t, out);
        t = last + 15 * minute + rnd.below(3 * hour); // longer than any trip gap we test with
        free_from = t;
      }
    }
  }
  arrival.reserve(out.size());
  for (auto& x : out)
    arrival.push_back(x.ts + (config.max_delay_ms > 0 ? rnd.below(config.max_delay_ms + 1) : 0));
  std::vector<size_t> order(out.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  // Arrival order; ties by time then vehicle, which are unique together.
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::tie(arrival[a], out[a].ts, out[a].vehicle)
           < std::tie(arrival[b], out[b].ts, out[b].vehicle);
  });
  std::vector<sample> sorted;
  sorted.reserve(out.size());
  for (auto i : order)
    sorted.push_back(out[i]);
  return sorted;
}

std::string generate(const generator_config& config, const std::filesystem::path& out) {
  if (config.vehicles < 1 || config.days < 1 || config.max_delay_ms < 0)
    return "vehicles and days must be at least 1, the delay at least 0";
  return samples::write_lines(out, generate_samples(config),
                              [](const sample& s) { return format(s); });
}

} // namespace telematics
