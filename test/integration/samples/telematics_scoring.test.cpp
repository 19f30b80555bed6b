// The telematics sample's arithmetic on cases small enough to work out by
// hand: distances, night time, months, harsh brakes in time order, the
// risk score, the premium, and the reference's cutting into trips.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "telematics/generator.hpp"
#include "telematics/reference.hpp"
#include "telematics/samples_csv.hpp"
#include "telematics/scoring.hpp"

using namespace telematics;

namespace {

constexpr int64_t minute = 60'000;
constexpr int64_t hour = 60 * minute;
constexpr int64_t march_30 = 1'774'828'800'000; // 2026-03-30 00:00 UTC

sample at(int64_t ts, int64_t speed, int64_t lat = 48'000'000, int64_t lon = 11'000'000) {
  return {7, 3, ts, lat, lon, speed};
}

trip trip_with(int64_t distance_m, int64_t harsh, int64_t samples, int64_t speeding,
               int64_t night_permille) {
  trip t;
  t.distance_m = distance_m;
  t.harsh_brakes = harsh;
  t.samples = samples;
  t.speeding = speeding;
  t.night_permille = night_permille;
  return t;
}

} // namespace

BOOST_AUTO_TEST_SUITE(telematics_scoring)

BOOST_AUTO_TEST_CASE(a_thousandth_of_a_degree_of_latitude_is_111_metres) {
  BOOST_TEST(distance_m(at(0, 0, 0, 0), at(1, 0, 1'000, 0)) == 111);
  // A degree of longitude shrinks with the cosine of the latitude: at 60° to half.
  BOOST_TEST(distance_m(at(0, 0, 60'000'000, 0), at(1, 0, 60'000'000, 2'000)) == 111);
}

BOOST_AUTO_TEST_CASE(night_is_the_time_between_22_and_5_utc_across_midnight) {
  BOOST_TEST(night_ms(march_30 + 21 * hour, march_30 + 23 * hour) == hour);
  BOOST_TEST(night_ms(march_30 + 4 * hour, march_30 + 6 * hour) == hour);
  BOOST_TEST(night_ms(march_30 + 23 * hour, march_30 + 30 * hour) == 6 * hour);
  BOOST_TEST(night_ms(march_30 + 12 * hour, march_30 + 13 * hour) == 0);
}

BOOST_AUTO_TEST_CASE(the_month_of_a_time_is_its_utc_calendar_month) {
  BOOST_TEST(month_of(0) == "1970-01");
  BOOST_TEST(month_of(march_30) == "2026-03");
  BOOST_TEST(month_of(march_30 + 2 * 24 * hour - 1) == "2026-03");
  BOOST_TEST(month_of(march_30 + 2 * 24 * hour) == "2026-04");
  BOOST_TEST(month_of(1'709'164'800'000) == "2024-02"); // 29 February 2024
}

BOOST_AUTO_TEST_CASE(harsh_brakes_count_drops_faster_than_the_threshold_between_neighbours_in_time) {
  scoring_rules rules; // 12 km/h per s
  // Given out of order: sorted, they are 100 → 70 (15/s, harsh) → 50 (10/s)
  // → 26 (exactly 12/s, not harsh) → 0 at t = 8 s (13/s, harsh).
  auto t = score_trip({at(4'000, 50), at(0, 100), at(8'000, 0), at(2'000, 70), at(6'000, 26)}, rules);
  BOOST_TEST(t.harsh_brakes == 2);
  BOOST_TEST(t.start == 0);
  BOOST_TEST(t.end == 8'000);
  BOOST_TEST(t.samples == 5);
  BOOST_TEST(t.duration_ms() == 8'000);
  BOOST_TEST(t.id() == "7-0");
}

BOOST_AUTO_TEST_CASE(speeding_counts_samples_above_the_limit_and_night_share_is_per_mille) {
  scoring_rules rules;
  auto start = march_30 + 21 * hour + 30 * minute; // 21:30 to 22:30: half at night
  auto t = score_trip({at(start, 121), at(start + 30 * minute, 120), at(start + hour, 130)}, rules);
  BOOST_TEST(t.speeding == 2);
  BOOST_TEST(t.night_permille == 500);
  // Nothing moved: no distance, so braking weighs as over 10 km.
  BOOST_TEST(t.distance_m == 0);
  BOOST_TEST(t.risk == 0 + 400 * 2 / 3 + 100);
}

BOOST_AUTO_TEST_CASE(the_risk_score_adds_capped_braking_speeding_and_night_parts) {
  // 2 brakes in 20 km: 50 × 10 per 100 km = 500, capped at 400; 3 of 10
  // samples speeding: 120; half at night: 100.
  BOOST_TEST(risk_score(trip_with(20'000, 2, 10, 3, 500)) == 620);
  // 1 brake in 100 km: 50.
  BOOST_TEST(risk_score(trip_with(100'000, 1, 10, 0, 0)) == 50);
  // 1 brake in 2 km counts as in 10 km: 500, capped at 400.
  BOOST_TEST(risk_score(trip_with(2'000, 1, 10, 0, 0)) == 400);
  BOOST_TEST(risk_score(trip_with(2'000, 9, 10, 10, 1000)) == 1000);
  BOOST_TEST(risk_score(trip_with(50'000, 0, 10, 0, 0)) == 0);
}

BOOST_AUTO_TEST_CASE(the_monthly_premium_weighs_each_trip_s_risk_by_its_distance) {
  scoring_rules rules; // base 50.00
  month_totals m;
  auto a = trip_with(10'000, 0, 1, 0, 0);
  a.risk = 100;
  auto b = trip_with(30'000, 0, 1, 0, 0);
  b.risk = 400;
  m.add(a);
  m.add(b);
  // (100 × 10 km + 400 × 30 km) / 40 km = 325; factor 0.8 + 1.2 × 0.325 = 1.19.
  auto p = monthly_premium(3, "2026-03", m, rules);
  BOOST_TEST(p.trips == 2);
  BOOST_TEST(p.distance_m == 40'000);
  BOOST_TEST(p.risk == 325);
  BOOST_TEST(p.factor_permille == 1190);
  BOOST_TEST(p.premium_cents == 5950);
  // Without distance the risk is 0, the factor its floor 0.8.
  BOOST_TEST(monthly_premium(3, "2026-03", month_totals{}, rules).premium_cents == 4000);
}

BOOST_AUTO_TEST_CASE(a_line_parses_into_a_sample_or_says_what_is_wrong) {
  sample s;
  std::string reason;
  BOOST_TEST(parse("7,3,1000,48137000,-11575000,88", s, reason));
  BOOST_TEST((s == sample{7, 3, 1000, 48'137'000, -11'575'000, 88}));
  BOOST_TEST(format(s) == "7,3,1000,48137000,-11575000,88");
  auto why = [](const std::string& line) {
    sample x;
    std::string r;
    BOOST_TEST(!parse(line, x, r), line);
    return r;
  };
  BOOST_TEST(why("") == "vehicle is not an integer");
  BOOST_TEST(why("7,3,1000,48137000,11575000") == "expected 6 fields, got 5");
  BOOST_TEST(why("7,3,1000,48137000,11575000,88,1") == "expected 6 fields, got 7");
  BOOST_TEST(why("7,x,1000,48137000,11575000,88") == "driver is not an integer");
  BOOST_TEST(why("7,3,1000,98137000,11575000,88") == "lat is out of range");
  BOOST_TEST(why("7,3,1000,48137000,11575000,-1") == "speed_kmh is out of range");
  BOOST_TEST(why("-7,3,1000,48137000,11575000,1") == "vehicle is out of range");
}

BOOST_AUTO_TEST_CASE(the_reference_cuts_trips_at_gaps_longer_than_the_trip_gap) {
  auto line = [](int64_t vehicle, int64_t driver, int64_t ts) {
    return format(sample{vehicle, driver, ts, 48'000'000, 11'000'000 + ts % 1'000'000 / 1000, 50});
  };
  // Vehicle 1: 0 and 10 min (exactly the gap: one trip), then 20 min + 1 ms
  // (a new trip), given out of order; vehicle 2 one sample; a malformed line.
  std::vector<std::string> lines{line(1, 5, 10 * minute), line(1, 5, 0), "garbage",
                                 line(1, 6, 20 * minute + 1), line(2, 5, march_30)};
  auto want = reference(lines, 10 * minute, scoring_rules{});
  BOOST_TEST_REQUIRE(want.trips.size() == 3u);
  BOOST_TEST(want.trips[0].id() == "1-0");
  BOOST_TEST(want.trips[0].samples == 2);
  BOOST_TEST(want.trips[0].end == 10 * minute);
  BOOST_TEST(want.trips[1].id() == "1-1200001");
  BOOST_TEST(want.trips[1].driver == 6);
  BOOST_TEST(want.trips[2].id() == "2-" + std::to_string(march_30));
  // Driver 5: January 1970 (trip 1-0) and March 2026; driver 6: January 1970.
  BOOST_TEST_REQUIRE(want.premiums.size() == 3u);
  BOOST_TEST(want.premiums[0].driver == 5);
  BOOST_TEST(want.premiums[0].month == "1970-01");
  BOOST_TEST(want.premiums[1].month == "2026-03");
  BOOST_TEST(want.premiums[2].driver == 6);
}

BOOST_AUTO_TEST_CASE(the_generator_is_deterministic_out_of_order_within_its_bound_and_has_risky_drivers) {
  generator_config config;
  config.vehicles = 10;
  config.days = 3;
  config.seed = 42;
  auto xs = generate_samples(config);
  BOOST_TEST((xs == generate_samples(config)));
  BOOST_TEST(xs.size() > 10'000u);
  int64_t highest = xs.front().ts;
  bool out_of_order = false;
  for (auto& x : xs) {
    BOOST_TEST_REQUIRE(x.ts >= highest - config.max_delay_ms);
    out_of_order = out_of_order || x.ts < highest;
    highest = std::max(highest, x.ts);
  }
  BOOST_TEST(out_of_order);
  std::vector<std::string> lines;
  for (auto& x : xs)
    lines.push_back(format(x));
  auto want = reference(lines, 10 * minute, scoring_rules{});
  // Aggressive vehicles (0, 5) and night drivers (1, 6) score worse than calm ones.
  auto mean_risk = [&](std::vector<int64_t> vehicles) {
    int64_t sum = 0, n = 0;
    for (auto& t : want.trips)
      if (std::find(vehicles.begin(), vehicles.end(), t.vehicle) != vehicles.end()) {
        sum += t.risk;
        ++n;
      }
    return n ? sum / n : -1;
  };
  auto calm = mean_risk({2, 4, 7, 9});
  BOOST_TEST_MESSAGE("mean risk: aggressive " << mean_risk({0, 5}) << ", night " << mean_risk({1, 6})
                                              << ", calm " << calm << "; " << want.trips.size()
                                              << " trips, " << want.premiums.size() << " premiums");
  BOOST_TEST(mean_risk({0, 5}) > calm + 100);
  BOOST_TEST(mean_risk({1, 6}) > calm + 50);
  // Some months cross: March and April.
  bool march = false, april = false;
  for (auto& p : want.premiums) {
    march = march || p.month == "2026-03";
    april = april || p.month == "2026-04";
  }
  BOOST_TEST((march && april));
}

BOOST_AUTO_TEST_SUITE_END()
