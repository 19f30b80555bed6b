// A job whose keyed counts go to an SQLite table through two sink
// instances, SIGKILLed ten times: the table holds every count exactly once.

#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>

#include "eddy/actors/run.hpp"
#include "eddy/connectors/memory/memory.hpp"
#include "eddy/connectors/sqlite/table.hpp"
#include "support/kill_loop.hpp"
#include "support/temp_dir.hpp"

using namespace eddy;
namespace table = eddy::connectors::table;

namespace {

constexpr uint64_t records = 200'000;
constexpr int64_t keys = 97;

struct count {
  int64_t key = 0;
  int64_t n = 0;
};

template <class Inspector>
auto inspect(Inspector& f, count& x) {
  return f(x.key, x.n);
}

struct counter {
  value_state<int64_t> seen;
  void on_record(const int64_t& key, context<count>& ctx) {
    seen = seen.value_or(0) + 1;
    ctx.emit({key, *seen});
  }
};

int run_job(const std::filesystem::path& state, const std::filesystem::path& db) {
  job j{"sqlite_counts"};
  j.config().state_dir = state;
  j.config().log_level = "off";
  j.config().parallelism = 2;
  j.config().source_chunk = 2'000; // many commits
  table::table_spec spec;
  spec.table = "counts";
  spec.columns = {"key", "n"};
  spec.max_instances = 2;
  spec.create = "CREATE TABLE IF NOT EXISTS counts (key INTEGER NOT NULL, n INTEGER NOT NULL)";
  j.source(connectors::memory::generate(records, [](uint64_t i) { return static_cast<int64_t>(i % keys); }))
    .key_by([](const int64_t& k) { return k; })
    .process<counter>()
    .sink(connectors::sqlite::table_sink<count>(db, spec, [](const count& c) {
      return table::row{std::to_string(c.key), std::to_string(c.n)};
    }));
  auto result = actors::execute(j);
  if (result.exit_code != 0)
    std::fprintf(stderr, "job failed: %s\n", result.error.c_str());
  return result.exit_code;
}

} // namespace

BOOST_AUTO_TEST_SUITE(sqlite_kill)

BOOST_AUTO_TEST_CASE(every_count_is_in_the_table_exactly_once_across_sigkills) {
  test::temp_dir dir;
  std::filesystem::create_directories(dir.path);
  auto report = test::kill_and_finish(
    [&](bool probe) {
      return probe ? run_job(dir.path / "probe-state", dir.path / "probe.db")
                   : run_job(dir.path / "state", dir.path / "out.db");
    },
    11);
  BOOST_TEST_MESSAGE("the whole job takes " << report.whole_ms << " ms; killed " << report.kills
                                            << " times");
  BOOST_TEST_REQUIRE(report.final_code == 0);
  BOOST_TEST(report.kills >= 8);
  // Per key, the counts 1..n each once: (key, n, rows) with n = rows.
  std::map<int64_t, std::pair<int64_t, int64_t>> got; // key -> (max n, rows)
  sqlite3* db = nullptr;
  BOOST_TEST_REQUIRE(sqlite3_open((dir.path / "out.db").c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, "SELECT key, max(n), count(*), count(DISTINCT n) FROM counts GROUP BY key",
                     -1, &s, nullptr);
  while (sqlite3_step(s) == SQLITE_ROW) {
    auto key = sqlite3_column_int64(s, 0);
    got[key] = {sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2)};
    BOOST_TEST(sqlite3_column_int64(s, 3) == sqlite3_column_int64(s, 2), "duplicates of key " << key);
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  BOOST_TEST_REQUIRE(got.size() == static_cast<size_t>(keys));
  for (int64_t k = 0; k < keys; ++k) {
    int64_t want = static_cast<int64_t>(records / keys) + (static_cast<uint64_t>(k) < records % keys);
    BOOST_TEST(got[k].first == want, "key " << k);
    BOOST_TEST(got[k].second == want, "key " << k);
  }
}

BOOST_AUTO_TEST_SUITE_END()
