#pragma once

// The SQL a table sink runs, in the dialect SQLite and PostgreSQL share:
// quoted identifiers, $n parameters, INSERT ... ON CONFLICT (key) DO UPDATE.

#include <string>
#include <utility>
#include <vector>

#include "eddy/connectors/table/table_sink.hpp"

namespace eddy::connectors::table::sql {

/// `"name"`, with inner quotes doubled.
inline std::string quote(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"')
      out += '"';
    out += c;
  }
  return out + '"';
}

/// ("app", "alerts") for "app.alerts", ("", "alerts") for "alerts".
inline std::pair<std::string, std::string> split_name(const std::string& table) {
  auto dot = table.find('.');
  if (dot == std::string::npos)
    return {"", table};
  return {table.substr(0, dot), table.substr(dot + 1)};
}

/// The table's name quoted, schema and all.
inline std::string quote_table(const std::string& table) {
  auto [schema, name] = split_name(table);
  return schema.empty() ? quote(name) : quote(schema) + "." + quote(name);
}

/// `"a", "b", "c"`.
inline std::string column_list(const std::vector<std::string>& columns) {
  std::string out;
  for (auto& c : columns)
    out += (out.empty() ? "" : ", ") + quote(c);
  return out;
}

/// ` ON CONFLICT ("k") DO UPDATE SET "v" = excluded."v"`, or "" without a key.
inline std::string on_conflict(const table_spec& spec) {
  if (spec.key.empty())
    return "";
  std::string set;
  for (auto& c : spec.columns) {
    bool is_key = false;
    for (auto& k : spec.key)
      is_key = is_key || k == c;
    if (!is_key)
      set += (set.empty() ? "" : ", ") + quote(c) + " = excluded." + quote(c);
  }
  return " ON CONFLICT (" + column_list(spec.key) + ")"
         + (set.empty() ? " DO NOTHING" : " DO UPDATE SET " + set);
}

/// `INSERT INTO t ("a", "b") VALUES ($1, $2)` plus on_conflict(spec).
inline std::string insert(const table_spec& spec) {
  std::string values;
  for (size_t i = 1; i <= spec.columns.size(); ++i)
    values += (i == 1 ? "$" : ", $") + std::to_string(i);
  return "INSERT INTO " + quote_table(spec.table) + " (" + column_list(spec.columns) + ") VALUES ("
         + values + ")" + on_conflict(spec);
}

/// Creates the marks table: one row per (sink, instance, channel).
inline std::string create_marks(const std::string& marks_table) {
  return "CREATE TABLE IF NOT EXISTS " + quote_table(marks_table)
         + " (sink_id TEXT NOT NULL, instance INTEGER NOT NULL, channel BIGINT NOT NULL,"
           " seq BIGINT NOT NULL, PRIMARY KEY (sink_id, instance, channel))";
}

/// Sets one mark: $1 sink id, $2 instance, $3 channel, $4 seq.
inline std::string upsert_mark(const std::string& marks_table) {
  return "INSERT INTO " + quote_table(marks_table)
         + " (sink_id, instance, channel, seq) VALUES ($1, $2, $3, $4)"
           " ON CONFLICT (sink_id, instance, channel) DO UPDATE SET seq = excluded.seq";
}

/// Reads one instance's marks: $1 sink id, $2 instance; rows (channel, seq).
inline std::string select_marks(const std::string& marks_table) {
  return "SELECT channel, seq FROM " + quote_table(marks_table)
         + " WHERE sink_id = $1 AND instance = $2 ORDER BY channel";
}

} // namespace eddy::connectors::table::sql
