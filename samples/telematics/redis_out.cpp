#include "redis_out.hpp"

#include "redis_append.hpp"

namespace telematics {

std::string append_to_stream(const std::string& url, const std::string& stream,
                             const std::vector<sample>& drive) {
  std::vector<std::vector<std::string>> records;
  records.reserve(drive.size());
  for (auto& s : drive)
    records.push_back({std::to_string(s.vehicle), std::to_string(s.driver), std::to_string(s.ts),
                       std::to_string(s.lat), std::to_string(s.lon), std::to_string(s.speed_kmh)});
  return ::samples::redis_append(url, stream, {"vehicle", "driver", "ts_ms", "lat", "lon", "speed_kmh"},
                               records);
}

} // namespace telematics
