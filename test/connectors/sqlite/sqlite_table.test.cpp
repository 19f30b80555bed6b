// The SQLite table sink on its own: rows and marks commit together, upserts
// replace by key, instances keep their own marks, a failed transaction
// leaves nothing, and a wrong table or column is named before anything runs.

#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <filesystem>
#include <string>
#include <vector>

#include "eddy/connectors/sqlite/table.hpp"
#include "support/temp_dir.hpp"

using namespace eddy;
namespace table = eddy::connectors::table;
namespace sqlite = eddy::connectors::sqlite;

namespace {

struct reading {
  std::string sensor;
  int64_t value = 0;
};

table::row to_row(const reading& r) {
  return {r.sensor, std::to_string(r.value)};
}

table::table_spec spec(std::vector<std::string> key = {}) {
  table::table_spec s;
  s.table = "readings";
  s.columns = {"sensor", "value"};
  s.key = std::move(key);
  s.max_instances = 2;
  s.create = "CREATE TABLE IF NOT EXISTS readings (sensor TEXT NOT NULL, value INTEGER NOT NULL"
             + std::string(s.key.empty() ? "" : ", PRIMARY KEY (sensor)") + ")";
  return s;
}

/// The rows of `sql`, columns joined by '|'.
std::vector<std::string> rows(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  sqlite3_open(db.c_str(), &h);
  std::vector<std::string> out;
  sqlite3_exec(
    h, sql.c_str(),
    [](void* p, int n, char** v, char**) {
      std::string line;
      for (int i = 0; i < n; ++i)
        line += (i ? "|" : "") + std::string(v[i] ? v[i] : "NULL");
      static_cast<std::vector<std::string>*>(p)->push_back(line);
      return 0;
    },
    &out, nullptr);
  sqlite3_close(h);
  return out;
}

std::unique_ptr<sink<reading>> opened(const std::filesystem::path& db, const table::table_spec& s,
                                      uint32_t instance, sink_marks* marks = nullptr) {
  auto base = sqlite::table_sink<reading>(db, s, to_row);
  auto made = base->instance(instance, 2);
  BOOST_TEST_REQUIRE(static_cast<bool>(made));
  auto got = (*made)->open("");
  if (!got)
    BOOST_FAIL(got.error().message());
  BOOST_TEST_REQUIRE(got->has_value()); // the marks live in the table's database
  if (marks)
    *marks = **got;
  return std::move(*made);
}

} // namespace

BOOST_AUTO_TEST_SUITE(sqlite_table)

BOOST_AUTO_TEST_CASE(rows_and_marks_commit_together_and_open_returns_the_last_marks) {
  test::temp_dir dir;
  std::filesystem::create_directories(dir.path);
  auto db = dir.path / "out.db";
  auto s = spec();
  BOOST_TEST(!sqlite::table_sink<reading>(db, s, to_row)->check());
  sink_marks marks;
  auto sink = opened(db, s, 0, &marks);
  BOOST_TEST(marks.empty());
  BOOST_TEST(!sink->write({"a", 1}));
  BOOST_TEST(!sink->write({"b", 2}));
  BOOST_TEST(static_cast<bool>(sink->commit({{0, 2}})));
  BOOST_TEST(!sink->write({"a", 3}));
  BOOST_TEST(static_cast<bool>(sink->commit({{0, 3}, {1, 7}})));
  BOOST_TEST((rows(db, "SELECT sensor, value FROM readings ORDER BY rowid")
              == std::vector<std::string>{"a|1", "b|2", "a|3"}));
  sink.reset();
  opened(db, s, 0, &marks);
  BOOST_TEST((marks == sink_marks{{0, 3}, {1, 7}}));
}

BOOST_AUTO_TEST_CASE(an_upsert_replaces_by_key_and_the_last_row_of_a_key_in_a_commit_wins) {
  test::temp_dir dir;
  std::filesystem::create_directories(dir.path);
  auto db = dir.path / "out.db";
  auto s = spec({"sensor"});
  auto sink = opened(db, s, 0);
  BOOST_TEST(!sink->write({"a", 1}));
  BOOST_TEST(!sink->write({"b", 2}));
  BOOST_TEST(!sink->write({"a", 3}));
  BOOST_TEST(static_cast<bool>(sink->commit({{0, 3}})));
  BOOST_TEST(!sink->write({"b", 5}));
  BOOST_TEST(static_cast<bool>(sink->commit({{0, 4}})));
  BOOST_TEST((rows(db, "SELECT sensor, value FROM readings ORDER BY sensor")
              == std::vector<std::string>{"a|3", "b|5"}));
}

