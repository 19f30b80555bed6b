#include "sql.hpp"

#include "eddy/connectors/table/sql_text.hpp"

#include <libpq-fe.h>

#include <map>
#include <memory>

namespace eddy::connectors::postgres::detail {

namespace sql = table::sql;

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
  return "COPY " + sql::quote_table(table) + " (" + sql::column_list(columns) + ") FROM STDIN";
}

std::string create_stage_statement(const std::string& stage, const table::table_spec& spec) {
  return "CREATE TEMPORARY TABLE IF NOT EXISTS " + sql::quote(stage)
         + " ON COMMIT DELETE ROWS AS SELECT " + sql::column_list(spec.columns) + " FROM "
         + sql::quote_table(spec.table) + " WITH NO DATA";
}

std::string upsert_statement(const std::string& stage, const table::table_spec& spec) {
  auto columns = sql::column_list(spec.columns);
  return "INSERT INTO " + sql::quote_table(spec.table) + " (" + columns + ") SELECT " + columns
         + " FROM pg_temp." + sql::quote(stage) + sql::on_conflict(spec);
}

std::string upsert_marks_statement(const std::string& marks_table) {
  return "INSERT INTO " + sql::quote_table(marks_table)
         + " (sink_id, instance, channel, seq) SELECT $1, $2, c, s"
           " FROM unnest($3::bigint[], $4::bigint[]) AS m(c, s)"
           " ON CONFLICT (sink_id, instance, channel) DO UPDATE SET seq = EXCLUDED.seq";
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
