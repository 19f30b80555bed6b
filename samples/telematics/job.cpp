#include "job.hpp"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "eddy/connectors/file/numbered_lines.hpp"
#include "eddy/context.hpp"
#include "eddy/side_output.hpp"
#include "eddy/state.hpp"
#include "eddy/window.hpp"
#include "samples_csv.hpp"

namespace telematics {

namespace {

const eddy::side_output<dead_letter> dead_letter_tag{"dead-letters"};
const eddy::side_output<trip> trip_tag{"trips"};

/// Per driver: the totals of each month (by "YYYY-MM"); every trip updates
/// its month and emits the month's premium, which the table upserts, and
/// passes the trip on to the trips table.
struct premium_by_driver {
  eddy::map_state<std::string, month_totals> months{"months"};
  scoring_rules rules;

  explicit premium_by_driver(scoring_rules r) : rules(r) {
  }

  static std::string operator_name() {
    return "premium_by_driver";
  }

  void on_record(const trip& t, eddy::context<premium>& ctx) {
    ctx.output(trip_tag, t);
    auto month = month_of(t.start);
    month_totals totals;
    if (const auto* known = months.get(month))
      totals = *known;
    totals.add(t);
    months.put(month, totals);
    ctx.emit(monthly_premium(t.driver, month, totals, rules));
  }
};

} // namespace

void build(eddy::job& job, const run_config& config) {
  namespace file = eddy::connectors::file;
  auto parsed = job.source(file::numbered_lines(config.input))
                  .flat_map([](const file::numbered_line& line, eddy::collector<sample>& next) {
                    sample s;
                    std::string reason;
                    if (parse(line.text, s, reason))
                      next(s);
                    else
                      next.output(dead_letter_tag,
                                  dead_letter{"line " + std::to_string(line.number),
                                              std::move(reason), std::string{line.text}});
                  });
  parsed.side_output(dead_letter_tag)
    .sink(table_sink<dead_letter>(config.output, dead_letters_table(), dead_letter_row));
  auto rules = config.rules;
  auto premiums =
    parsed.with_timestamps(&sample::ts, std::chrono::milliseconds(config.max_out_of_orderness_ms))
      .key_by(&sample::vehicle)
      .window(eddy::session(std::chrono::milliseconds(config.trip_gap_ms)))
      .apply([rules](const int64_t&, const eddy::window&, const std::vector<sample>& xs) {
        return score_trip(xs, rules);
      })
      .uid("trips")
      .map([](const eddy::window_result<int64_t, trip>& r) { return r.value; })
      .key_by(&trip::driver)
      .process<premium_by_driver>(rules)
      .uid("premiums");
  premiums.side_output(trip_tag).sink(table_sink<trip>(config.output, trips_table(), trip_row));
  premiums.sink(table_sink<premium>(config.output, premiums_table(), premium_row));
}

} // namespace telematics
