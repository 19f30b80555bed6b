#pragma once

// The insurer's arithmetic, with no Eddy in it: what a trip's samples say
// about the driving (distance, harsh brakes, speeding, night share), the
// trip's risk score, and a driver's monthly premium. The job and the
// reference both call these, so tests of the streaming compare like with
// like; telematics_scoring.test.cpp checks the formulas on cases by hand.
// Integers throughout (micro-degrees, ms, metres, per-mille), so a result
// does not depend on the order trips arrive in.

#include <cstdint>
#include <string>
#include <vector>

namespace telematics {

/// One position report: `vehicle,driver,ts_ms,lat,lon,speed_kmh`, the
/// position in micro-degrees (WGS84).
struct sample {
  int64_t vehicle = 0;
  int64_t driver = 0;
  int64_t ts = 0; ///< event time, ms since the epoch (UTC)
  int64_t lat = 0; ///< micro-degrees
  int64_t lon = 0; ///< micro-degrees
  int64_t speed_kmh = 0;

  friend bool operator==(const sample&, const sample&) = default;
  friend auto operator<=>(const sample&, const sample&) = default;
};

template <class Inspector>
auto inspect(Inspector& f, sample& x) {
  return f(x.vehicle, x.driver, x.ts, x.lat, x.lon, x.speed_kmh);
}

/// The thresholds of the scoring; the same for the job and the reference.
struct scoring_rules {
  int64_t harsh_brake_kmh_per_s = 12; ///< a drop faster than this between samples is harsh
  int64_t speed_limit_kmh = 120;      ///< a sample above this is speeding
  int64_t base_premium_cents = 5'000; ///< the monthly premium at factor 1
};

/// A closed trip and its score.
struct trip {
  int64_t vehicle = 0;
  int64_t driver = 0;   ///< the driver of its first sample
  int64_t start = 0;    ///< first sample, ms
  int64_t end = 0;      ///< last sample, ms
  int64_t samples = 0;
  int64_t distance_m = 0;
  int64_t harsh_brakes = 0;
  int64_t speeding = 0;        ///< samples above the limit
  int64_t night_permille = 0;  ///< share of the duration between 22:00 and 05:00 UTC
  int64_t risk = 0;            ///< 0 … 1000, see risk_score()

  /// "<vehicle>-<start>": unique, since a vehicle's trips do not overlap.
  std::string id() const {
    return std::to_string(vehicle) + "-" + std::to_string(start);
  }
  int64_t duration_ms() const {
    return end - start;
  }

  friend bool operator==(const trip&, const trip&) = default;
};

template <class Inspector>
auto inspect(Inspector& f, trip& x) {
  return f(x.vehicle, x.driver, x.start, x.end, x.samples, x.distance_m, x.harsh_brakes,
           x.speeding, x.night_permille, x.risk);
}

/// A driver's premium for one month (UTC), over the trips that started in it.
struct premium {
  int64_t driver = 0;
  std::string month; ///< "YYYY-MM"
  int64_t trips = 0;
  int64_t distance_m = 0;
  int64_t risk = 0;          ///< distance-weighted mean of the trips' risk, 0 … 1000
  int64_t factor_permille = 0;
  int64_t premium_cents = 0;

  friend bool operator==(const premium&, const premium&) = default;
};

template <class Inspector>
auto inspect(Inspector& f, premium& x) {
  return f(x.driver, x.month, x.trips, x.distance_m, x.risk, x.factor_permille, x.premium_cents);
}

/// Metres between two positions (equirectangular; exact enough at the few
/// hundred metres between samples), rounded.
int64_t distance_m(const sample& a, const sample& b);

/// Milliseconds of [from, to) between 22:00 and 05:00 UTC.
int64_t night_ms(int64_t from, int64_t to);

/// "YYYY-MM" of a time (UTC).
std::string month_of(int64_t ts);

/// The trip made of `samples` (at least one, one vehicle), in any order: they
/// are sorted by time first, since harsh braking compares neighbours.
trip score_trip(std::vector<sample> samples, const scoring_rules& rules);

/// The trip's risk, 0 … 1000 (higher is worse), the sum of three capped parts:
/// - braking:  min(400, 50 × harsh brakes per 100 km), the distance taken as
///             at least 10 km so that one brake on a short trip is not extreme;
/// - speeding: 400 × the share of samples above the limit;
/// - night:    200 × the night share of the duration.
int64_t risk_score(const trip& t);

/// What a driver's month adds up to so far: trips, distance and risk × distance.
struct month_totals {
  int64_t trips = 0;
  int64_t distance_m = 0;
  int64_t risk_distance = 0; ///< Σ risk × distance_m

  void add(const trip& t) {
    ++trips;
    distance_m += t.distance_m;
    risk_distance += t.risk * t.distance_m;
  }
};

template <class Inspector>
auto inspect(Inspector& f, month_totals& x) {
  return f(x.trips, x.distance_m, x.risk_distance);
}

/// The premium of a driver's month: risk = Σ risk × distance / Σ distance
/// (0 without distance); factor = 0.8 + 1.2 × risk / 1000 (0.8 … 2.0);
/// premium = base × factor, in whole cents (rounded down).
premium monthly_premium(int64_t driver, const std::string& month, const month_totals& totals,
                        const scoring_rules& rules);

} // namespace telematics
