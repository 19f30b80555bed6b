#include "sql_oracle.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <memory>
#include <regex>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace eddy::test::nexmark {

namespace {

const char* const schema = R"sql(
  CREATE TABLE person(seq INTEGER, id INTEGER, name TEXT, email_address TEXT,
                      credit_card TEXT, city TEXT, state TEXT, date_time INTEGER,
                      extra TEXT);
  CREATE TABLE auction(seq INTEGER, id INTEGER, item_name TEXT, description TEXT,
                       initial_bid INTEGER, reserve INTEGER, date_time INTEGER,
                       expires INTEGER, seller INTEGER, category INTEGER, extra TEXT);
  CREATE TABLE bid(seq INTEGER, auction INTEGER, bidder INTEGER, price INTEGER,
                   channel TEXT, url TEXT, date_time INTEGER, extra TEXT);
)sql";

// After loading: the joins of q3, q8 and q20 look rows up by these.
const char* const indexes = R"sql(
  CREATE INDEX person_id ON person(id);
  CREATE INDEX auction_id ON auction(id);
  CREATE INDEX auction_seller ON auction(seller);
)sql";

/// Which column of a table is an integer, per CSV field after the type.
struct table_layout {
  const char* insert;
  std::vector<bool> integer; // per field
};

const table_layout person_layout{
  "INSERT INTO person VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
  {true, false, false, false, false, false, true, false}};
const table_layout auction_layout{
  "INSERT INTO auction VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
  {true, false, false, true, true, true, true, true, true, false}};
const table_layout bid_layout{"INSERT INTO bid VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                              {true, true, true, false, false, true, false}};

const char* const person_fields[] = {"id",    "name",      "email_address", "credit_card",
                                     "city",  "state",     "date_time",     "extra"};
const char* const auction_fields[] = {"id",      "item_name", "description", "initial_bid",
                                      "reserve", "date_time", "expires",     "seller",
                                      "category", "extra"};
const char* const bid_fields[] = {"auction", "bidder", "price", "channel",
                                  "url",     "date_time", "extra"};

struct statement_deleter {
  void operator()(sqlite3_stmt* s) const noexcept {
    sqlite3_finalize(s);
  }
};

using statement = std::unique_ptr<sqlite3_stmt, statement_deleter>;

[[noreturn]] void fail(sqlite3* db, const std::string& what) {
  throw std::runtime_error("sql_oracle: " + what + ": " + sqlite3_errmsg(db));
}

void exec(sqlite3* db, const char* sql, const char* what) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message != nullptr ? message : "unknown error";
    sqlite3_free(message);
    throw std::runtime_error(std::string{"sql_oracle: "} + what + ": " + text);
  }
}

statement prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &s, nullptr) != SQLITE_OK)
    fail(db, "cannot prepare '" + sql.substr(0, 200) + "'");
  return statement{s};
}

std::vector<std::string_view> split(std::string_view line, char sep) {
  std::vector<std::string_view> result;
  for (;;) {
    auto at = line.find(sep);
    result.push_back(line.substr(0, at));
    if (at == std::string_view::npos)
      return result;
    line.remove_prefix(at + 1);
  }
}

bool parse_int(std::string_view s, int64_t& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc{} && end == s.data() + s.size();
}

} // namespace

