#pragma once

// The job's three output tables, the same spec for PostgreSQL and SQLite
// (portable column types; the job creates them through table_spec.create):
//
//   trips        one row per trip, inserted once (trip_id the primary key)
//   premiums     one row per (driver, month), replaced as trips complete
//   dead_letters one row per malformed input, by its position
//
// Each sink runs as one instance (the spec's default max_instances = 1), so
// the upserts of a (driver, month) commit in the order the stage emitted
// them and the table ends with the month's last premium.

#include <filesystem>
#include <memory>
#include <string>

#include "eddy/connectors/table/table_sink.hpp"
#include "eddy/sink.hpp"
#include "sample_support.hpp"
#include "scoring.hpp"

namespace telematics {

namespace table = eddy::connectors::table;

/// A malformed input: where it was ("line 7", or a stream entry id), why, and its text.
struct dead_letter {
  std::string position;
  std::string reason;
  std::string text;
};

template <class Inspector>
auto inspect(Inspector& f, dead_letter& x) {
  return f(x.position, x.reason, x.text);
}

table::table_spec premiums_table();
table::table_spec dead_letters_table();

table::row trip_row(const trip& t);
table::row premium_row(const premium& p);
table::row dead_letter_row(const dead_letter& d);

/// Where the tables go: a PostgreSQL DSN if given, else an SQLite file.
struct table_target {
  std::string postgres_dsn;
  std::filesystem::path sqlite;
};

/// Also a column written_ms: the ms the row was inserted, by the database's clock.
table::table_spec trips_table(const table_target& target);

/// The exactly-once sink of `spec` into `target`, rows from `to_row`.
template <class T>
std::unique_ptr<eddy::sink<T>> table_sink(const table_target& target, table::table_spec spec,
                                          table::row_fn<T> to_row);

} // namespace telematics
