#include "tables.hpp"

#include "eddy/connectors/postgres/table.hpp"
#include "eddy/connectors/sqlite/table.hpp"
#include "connector_options.hpp"

namespace telematics {

namespace {

std::string text(int64_t x) {
  return std::to_string(x);
}

} // namespace

table::table_spec trips_table(const table_target& target) {
  table::table_spec spec;
  spec.table = "trips";
  spec.columns = {"trip_id",  "vehicle",      "driver",   "start_ms",       "end_ms", "samples",
                  "distance_m", "harsh_brakes", "speeding", "night_permille", "risk"};
  // No upsert key: a trip is inserted once, and a second insert of it
  // would break the primary key instead of hiding a duplicate.
  spec.create = "CREATE TABLE IF NOT EXISTS trips (trip_id TEXT PRIMARY KEY, vehicle BIGINT, "
                "driver BIGINT, start_ms BIGINT, end_ms BIGINT, samples BIGINT, distance_m BIGINT, "
                "harsh_brakes BIGINT, speeding BIGINT, night_permille BIGINT, risk BIGINT, "
                // When the commit wrote the row, by the database's clock: what
                // the benchmark measures the committed-output latency with.
                "written_ms BIGINT DEFAULT "
                + samples::now_ms_sql({target.sqlite.string(), target.postgres_dsn}) + ")";
  return spec;
}

table::table_spec premiums_table() {
  table::table_spec spec;
  spec.table = "premiums";
  spec.columns = {"driver", "month", "trips", "distance_m", "risk", "factor_permille",
                  "premium_cents"};
  spec.key = {"driver", "month"};
  spec.create = "CREATE TABLE IF NOT EXISTS premiums (driver BIGINT, month TEXT, trips BIGINT, "
                "distance_m BIGINT, risk BIGINT, factor_permille BIGINT, premium_cents BIGINT, "
                "PRIMARY KEY (driver, month))";
  return spec;
}

table::table_spec dead_letters_table() {
  table::table_spec spec;
  spec.table = "dead_letters";
  spec.columns = {"position", "reason", "line"};
  spec.key = {"position"};
  spec.create = "CREATE TABLE IF NOT EXISTS dead_letters (position TEXT PRIMARY KEY, "
                "reason TEXT, line TEXT)";
  return spec;
}

table::row trip_row(const trip& t) {
  return {t.id(),          text(t.vehicle),      text(t.driver),   text(t.start),
          text(t.end),     text(t.samples),      text(t.distance_m), text(t.harsh_brakes),
          text(t.speeding), text(t.night_permille), text(t.risk)};
}

table::row premium_row(const premium& p) {
  return {text(p.driver), p.month, text(p.trips), text(p.distance_m), text(p.risk),
          text(p.factor_permille), text(p.premium_cents)};
}

table::row dead_letter_row(const dead_letter& d) {
  return {d.position, d.reason, d.text};
}

template <class T>
std::unique_ptr<eddy::sink<T>> table_sink(const table_target& target, table::table_spec spec,
                                          table::row_fn<T> to_row) {
  if (!target.postgres_dsn.empty())
    return eddy::connectors::postgres::table_sink<T>(target.postgres_dsn, std::move(spec),
                                                     std::move(to_row));
  return eddy::connectors::sqlite::table_sink<T>(target.sqlite, std::move(spec), std::move(to_row));
}

template std::unique_ptr<eddy::sink<trip>> table_sink(const table_target&, table::table_spec,
                                                      table::row_fn<trip>);
template std::unique_ptr<eddy::sink<premium>> table_sink(const table_target&, table::table_spec,
                                                         table::row_fn<premium>);
template std::unique_ptr<eddy::sink<dead_letter>> table_sink(const table_target&,
                                                             table::table_spec,
                                                             table::row_fn<dead_letter>);

} // namespace telematics
