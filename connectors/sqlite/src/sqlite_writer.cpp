// The SQLite table_writer: one connection per instance, one IMMEDIATE
// transaction per commit with the rows and the instance's marks.

#include <sqlite3.h>

#include <set>

#include "eddy/connectors/sqlite/table.hpp"
#include "eddy/connectors/table/sql_text.hpp"

namespace eddy::connectors::sqlite {
namespace {

using table::row;
using table::table_spec;
namespace sql = table::sql;

class writer final : public table::table_writer {
public:
  writer(std::filesystem::path db, table_spec spec) : path_(std::move(db)), spec_(std::move(spec)) {
  }

  ~writer() override {
    close();
  }

  std::string name() const override {
    return "sqlite table " + spec_.table + " in " + path_.string();
  }

  error check() override {
    if (auto err = connect())
      return err;
    if (auto err = check_columns())
      return err;
    // Preparing the insert proves what the columns cannot: that an upsert
    // key has the unique index ON CONFLICT needs.
    sqlite3_stmt* s = nullptr;
    auto err = prepare(sql::insert(spec_), &s);
    sqlite3_finalize(s);
    return err;
  }

  expected<sink_marks> open(uint32_t instance) override {
    if (auto err = connect())
      return err;
    if (auto err = exec(sql::create_marks(spec_.marks_table)))
      return err;
    if (auto err = prepare(sql::insert(spec_), &insert_))
      return err;
    if (auto err = prepare(sql::upsert_mark(spec_.marks_table), &mark_))
      return err;
    sqlite3_stmt* s = nullptr;
    if (auto err = prepare(sql::select_marks(spec_.marks_table), &s))
      return err;
    sqlite3_bind_text(s, 1, spec_.id().c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, instance);
    sink_marks marks;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
      marks.push_back({static_cast<uint64_t>(sqlite3_column_int64(s, 0)),
                       static_cast<uint64_t>(sqlite3_column_int64(s, 1))});
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
      return failure("reading the marks");
    return marks;
  }

  error commit(uint32_t instance, const std::vector<row>& rows, const sink_marks& marks) override {
    if (auto err = exec("BEGIN IMMEDIATE"))
      return err;
    auto err = write(instance, rows, marks);
    if (!err)
      err = exec("COMMIT");
    if (err)
      (void) exec("ROLLBACK"); // nothing of this commit stays
    return err;
  }

private:
  error write(uint32_t instance, const std::vector<row>& rows, const sink_marks& marks) {
    for (auto& r : rows) {
      for (size_t i = 0; i < r.size(); ++i) {
        if (r[i])
          sqlite3_bind_text(insert_, static_cast<int>(i + 1), r[i]->data(),
                            static_cast<int>(r[i]->size()), SQLITE_STATIC);
        else
          sqlite3_bind_null(insert_, static_cast<int>(i + 1));
      }
      if (auto err = step(insert_, "writing a row"))
        return err;
    }
    for (auto& m : marks) {
      sqlite3_bind_text(mark_, 1, spec_.id().c_str(), -1, SQLITE_STATIC);
      sqlite3_bind_int64(mark_, 2, instance);
      sqlite3_bind_int64(mark_, 3, static_cast<int64_t>(m.channel));
      sqlite3_bind_int64(mark_, 4, static_cast<int64_t>(m.seq));
      if (auto err = step(mark_, "writing the marks"))
        return err;
    }
    return {};
  }

  error connect() {
    if (db_)
      return {};
    int rc = sqlite3_open_v2(path_.c_str(), &db_,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      auto err = failure("opening");
      close();
      return err;
    }
    // Instances of a cluster on one host share the file: wait for each other.
    sqlite3_busy_timeout(db_, 30'000);
    if (auto err = exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL"))
      return err;
    if (!spec_.create.empty())
      return exec(spec_.create);
    return {};
  }

  error check_columns() {
    auto [schema, table] = sql::split_name(spec_.table);
    sqlite3_stmt* s = nullptr;
    if (auto err = prepare("SELECT name FROM pragma_table_info(?1, ?2)", &s))
      return err;
    sqlite3_bind_text(s, 1, table.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, schema.empty() ? "main" : schema.c_str(), -1, SQLITE_TRANSIENT);
    std::set<std::string> have;
    while (sqlite3_step(s) == SQLITE_ROW)
      have.insert(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
    sqlite3_finalize(s);
    if (have.empty())
      return {errc::invalid_argument, name() + ": no such table"};
    for (auto& c : spec_.columns)
      if (!have.contains(c))
        return {errc::invalid_argument, name() + ": no column '" + c + "'"};
    return {};
  }

  error prepare(const std::string& text, sqlite3_stmt** s) {
    if (sqlite3_prepare_v2(db_, text.c_str(), -1, s, nullptr) != SQLITE_OK)
      return failure("preparing '" + text + "'");
    return {};
  }

  error step(sqlite3_stmt* s, const std::string& what) {
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE)
      return failure(what);
    return {};
  }

  error exec(const std::string& text) {
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK)
      return failure("running '" + text + "'");
    return {};
  }

  error failure(const std::string& what) const {
    return {errc::io, name() + ": " + what + ": " + (db_ ? sqlite3_errmsg(db_) : "out of memory")};
  }

  void close() {
    sqlite3_finalize(insert_);
    sqlite3_finalize(mark_);
    insert_ = mark_ = nullptr;
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }

  std::filesystem::path path_;
  table_spec spec_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* mark_ = nullptr;
};

} // namespace

std::unique_ptr<table::table_writer> make_writer(std::filesystem::path db, table::table_spec spec) {
  return std::make_unique<writer>(std::move(db), std::move(spec));
}

} // namespace eddy::connectors::sqlite
