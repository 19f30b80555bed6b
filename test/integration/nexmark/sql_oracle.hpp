#pragma once

// The reference side of nexmark_matches_sql: the events of a `nexmark
// generate` file in an in-memory SQLite database, the queries of
// queries.sql run over them, and a fold of `nexmark run`'s changelogs into
// the table they describe. Independent of the C++ queries: the CSV is split
// here, and the SQL is written from samples/nexmark/QUERIES.md.

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

struct sqlite3;

namespace eddy::test::nexmark {

/// An in-memory SQLite database with the tables `person`, `auction` and
/// `bid` of one events file (columns as in queries.sql; `seq` is the 0-based
/// line number). Owned by one thread; not thread-safe.
class sql_oracle {
public:
  /// Loads `events` (lines `P,...`, `A,...`, `B,...` as written by to_csv) in
  /// one transaction. Throws std::runtime_error naming the line number and
  /// what is wrong with it when a line is malformed, or when the file cannot
  /// be read.
  explicit sql_oracle(const std::filesystem::path& events);

  sql_oracle(const sql_oracle&) = delete;
  sql_oracle& operator=(const sql_oracle&) = delete;

  ~sql_oracle();

  /// Runs one SELECT and returns its rows, each the text of its columns
  /// joined with tabs, sorted. A NULL column reads `NULL` (no query of
  /// queries.sql yields one). Throws std::runtime_error with SQLite's message
  /// when `sql` does not compile or run.
  std::vector<std::string> rows(const std::string& sql) const;

  /// Number of persons, auctions and bids loaded.
  size_t persons() const noexcept {
    return persons_;
  }
  size_t auctions() const noexcept {
    return auctions_;
  }
  size_t bids() const noexcept {
    return bids_;
  }

private:
  sqlite3* db_ = nullptr;
  size_t persons_ = 0;
  size_t auctions_ = 0;
  size_t bids_ = 0;
};

/// The queries of a file in the format of queries.sql: each starts after a
/// line that is exactly `-- qN` and runs to the next such line (text before
/// the first is a preamble). Keyed by `qN`. Throws std::runtime_error when
/// the file cannot be read or names a query twice.
std::map<std::string, std::string> load_queries(const std::filesystem::path& file);

/// A changelog folded into its final table.
struct folded_changelog {
  /// Each row (without the `+`/`-` column) as often as its count, sorted.
  /// A row is normally there once; twice when two equal rows are both in
  /// the table (q19 at Nexmark's default rate: two bids of one bidder for
  /// one auction at one price in one millisecond), which the comparison
  /// with SQL tells from a row wrongly inserted twice.
  std::vector<std::string> rows;
  /// What is wrong with the changelog, one message per problem, in order
  /// (empty when it is well-formed): a line without a `+<TAB>` or `-<TAB>`
  /// prefix, a retraction of a row that is not in the table at that point.
  std::vector<std::string> errors;
};

/// Folds changelog `lines` (`+<TAB>row` inserts, `-<TAB>row` retracts, as
/// `nexmark run` writes q18 and q19): counts +1 / -1 per row text in order.
folded_changelog fold_changelog(const std::vector<std::string>& lines);

} // namespace eddy::test::nexmark
