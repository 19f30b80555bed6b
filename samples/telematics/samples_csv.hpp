#pragma once

// The input's line format: `vehicle,driver,ts_ms,lat,lon,speed_kmh`, all
// integers (lat/lon in micro-degrees), the same for a file and a Redis stream.

#include <string>
#include <string_view>

#include "scoring.hpp"

namespace telematics {

/// Parses one line; on failure returns false and says why in `reason`.
/// Vehicles and drivers are non-negative, latitudes within ±90°, longitudes
/// within ±180°, speeds within 0 … 400 km/h.
bool parse(std::string_view line, sample& out, std::string& reason);

/// The input line of `s`.
std::string format(const sample& s);

} // namespace telematics
