#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace eddy::manager {

/// A failed SQLite call, with the statement and SQLite's message.
struct db_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// One value of a row: NULL, an integer or text.
using db_value = std::optional<std::variant<int64_t, std::string>>;

/// A row as it came, column by column.
class db_row {
public:
  explicit db_row(std::vector<db_value> values) : values_(std::move(values)) {}
  int64_t integer(size_t i) const;
  std::string text(size_t i) const;   ///< "" for NULL
  bool null(size_t i) const { return !values_.at(i); }

private:
  std::vector<db_value> values_;
};

/// A SQLite database opened by one process, used by several threads under
/// the caller's lock (the catalog's). Statements are prepared per call: the
/// catalog runs a few per request, not per record.
class sqlite_db {
public:
  explicit sqlite_db(const std::string& path);
  ~sqlite_db();
  sqlite_db(const sqlite_db&) = delete;
  sqlite_db& operator=(const sqlite_db&) = delete;

  /// Runs `sql` with `args` bound to ?1, ?2, ...; returns its rows.
  std::vector<db_row> query(std::string_view sql, const std::vector<db_value>& args = {});
  /// Runs statements without arguments, separated by ';'.
  void script(const std::string& sql);
  int64_t last_insert_id() const;
  int64_t changes() const;

private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

} // namespace eddy::manager