sql_oracle::sql_oracle(const std::filesystem::path& events) {
  if (sqlite3_open(":memory:", &db_) != SQLITE_OK) {
    auto message = std::string{db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory"};
    sqlite3_close(db_);
    throw std::runtime_error("sql_oracle: cannot open an in-memory database: " + message);
  }
  try {
    std::ifstream in{events, std::ios::binary};
    if (!in)
      throw std::runtime_error("sql_oracle: cannot read " + events.string());
    exec(db_, schema, "cannot create the tables");
    exec(db_, "BEGIN", "cannot begin the load");
    auto person_insert = prepare(db_, person_layout.insert);
    auto auction_insert = prepare(db_, auction_layout.insert);
    auto bid_insert = prepare(db_, bid_layout.insert);
    int64_t seq = 0;
    for (std::string line; std::getline(in, line); ++seq) {
      auto where = events.string() + " line " + std::to_string(seq + 1);
      auto fields = split(line, ',');
      const table_layout* layout = nullptr;
      const char* const* names = nullptr;
      sqlite3_stmt* insert = nullptr;
      if (fields[0] == "P") {
        layout = &person_layout, names = person_fields, insert = person_insert.get();
        ++persons_;
      } else if (fields[0] == "A") {
        layout = &auction_layout, names = auction_fields, insert = auction_insert.get();
        ++auctions_;
      } else if (fields[0] == "B") {
        layout = &bid_layout, names = bid_fields, insert = bid_insert.get();
        ++bids_;
      } else {
        throw std::runtime_error("sql_oracle: " + where + ": unknown event type '"
                                 + std::string{fields[0]} + "'");
      }
      if (fields.size() != layout->integer.size() + 1)
        throw std::runtime_error("sql_oracle: " + where + ": expected "
                                 + std::to_string(layout->integer.size() + 1) + " fields, got "
                                 + std::to_string(fields.size()));
      sqlite3_reset(insert);
      sqlite3_bind_int64(insert, 1, seq);
      for (size_t i = 1; i < fields.size(); ++i) {
        auto column = static_cast<int>(i) + 1;
        if (layout->integer[i - 1]) {
          int64_t value = 0;
          if (!parse_int(fields[i], value))
            throw std::runtime_error("sql_oracle: " + where + ": " + names[i - 1]
                                     + " is not an integer: '" + std::string{fields[i]} + "'");
          sqlite3_bind_int64(insert, column, value);
        } else {
          sqlite3_bind_text(insert, column, fields[i].data(), static_cast<int>(fields[i].size()),
                            SQLITE_TRANSIENT);
        }
      }
      if (sqlite3_step(insert) != SQLITE_DONE)
        fail(db_, "cannot insert " + where);
    }
    exec(db_, "COMMIT", "cannot commit the load");
    exec(db_, indexes, "cannot create the indexes");
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
}

sql_oracle::~sql_oracle() {
  sqlite3_close(db_);
}

std::vector<std::string> sql_oracle::rows(const std::string& sql) const {
  auto s = prepare(db_, sql);
  auto columns = sqlite3_column_count(s.get());
  std::vector<std::string> result;
  int rc;
  while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
    std::string row;
    for (int i = 0; i < columns; ++i) {
      if (i > 0)
        row += '\t';
      auto text = sqlite3_column_text(s.get(), i);
      if (text == nullptr)
        row += "NULL";
      else
        row.append(reinterpret_cast<const char*>(text),
                   static_cast<size_t>(sqlite3_column_bytes(s.get(), i)));
    }
    result.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE)
    fail(db_, "cannot run '" + sql.substr(0, 200) + "'");
  std::sort(result.begin(), result.end());
  return result;
}

std::map<std::string, std::string> load_queries(const std::filesystem::path& file) {
  std::ifstream in{file, std::ios::binary};
  if (!in)
    throw std::runtime_error("load_queries: cannot read " + file.string());
  static const std::regex header{"-- (q[0-9]+)"};
  std::map<std::string, std::string> result;
  std::string* current = nullptr;
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_match(line, m, header)) {
      auto [it, fresh] = result.emplace(m[1].str(), std::string{});
      if (!fresh)
        throw std::runtime_error("load_queries: " + file.string() + " has " + m[1].str()
                                 + " twice");
      current = &it->second;
    } else if (current != nullptr) {
      *current += line;
      *current += '\n';
    }
  }
  return result;
}

folded_changelog fold_changelog(const std::vector<std::string>& lines) {
  folded_changelog result;
  std::unordered_map<std::string, int64_t> counts;
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& line = lines[i];
    auto where = [&] { return "changelog line " + std::to_string(i + 1) + " '" + line + "'"; };
    if (line.size() < 2 || (line[0] != '+' && line[0] != '-') || line[1] != '\t') {
      result.errors.push_back(where() + " does not start with '+<TAB>' or '-<TAB>'");
      continue;
    }
    auto row = line.substr(2);
    if (line[0] == '+') {
      ++counts[row];
    } else {
      auto it = counts.find(row);
      if (it == counts.end() || it->second == 0) {
        result.errors.push_back(where() + " retracts a row that is not in the table");
        continue;
      }
      --it->second;
    }
  }
  for (auto& [row, n] : counts)
    result.rows.insert(result.rows.end(), static_cast<size_t>(n), row);
  std::sort(result.rows.begin(), result.rows.end());
  return result;
}

} // namespace eddy::test::nexmark
