#pragma once

// What the bank_notifications tests share: the binary, the expected rows of
// a list of input records (the sample's own reference), and the rows of its
// tables, each as one "account|ts|kind|detail|source_id" string.

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "bank_notifications/bank_job.hpp"
#include "connector_options.hpp"
#include "bank_notifications/generator.hpp"
#include "integration/process.hpp"
#include "bank_notifications/reference.hpp"

namespace bank_test {

inline const std::string binary = EDDY_BANK_NOTIFICATIONS_BINARY;

/// The query that lists a notifications table the way rows_of_reference() does.
inline const std::string notifications_query =
  "SELECT account || '|' || ts || '|' || kind || '|' || detail || '|' || source_id "
  "FROM notifications ORDER BY 1";

/// The rows the job must write for `records` (in arrival order), sorted;
/// `dead` gets how many records are malformed.
inline std::vector<std::string> rows_of_reference(const std::vector<samples::input_record>& records,
                                                  size_t* dead = nullptr,
                                                  const bank_notifications::rules_config& rules = {}) {
  std::vector<bank_notifications::transaction> txs;
  size_t bad = 0;
  for (auto& r : records) {
    bank_notifications::transaction tx;
    std::string reason;
    if (bank_notifications::parse(r, tx, reason))
      txs.push_back(std::move(tx));
    else
      ++bad;
  }
  if (dead)
    *dead = bad;
  std::vector<std::string> rows;
  for (auto& n : bank_notifications::reference(txs, rules)) {
    std::string row;
    for (auto& v : bank_notifications::notification_row(n))
      row += (row.empty() ? "" : "|") + v.value_or("");
    rows.push_back(std::move(row));
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

/// The records of a CSV file as the job reads them (line numbers as ids).
inline std::vector<samples::input_record> records_of_file(const std::filesystem::path& file) {
  std::vector<samples::input_record> out;
  int64_t number = 0;
  for (auto& line : eddy::test::lines_of(eddy::test::slurp(file)))
    out.push_back(samples::csv_record(++number, line, bank_notifications::transaction_columns()));
  return out;
}

/// The first column of `sql`'s rows in the SQLite file `db`, as text.
inline std::vector<std::string> sqlite_rows(const std::filesystem::path& db, const std::string& sql) {
  std::vector<std::string> rows;
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK)
      while (sqlite3_step(st) == SQLITE_ROW) {
        auto* text = sqlite3_column_text(st, 0);
        rows.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
      }
    sqlite3_finalize(st);
  }
  sqlite3_close(h);
  return rows;
}

/// `bank_notifications generate` with `options` (and --seed etc.); true on exit 0.
inline eddy::test::exit_status generate(const std::filesystem::path& dir,
                                        std::vector<std::string> options) {
  options.insert(options.begin(), {binary, "generate"});
  return eddy::test::run(options, dir / "generate.stdout", dir / "generate.stderr");
}

/// A moment to SIGKILL a run whose uninterrupted run took `whole_ms`: past
/// its start-up (`startup_ms`), early enough that ten such kills cannot
/// finish the job.
template <class Rng>
std::chrono::milliseconds kill_delay(int64_t whole_ms, Rng& rng, int64_t startup_ms = 80) {
  return std::chrono::milliseconds(startup_ms + whole_ms / 40
                                   + static_cast<int64_t>(rng() % static_cast<uint64_t>(whole_ms / 15 + 1)));
}

/// How many of `got` and `want` (both sorted) differ, for messages.
inline std::string difference(const std::vector<std::string>& got, const std::vector<std::string>& want) {
  std::vector<std::string> extra, missing;
  std::set_difference(got.begin(), got.end(), want.begin(), want.end(), std::back_inserter(extra));
  std::set_difference(want.begin(), want.end(), got.begin(), got.end(), std::back_inserter(missing));
  std::string s = std::to_string(got.size()) + " rows, " + std::to_string(want.size()) + " expected, "
                  + std::to_string(extra.size()) + " extra, " + std::to_string(missing.size()) + " missing";
  if (!extra.empty())
    s += "; first extra: " + extra.front();
  if (!missing.empty())
    s += "; first missing: " + missing.front();
  return s;
}

} // namespace bank_test