BOOST_AUTO_TEST_CASE(each_instance_keeps_marks_of_its_own) {
  test::temp_dir dir;
  std::filesystem::create_directories(dir.path);
  auto db = dir.path / "out.db";
  auto s = spec();
  auto first = opened(db, s, 0);
  auto second = opened(db, s, 1);
  BOOST_TEST(!first->write({"a", 1}));
  BOOST_TEST(static_cast<bool>(first->commit({{0, 10}})));
  BOOST_TEST(!second->write({"b", 1}));
  BOOST_TEST(static_cast<bool>(second->commit({{0, 20}})));
  sink_marks marks;
  opened(db, s, 0, &marks);
  BOOST_TEST((marks == sink_marks{{0, 10}}));
  opened(db, s, 1, &marks);
  BOOST_TEST((marks == sink_marks{{0, 20}}));
}

BOOST_AUTO_TEST_CASE(a_failed_commit_leaves_neither_its_rows_nor_its_marks) {
  test::temp_dir dir;
  std::filesystem::create_directories(dir.path);
  auto db = dir.path / "out.db";
  auto s = spec();
  auto sink = opened(db, s, 0);
  BOOST_TEST(!sink->write({"a", 1}));
  BOOST_TEST(static_cast<bool>(sink->commit({{0, 1}})));
  // The second row breaks NOT NULL: the whole commit must vanish.
  auto failing = sqlite::table_sink<reading>(db, s, [](const reading& r) {
    return table::row{r.sensor, r.value < 0 ? std::nullopt : std::optional{std::to_string(r.value)}};
  });
  auto open = failing->open("");
  BOOST_TEST_REQUIRE(static_cast<bool>(open));
  BOOST_TEST(!failing->write({"b", 2}));
  BOOST_TEST(!failing->write({"c", -1}));
  auto done = failing->commit({{0, 3}});
  BOOST_TEST_REQUIRE(!static_cast<bool>(done));
  BOOST_TEST(done.error().message().find("NOT NULL") != std::string::npos, done.error().message());
  BOOST_TEST((rows(db, "SELECT sensor FROM readings") == std::vector<std::string>{"a"}));
  BOOST_TEST((rows(db, "SELECT channel, seq FROM eddy_sink_marks") == std::vector<std::string>{"0|1"}));
}

BOOST_AUTO_TEST_CASE(a_missing_table_column_or_unique_key_is_named_by_check) {
  test::temp_dir dir;
  std::filesystem::create_directories(dir.path);
  auto db = dir.path / "out.db";
  auto no_table = spec();
  no_table.create.clear();
  auto err = sqlite::table_sink<reading>(db, no_table, to_row)->check();
  BOOST_TEST(err.message().find("sqlite table readings in " + db.string() + ": no such table")
               != std::string::npos,
             err.message());
  auto no_column = spec();
  no_column.columns = {"sensor", "amount"};
  err = sqlite::table_sink<reading>(db, no_column, to_row)->check();
  BOOST_TEST(err.message().find("no column 'amount'") != std::string::npos, err.message());
  auto no_index = spec();
  no_index.key = {"sensor"}; // the table (made by spec() above) has no unique index
  err = sqlite::table_sink<reading>(db, no_index, to_row)->check();
  BOOST_TEST(err.message().find("ON CONFLICT") != std::string::npos, err.message());
  auto bad_key = spec({"value2"});
  err = sqlite::table_sink<reading>(db, bad_key, to_row)->check();
  BOOST_TEST(err.message().find("key column 'value2' is not among its columns") != std::string::npos,
             err.message());
  err = sqlite::table_sink<reading>(dir.path / "no-such-dir" / "x.db", spec(), to_row)->check();
  BOOST_TEST(static_cast<bool>(err));
  BOOST_TEST(err.message().find("no-such-dir") != std::string::npos, err.message());
}

BOOST_AUTO_TEST_SUITE_END()
