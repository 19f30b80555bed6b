#include "job.hpp"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "eddy/connectors/file/numbered_lines.hpp"
#include "eddy/connectors/redis/streams.hpp"
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

/// What a source's record says: where it is in the input and its CSV line.
struct described {
  std::string position;
  std::string line;
};

described describe(const eddy::connectors::file::numbered_line& l) {
  return {"line " + std::to_string(l.number), std::string{l.text}};
}

/// A stream entry's fields in the order of the CSV line (a missing one
/// empty, so it fails to parse like a missing column).
described describe(const eddy::connectors::redis::entry& e) {
  std::string line;
  for (auto name : {"vehicle", "driver", "ts_ms", "lat", "lon", "speed_kmh"})
    line += (line.empty() ? "" : ",") + std::string{e.field(name).value_or("")};
  if (e.fields.size() != 6)
    line += ",(" + std::to_string(e.fields.size()) + " fields)"; // fails: not 6 columns
  return {e.stream + "/" + e.id, line};
}

/// The samples among a source's records; the others go to the dead letters.
template <class Record>
eddy::stream<sample> parse_samples(eddy::stream<Record> records, const table_target& output) {
  auto parsed = records.flat_map([](const Record& r, eddy::collector<sample>& next) {
    auto [position, line] = describe(r);
    sample s;
    std::string reason;
    if (parse(line, s, reason))
      next(s);
    else
      next.output(dead_letter_tag, dead_letter{std::move(position), std::move(reason), std::move(line)});
  });
  parsed.side_output(dead_letter_tag)
    .sink(table_sink<dead_letter>(output, dead_letters_table(), dead_letter_row));
  return parsed;
}

eddy::stream<sample> samples_of(eddy::job& job, const run_config& config) {
  namespace redis = eddy::connectors::redis;
  if (config.redis_url.empty())
    return parse_samples(job.source(eddy::connectors::file::numbered_lines(config.input)),
                         config.output);
  auto server = redis::parse_endpoint(config.redis_url);
  if (!server) {
    job.fail(server.error().message());
    server = redis::endpoint{};
  }
  // Bounded unless followed: the job ends at the stream's last entry when it first started.
  return parse_samples(job.source(redis::streams(*server, {config.redis_stream},
                                                 redis::stream_options{.follow = config.follow})),
                       config.output);
}

} // namespace

void build(eddy::job& job, const run_config& config) {
  auto rules = config.rules;
  auto premiums =
    samples_of(job, config).with_timestamps(&sample::ts, std::chrono::milliseconds(config.max_out_of_orderness_ms))
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
  premiums.side_output(trip_tag).sink(table_sink<trip>(config.output, trips_table(config.output), trip_row));
  premiums.sink(table_sink<premium>(config.output, premiums_table(), premium_row));
}

} // namespace telematics
