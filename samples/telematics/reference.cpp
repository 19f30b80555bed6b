#include "reference.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "samples_csv.hpp"

namespace telematics {

expected_output reference(const std::vector<std::string>& lines, int64_t trip_gap_ms,
                          const scoring_rules& rules) {
  std::map<int64_t, std::vector<sample>> by_vehicle;
  for (auto& line : lines) {
    sample s;
    std::string reason;
    if (parse(line, s, reason))
      by_vehicle[s.vehicle].push_back(s);
  }
  expected_output out;
  for (auto& [vehicle, xs] : by_vehicle) {
    std::stable_sort(xs.begin(), xs.end(),
                     [](const sample& a, const sample& b) { return a.ts < b.ts; });
    size_t first = 0;
    for (size_t i = 1; i <= xs.size(); ++i) {
      if (i < xs.size() && xs[i].ts - xs[i - 1].ts <= trip_gap_ms)
        continue;
      out.trips.push_back(score_trip({xs.begin() + static_cast<std::ptrdiff_t>(first),
                                      xs.begin() + static_cast<std::ptrdiff_t>(i)},
                                     rules));
      first = i;
    }
  }
  std::map<std::pair<int64_t, std::string>, month_totals> months;
  for (auto& t : out.trips)
    months[{t.driver, month_of(t.start)}].add(t);
  for (auto& [key, totals] : months)
    out.premiums.push_back(monthly_premium(key.first, key.second, totals, rules));
  return out;
}

} // namespace telematics
