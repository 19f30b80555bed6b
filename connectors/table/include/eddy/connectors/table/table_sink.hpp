#pragma once

// An exactly-once sink into a database table, whichever the database: rows
// and the sink's marks are written in one transaction (DESIGN.md invariant
// 5), so after a crash the target holds either the whole commit or none of
// it, and open() tells the runtime what it already holds. A backend (SQLite,
// PostgreSQL) provides only the table_writer: one connection, one
// transaction per commit.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "eddy/error.hpp"
#include "eddy/sink.hpp"

namespace eddy::connectors::table {

/// One row: a text value per column of the spec, in order; std::nullopt is
/// SQL NULL. The database converts the text to the column's type.
using row = std::vector<std::optional<std::string>>;

/// Where and how a table sink writes.
struct table_spec {
  std::string table;                ///< the target table, e.g. "alerts" or "app.alerts"
  std::vector<std::string> columns; ///< the columns a row fills, in order
  /// Upsert key: columns with a unique index or primary key. A row whose key
  /// is already in the table replaces the other columns of that row; within
  /// one commit the last row of a key wins. Empty: every row is inserted.
  std::vector<std::string> key;
  /// Names this sink's marks in the marks table (default: `table`): two
  /// sinks into one table need different ids.
  std::string sink_id;
  uint32_t max_instances = 1;       ///< parallel instances, each its own transaction
  std::string marks_table = "eddy_sink_marks";
  /// SQL the writer runs before it checks the table, such as `CREATE TABLE
  /// IF NOT EXISTS ...`, for a job that owns its table; empty (the default):
  /// the table must exist, or check() fails.
  std::string create;

  /// The id under which the marks are kept.
  const std::string& id() const {
    return sink_id.empty() ? table : sink_id;
  }
};

/// One instance's connection to the database. Not thread-safe. Connects
/// lazily, in check() or open(): name() must work without a server.
class table_writer {
public:
  virtual ~table_writer() = default;

  /// Names the database and table, for logs and error messages.
  virtual std::string name() const = 0;

  /// Connects and checks that the table and every column of the spec exist
  /// (and the key columns too), before anything runs.
  [[nodiscard]] virtual error check() = 0;

  /// Connects, creates the marks table if there is none, and returns the
  /// marks instance `instance` stored with its last commit (empty if none).
  [[nodiscard]] virtual expected<sink_marks> open(uint32_t instance) = 0;

  /// Writes `rows` (upserted by the spec's key, distinct keys here) and sets
  /// `marks` as instance `instance`'s marks, in one transaction.
  [[nodiscard]] virtual error commit(uint32_t instance, const std::vector<row>& rows,
                                     const sink_marks& marks) = 0;
};

/// Makes the writer of one instance (called once per instance, and once for check()).
using writer_factory = std::function<std::unique_ptr<table_writer>()>;

/// Turns a value into its row.
template <class T>
using row_fn = std::function<row(const T&)>;

/// Keeps, of the rows with equal keys, only the last, in the order of their
/// last occurrence: a database cannot upsert one key twice in one statement.
inline std::vector<row> last_row_per_key(std::vector<row> rows, const std::vector<size_t>& key) {
  if (key.empty())
    return rows;
  std::map<std::vector<std::optional<std::string>>, size_t> last;
  for (size_t i = 0; i < rows.size(); ++i) {
    std::vector<std::optional<std::string>> k;
    for (auto c : key)
      k.push_back(rows[i][c]);
    last[std::move(k)] = i;
  }
  if (last.size() == rows.size())
    return rows;
  std::vector<bool> keep(rows.size(), false);
  for (auto& [k, i] : last)
    keep[i] = true;
  std::vector<row> out;
  out.reserve(last.size());
  for (size_t i = 0; i < rows.size(); ++i)
    if (keep[i])
      out.push_back(std::move(rows[i]));
  return out;
}

/// The positions of the spec's key columns among its columns, or an error
/// naming a key column that is not one of them.
inline expected<std::vector<size_t>> key_positions(const table_spec& spec) {
  std::vector<size_t> out;
  for (auto& k : spec.key) {
    size_t i = 0;
    while (i < spec.columns.size() && spec.columns[i] != k)
      ++i;
    if (i == spec.columns.size())
      return error{errc::invalid_argument,
                   "table " + spec.table + ": key column '" + k + "' is not among its columns"};
    out.push_back(i);
  }
  return out;
}

/// The sink: buffers rows between commits; a commit is one transaction of
/// the writer with the marks. Marks live in the target, so the position it
/// returns is only a count of commits, for logs.
template <class T>
class table_sink final : public sink<T> {
public:
  table_sink(table_spec spec, writer_factory make, row_fn<T> to_row, uint32_t instance = 0)
    : spec_(std::move(spec)), make_(std::move(make)), to_row_(std::move(to_row)),
      instance_(instance) {
  }

  std::string name() const override {
    return make_()->name();
  }

  error check() const override {
    if (spec_.table.empty() || spec_.columns.empty())
      return {errc::invalid_argument, "table sink: a table and at least one column are needed"};
    if (spec_.max_instances == 0)
      return {errc::invalid_argument, "table sink " + spec_.table + ": max_instances is 0"};
    if (auto k = key_positions(spec_); !k)
      return k.error();
    return make_()->check();
  }

  uint32_t max_instances() const override {
    return spec_.max_instances;
  }

  expected<std::unique_ptr<sink<T>>> instance(uint32_t index, uint32_t count) const override {
    if (index >= count || count > spec_.max_instances)
      return error{errc::invalid_argument, "table sink " + spec_.table + ": instance "
                                             + std::to_string(index) + " of " + std::to_string(count)
                                             + " (at most " + std::to_string(spec_.max_instances) + ")"};
    return std::unique_ptr<sink<T>>{new table_sink(spec_, make_, to_row_, index)};
  }

  expected<std::optional<sink_marks>> open(std::string_view) override {
    auto key = key_positions(spec_);
    if (!key)
      return key.error();
    key_ = std::move(*key);
    writer_ = make_();
    auto marks = writer_->open(instance_);
    if (!marks)
      return marks.error();
    return std::optional<sink_marks>{std::move(*marks)};
  }

  error write(const T& value) override {
    rows_.push_back(to_row_(value));
    if (rows_.back().size() != spec_.columns.size())
      return {errc::invalid_argument, "table sink " + spec_.table + ": a row has "
                                        + std::to_string(rows_.back().size()) + " values for "
                                        + std::to_string(spec_.columns.size()) + " columns"};
    return {};
  }

  expected<std::string> commit(const sink_marks& marks) override {
    if (auto err = writer_->commit(instance_, last_row_per_key(std::move(rows_), key_), marks))
      return err;
    rows_.clear();
    return std::to_string(++commits_);
  }

private:
  table_spec spec_;
  writer_factory make_;
  row_fn<T> to_row_;
  uint32_t instance_ = 0;
  std::vector<size_t> key_;
  std::unique_ptr<table_writer> writer_;
  std::vector<row> rows_;
  uint64_t commits_ = 0;
};

} // namespace eddy::connectors::table
