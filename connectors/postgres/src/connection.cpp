#include "connection.hpp"

#include <libpq-fe.h>

#include <memory>
#include <utility>

namespace eddy::connectors::postgres::detail {

namespace {

using result_ptr = std::unique_ptr<PGresult, void (*)(PGresult*)>;

std::string one_line(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  // libpq's messages continue on indented lines ("\n\tIs the server...").
  std::string out;
  for (char c : s) {
    if (c == '\n' || c == '\t') {
      if (!out.empty() && out.back() != ' ')
        out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

/// SQLSTATE classes that mean the session is gone: connection exceptions
/// (08) and the server shutting down or starting up (57P01-57P03).
bool is_lost(const char* sqlstate) {
  if (!sqlstate)
    return false;
  std::string_view s{sqlstate};
  return s.starts_with("08") || s == "57P01" || s == "57P02" || s == "57P03";
}

} // namespace

connection::connection(connection&& other) noexcept : conn_(std::exchange(other.conn_, nullptr)) {
}

connection& connection::operator=(connection&& other) noexcept {
  if (this != &other) {
    close();
    conn_ = std::exchange(other.conn_, nullptr);
  }
  return *this;
}

connection::~connection() {
  close();
}

outcome connection::connect(const std::string& dsn) {
  close();
  // connect_timeout comes before dbname, so that one in the DSN wins.
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"10", "eddy", dsn.c_str(), nullptr};
  conn_ = PQconnectdbParams(keys, values, 1);
  if (PQstatus(conn_) == CONNECTION_OK) {
    // NOTICEs ("relation already exists, skipping") would go to stderr.
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
    return {};
  }
  auto f = failure{true, one_line(conn_ ? PQerrorMessage(conn_) : "out of memory")};
  close();
  return f;
}

bool connection::connected() const {
  return conn_ && PQstatus(conn_) == CONNECTION_OK;
}

void connection::close() {
  if (conn_)
    PQfinish(conn_);
  conn_ = nullptr;
}

failure connection::failed(const void* result) const {
  auto* r = static_cast<const PGresult*>(result);
  auto* sqlstate = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  bool lost = !connected() || is_lost(sqlstate);
  if (!r || !PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY))
    return {lost, one_line(conn_ ? PQerrorMessage(conn_) : "not connected")};
  std::string message = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
  if (auto* detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL))
    message += " (" + std::string{detail} + ")";
  return {lost, one_line(message)};
}

outcome connection::exec(const std::string& sql, const std::vector<std::string>& params,
                         text_rows* rows) {
  if (!conn_)
    return failure{true, "not connected"};
  std::vector<const char*> values;
  for (auto& p : params)
    values.push_back(p.c_str());
  result_ptr r{params.empty() ? PQexec(conn_, sql.c_str())
                              : PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()),
                                             nullptr, values.data(), nullptr, nullptr, 0),
               PQclear};
  auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    return failed(r.get());
  if (rows) {
    rows->clear();
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      auto& row = rows->emplace_back();
      for (int j = 0; j < PQnfields(r.get()); ++j)
        row.push_back(PQgetisnull(r.get(), i, j)
                        ? std::nullopt
                        : std::optional<std::string>{PQgetvalue(r.get(), i, j)});
    }
  }
  return {};
}

outcome connection::copy_in(const std::string& copy_sql, std::string_view data) {
  if (!conn_)
    return failure{true, "not connected"};
  result_ptr start{PQexec(conn_, copy_sql.c_str()), PQclear};
  if (!start || PQresultStatus(start.get()) != PGRES_COPY_IN)
    return failed(start.get());
  // libpq buffers what it is given; sending a few MiB per call keeps the
  // socket busy without copying the whole commit again.
  constexpr size_t chunk = size_t{4} << 20;
  for (size_t at = 0; at < data.size(); at += chunk) {
    auto n = std::min(chunk, data.size() - at);
    if (PQputCopyData(conn_, data.data() + at, static_cast<int>(n)) != 1)
      return failed(nullptr);
  }
  if (PQputCopyEnd(conn_, nullptr) != 1)
    return failed(nullptr);
  outcome out;
  // The COPY's result, then null; a result must be read to the end.
  while (auto* raw = PQgetResult(conn_)) {
    result_ptr r{raw, PQclear};
    if (PQresultStatus(raw) != PGRES_COMMAND_OK && !out)
      out = failed(raw);
  }
  return out;
}

} // namespace eddy::connectors::postgres::detail
