#pragma once

// An exactly-once sink into a PostgreSQL table: the shared table sink
// (eddy/connectors/table/table_sink.hpp) over a libpq table_writer. Each
// commit is one transaction holding the rows (COPY, or COPY into a staging
// table and INSERT ... ON CONFLICT for an upsert key) and the sink's marks.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "eddy/connectors/table/table_sink.hpp"
#include "eddy/sink.hpp"

namespace eddy::connectors::postgres {

namespace table = eddy::connectors::table;

/// How often and how patiently a writer reconnects when the connection to
/// the server breaks (in open() or commit()): `attempts` tries in all, the
/// waits between them doubling from `first_backoff` up to `max_backoff`.
/// SQL errors (a constraint, a type) are never retried.
struct retry_policy {
  uint32_t attempts = 5;
  std::chrono::milliseconds first_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
};

/// Makes the writer of one instance for table `spec.table` of the database
/// `dsn` (a libpq connection string or postgresql:// URI). Connects lazily.
std::unique_ptr<table::table_writer> make_writer(std::string dsn, table::table_spec spec,
                                                 retry_policy retry = {});

/// An exactly-once sink of `T` into `spec.table`, one row per value from
/// `to_row`. The table must exist; the marks table is created if missing.
template <class T>
std::unique_ptr<eddy::sink<T>> table_sink(std::string dsn, table::table_spec spec,
                                          table::row_fn<T> to_row, retry_policy retry = {}) {
  auto make = [dsn = std::move(dsn), spec, retry] { return make_writer(dsn, spec, retry); };
  return std::make_unique<table::table_sink<T>>(std::move(spec), std::move(make),
                                                std::move(to_row));
}

} // namespace eddy::connectors::postgres
