#include "sql.hpp"

#include <libpq-fe.h>

#include <map>
#include <memory>

namespace eddy::connectors::postgres::detail {

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"')
      out += '"';
    out += c;
  }
  return out + '"';
}

std::string quote_table(std::string_view table) {
  auto dot = table.find('.');
  if (dot == std::string_view::npos)
    return quote_identifier(table);
  return quote_identifier(table.substr(0, dot)) + "." + quote_identifier(table.substr(dot + 1));
}

std::string column_list(const std::vector<std::string>& columns) {
  std::string out;
  for (auto& c : columns)
    out += (out.empty() ? "" : ", ") + quote_identifier(c);
  return out;
}

std::string quote_literal(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'')
      out += '\'';
    out += c;
  }
  return out + '\'';
}

void append_copy_row(std::string& out, const table::row& r) {
  bool first = true;
  for (auto& value : r) {
    if (!first)
      out += '\t';
    first = false;
    if (!value) {
      out += "\\N";
      continue;
    }
    // Copy runs of plain bytes at once; only four bytes need an escape.
    const char* p = value->data();
    const char* end = p + value->size();
    while (p < end) {
      const char* run = p;
      while (p < end && *p != '\\' && *p != '\t' && *p != '\n' && *p != '\r')
        ++p;
      out.append(run, p);
      if (p == end)
        break;
      out += '\\';
      out += *p == '\\' ? '\\' : *p == '\t' ? 't' : *p == '\n' ? 'n' : 'r';
      ++p;
    }
  }
  out += '\n';
}

std::string copy_statement(const std::string& table, const std::vector<std::string>& columns) {
  return "COPY " + quote_table(table) + " (" + column_list(columns) + ") FROM STDIN";
}

std::string create_stage_statement(const std::string& stage, const table::table_spec& spec) {
  return "CREATE TEMPORARY TABLE IF NOT EXISTS " + quote_identifier(stage)
         + " ON COMMIT DELETE ROWS AS SELECT " + column_list(spec.columns) + " FROM "
         + quote_table(spec.table) + " WITH NO DATA";
}

std::string upsert_statement(const std::string& stage, const table::table_spec& spec) {
  auto columns = column_list(spec.columns);
  std::string set;
  for (auto& c : spec.columns) {
    bool is_key = false;
    for (auto& k : spec.key)
      is_key = is_key || k == c;
    if (!is_key)
      set += (set.empty() ? "" : ", ") + quote_identifier(c) + " = EXCLUDED." + quote_identifier(c);
  }
  return "INSERT INTO " + quote_table(spec.table) + " (" + columns + ") SELECT " + columns
         + " FROM pg_temp." + quote_identifier(stage) + " ON CONFLICT (" + column_list(spec.key)
         + ") " + (set.empty() ? "DO NOTHING" : "DO UPDATE SET " + set);
}

std::string create_marks_statement(const std::string& marks_table) {
  return "CREATE TABLE IF NOT EXISTS " + quote_table(marks_table)
         + " (sink_id text NOT NULL, instance integer NOT NULL, channel bigint NOT NULL,"
           " seq bigint NOT NULL, PRIMARY KEY (sink_id, instance, channel))";
}

std::string upsert_marks_statement(const std::string& marks_table) {
  return "INSERT INTO " + quote_table(marks_table)
         + " (sink_id, instance, channel, seq) SELECT $1, $2, c, s"
           " FROM unnest($3::bigint[], $4::bigint[]) AS m(c, s)"
           " ON CONFLICT (sink_id, instance, channel) DO UPDATE SET seq = EXCLUDED.seq";
}

std::string select_marks_statement(const std::string& marks_table) {
  return "SELECT channel, seq FROM " + quote_table(marks_table)
         + " WHERE sink_id = $1 AND instance = $2 ORDER BY channel";
}

std::string array_literal(const std::vector<uint64_t>& values) {
  std::string out = "{";
  for (auto v : values)
    out += (out.size() > 1 ? "," : "") + std::to_string(v);
  return out + "}";
}

std::string redacted_dsn(const std::string& dsn) {
  char* err = nullptr;
  std::unique_ptr<PQconninfoOption, void (*)(PQconninfoOption*)> options{
    PQconninfoParse(dsn.c_str(), &err), PQconninfoFree};
  if (err)
    PQfreemem(err);
  if (!options)
    return dsn.find("password") == std::string::npos && dsn.find('@') == std::string::npos
             ? dsn
             : "(an unparsable DSN)";
  std::map<std::string, std::string> values;
  for (auto* o = options.get(); o->keyword; ++o)
    if (o->val)
      values[o->keyword] = o->val;
  auto user = values.count("user") ? values["user"] + "@" : std::string{};
  auto host = values.count("host") ? values["host"] : values.count("hostaddr") ? values["hostaddr"] : "localhost";
  auto port = values.count("port") ? ":" + values["port"] : std::string{};
  auto db = values.count("dbname") ? "/" + values["dbname"] : std::string{};
  return "postgresql://" + user + host + port + db;
}

} // namespace eddy::connectors::postgres::detail
