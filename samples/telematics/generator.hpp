#pragma once

// A deterministic fleet of vehicles driving for some days: the input of the
// sample, its tests and its benchmark.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "scoring.hpp"

namespace telematics {

/// Settings of the generator.
struct generator_config {
  int64_t vehicles = 20;
  int64_t days = 3;
  uint64_t seed = 1;
  int64_t max_delay_ms = 20'000; ///< how far a sample may arrive behind later ones
  int64_t start_ms = 1'774'828'800'000; ///< 2026-03-30 00:00 UTC: a few days cross a month
};

/// The samples of the fleet in arrival order. Per vehicle, 1 to 4 trips a
/// day of 5 to 50 minutes, a sample every 2 to 4 s (and now and then a stop
/// shorter than any trip gap); trips at least 15 minutes apart. Vehicles
/// 0, 5, 10, … are aggressive (hard brakes, speeding), 1, 6, 11, … drive at
/// night, every fourth vehicle is shared by its driver and the next one's.
/// A sample arrives up to `max_delay_ms` after its time, so one is never
/// more than that older than a sample before it. Deterministic for a seed.
std::vector<sample> generate_samples(const generator_config& config);

/// Writes generate_samples() as CSV lines to `out`; an error message, or "".
std::string generate(const generator_config& config, const std::filesystem::path& out);

} // namespace telematics
