#pragma once

// `generate --redis URL --stream NAME`: the generated samples as entries of
// a Redis stream, with the fields the job reads (vehicle, driver, ts_ms,
// lat, lon, speed_kmh).

#include <string>
#include <vector>

#include "scoring.hpp"

namespace telematics {

/// Appends `samples` to stream `stream` at `url` (XADD, pipelined, in arrival
/// order); an error message naming the server, or "".
std::string append_to_stream(const std::string& url, const std::string& stream,
                             const std::vector<sample>& samples);

} // namespace telematics
