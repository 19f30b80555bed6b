#include "sqlite_db.hpp"

#include <sqlite3.h>

namespace eddy::manager {

int64_t db_row::integer(size_t i) const {
  auto& v = values_.at(i);
  if (!v)
    return 0;
  if (auto* n = std::get_if<int64_t>(&*v))
    return *n;
  return std::stoll(std::get<std::string>(*v));
}

std::string db_row::text(size_t i) const {
  auto& v = values_.at(i);
  if (!v)
    return {};
  if (auto* s = std::get_if<std::string>(&*v))
    return *s;
  return std::to_string(std::get<int64_t>(*v));
}

sqlite_db::sqlite_db(const std::string& path) : path_(path) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    std::string what = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw db_error("cannot open catalog '" + path + "': " + what);
  }
  sqlite3_busy_timeout(db_, 5000);
  // WAL with full sync: a transition the API acknowledged survives a SIGKILL.
  script("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON");
}

sqlite_db::~sqlite_db() {
  sqlite3_close(db_);
}

std::vector<db_row> sqlite_db::query(std::string_view sql, const std::vector<db_value>& args) {
  sqlite3_stmt* stmt = nullptr;
  auto fail = [&](const char* doing) {
    std::string what = std::string{doing} + " '" + std::string{sql} + "' in catalog '" + path_
                       + "': " + sqlite3_errmsg(db_);
    sqlite3_finalize(stmt);
    throw db_error(what);
  };
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) != SQLITE_OK)
    fail("cannot prepare");
  for (size_t i = 0; i < args.size(); ++i) {
    int rc = SQLITE_OK;
    int at = static_cast<int>(i + 1);
    if (!args[i])
      rc = sqlite3_bind_null(stmt, at);
    else if (auto* n = std::get_if<int64_t>(&*args[i]))
      rc = sqlite3_bind_int64(stmt, at, *n);
    else {
      auto& s = std::get<std::string>(*args[i]);
      rc = sqlite3_bind_text64(stmt, at, s.data(), s.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    }
    if (rc != SQLITE_OK)
      fail("cannot bind to");
  }
  std::vector<db_row> rows;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    std::vector<db_value> values;
    for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
      switch (sqlite3_column_type(stmt, c)) {
        case SQLITE_NULL:
          values.emplace_back(std::nullopt);
          break;
        case SQLITE_INTEGER:
          values.emplace_back(static_cast<int64_t>(sqlite3_column_int64(stmt, c)));
          break;
        default:
          values.emplace_back(std::string{reinterpret_cast<const char*>(sqlite3_column_text(stmt, c)),
                                          static_cast<size_t>(sqlite3_column_bytes(stmt, c))});
      }
    }
    rows.emplace_back(std::move(values));
  }
  if (rc != SQLITE_DONE)
    fail("cannot run");
  sqlite3_finalize(stmt);
  return rows;
}

void sqlite_db::script(const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string what = "cannot run '" + sql + "' in catalog '" + path_ + "': " + (message ? message : "?");
    sqlite3_free(message);
    throw db_error(what);
  }
}

int64_t sqlite_db::last_insert_id() const {
  return sqlite3_last_insert_rowid(db_);
}

int64_t sqlite_db::changes() const {
  return sqlite3_changes(db_);
}

} // namespace eddy::manager
