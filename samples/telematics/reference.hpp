#pragma once

// What the job must write, computed without Eddy: the tests' oracle.

#include <cstdint>
#include <string>
#include <vector>

#include "scoring.hpp"

namespace telematics {

/// The trips and the final premiums of some input.
struct expected_output {
  std::vector<trip> trips;       ///< ordered by (vehicle, start)
  std::vector<premium> premiums; ///< ordered by (driver, month)
};

/// The trips of the valid lines among `lines` (malformed ones are skipped,
/// as the job sends them to its dead letters): per vehicle, samples sorted by
/// time, a new trip where the next sample is more than `trip_gap_ms` after
/// the last (exactly the gap joins, as session windows touching merge); then
/// each driver's premium per month of the trips' starts.
expected_output reference(const std::vector<std::string>& lines, int64_t trip_gap_ms,
                          const scoring_rules& rules);

} // namespace telematics
