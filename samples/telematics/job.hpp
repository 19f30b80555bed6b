#pragma once

// The telematics job: position samples → trips (session windows per
// vehicle, in event time) → per-trip scores and each driver's monthly
// premium, exactly once into tables.

#include <cstdint>
#include <filesystem>
#include <string>

#include "eddy/job.hpp"
#include "scoring.hpp"
#include "tables.hpp"

namespace telematics {

constexpr int64_t default_trip_gap_ms = 10 * 60'000;
constexpr int64_t default_max_out_of_orderness_ms = 30'000;

/// Settings of a run.
struct run_config {
  std::filesystem::path input; ///< CSV lines `vehicle,driver,ts_ms,lat,lon,speed_kmh`, or:
  std::string redis_url;       ///< `redis://host:port`: read stream `redis_stream` instead
  std::string redis_stream;    ///< entries with the fields vehicle, driver, ts_ms, lat, lon, speed_kmh
  bool follow = false;         ///< with redis_url: wait for new entries, never finish
  table_target output;
  int64_t trip_gap_ms = default_trip_gap_ms;
  int64_t max_out_of_orderness_ms = default_max_out_of_orderness_ms;
  scoring_rules rules;
};

/// Builds the job:
///
///   numbered lines (or stream entries) → parse ──(malformed)──→ dead_letters
///     → event time, bounded out-of-orderness → key by vehicle
///     → session windows of trip_gap (apply: the trip's samples, sorted, scored)
///     → key by driver → monthly totals (map_state by month) ──→ premiums (upsert)
///                                                          └─→ trips (side output)
///
/// The window buffers a trip's samples (apply) rather than folding them
/// (aggregate): harsh braking compares neighbours in time order, which
/// out-of-order input only gives once the trip is complete, and apply keeps
/// each sample once in map state where an accumulator holding them all would
/// be journaled whole on every sample.
void build(eddy::job& job, const run_config& config);

} // namespace telematics
