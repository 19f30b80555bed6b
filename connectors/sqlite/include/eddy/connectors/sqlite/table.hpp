#pragma once

// An exactly-once sink into a table of an SQLite database file: rows and
// marks in one transaction (table_sink.hpp). The embedded default for a job
// that has no database server. Several instances, even in several processes
// of a cluster on one host, may write one file: SQLite serializes their
// transactions (WAL mode, a busy timeout).

#include <filesystem>
#include <memory>

#include "eddy/connectors/table/table_sink.hpp"

namespace eddy::connectors::sqlite {

/// A writer of `spec` into the database file `db` (created if missing).
std::unique_ptr<table::table_writer> make_writer(std::filesystem::path db, table::table_spec spec);

/// The table sink of `spec` into `db`, each value made a row by `to_row`.
template <class T>
std::unique_ptr<sink<T>> table_sink(std::filesystem::path db, table::table_spec spec,
                                    table::row_fn<T> to_row) {
  auto make = [db, spec] { return make_writer(db, spec); };
  return std::make_unique<table::table_sink<T>>(spec, make, std::move(to_row));
}

} // namespace eddy::connectors::sqlite
