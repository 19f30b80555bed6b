// The PostgreSQL table_writer: one connection per sink instance, one
// transaction per commit, reconnecting with backoff when the connection
// breaks.

#include <algorithm>
#include <map>
#include <set>
#include <thread>
#include <utility>

#include "connection.hpp"
#include "eddy/connectors/postgres/table.hpp"
#include "eddy/connectors/table/sql_text.hpp"
#include "sql.hpp"

namespace eddy::connectors::postgres {

namespace {

using detail::failure;
using detail::outcome;

/// The staging table of an upsert, private to each connection.
constexpr const char* stage_table = "eddy_stage";

class pg_writer final : public table::table_writer {
public:
  pg_writer(std::string dsn, table::table_spec spec, retry_policy retry)
    : dsn_(std::move(dsn)), server_(detail::redacted_dsn(dsn_)), spec_(std::move(spec)),
      retry_(retry), copy_sql_(detail::copy_statement(spec_.key.empty() ? spec_.table : stage_table,
                                                      spec_.columns)),
      upsert_sql_(spec_.key.empty() ? "" : detail::upsert_statement(stage_table, spec_)),
      upsert_marks_sql_(detail::upsert_marks_statement(spec_.marks_table)),
      select_marks_sql_(table::sql::select_marks(spec_.marks_table)) {
  }

  std::string name() const override {
    return "PostgreSQL " + server_ + " table " + spec_.table;
  }

  error check() override {
    // No retries: a server that is not there before the job starts is a
    // configuration error, reported at once.
    if (auto f = conn_.connect(dsn_))
      return {errc::invalid_argument, "PostgreSQL " + server_ + ": cannot connect: " + f->message};
    // A job that owns its table creates it first (table_spec::create).
    if (!spec_.create.empty())
      if (auto f = conn_.exec(spec_.create))
        return {errc::invalid_argument, name() + ": its create statement failed: " + f->message};
    detail::text_rows rows;
    if (auto f = conn_.exec("SELECT to_regclass($1)", {table::sql::quote_table(spec_.table)}, &rows))
      return {errc::invalid_argument, name() + ": " + f->message};
    if (rows.empty() || !rows[0][0])
      return {errc::invalid_argument,
              "PostgreSQL " + server_ + ": table " + spec_.table + " does not exist (create it first)"};
    auto columns_sql = "SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass"
                       " AND attnum > 0 AND NOT attisdropped";
    if (auto f = conn_.exec(columns_sql, {table::sql::quote_table(spec_.table)}, &rows))
      return {errc::invalid_argument, name() + ": " + f->message};
    std::set<std::string> present;
    for (auto& r : rows)
      present.insert(*r[0]);
    for (auto* list : {&spec_.columns, &spec_.key})
      for (auto& c : *list)
        if (!present.count(c))
          return {errc::invalid_argument, name() + " has no column '" + c + "'"};
    if (!spec_.key.empty())
      if (auto err = check_unique_key())
        return err;
    conn_.close();
    return {};
  }

  expected<sink_marks> open(uint32_t instance) override {
    sink_marks marks;
    auto err = with_retries("open", [&]() -> outcome {
      // Two instances may create the marks table at once; CREATE TABLE IF
      // NOT EXISTS races in the catalog, so they take turns under a lock.
      if (auto f = conn_.exec("BEGIN"))
        return f;
      if (auto f = conn_.exec("SELECT pg_advisory_xact_lock(hashtext($1))", {spec_.marks_table}))
        return rollback(std::move(f));
      if (auto f = conn_.exec(table::sql::create_marks(spec_.marks_table)))
        return rollback(std::move(f));
      if (auto f = conn_.exec("COMMIT"))
        return f;
      return read_marks(instance, marks);
    });
    if (err)
      return err;
    return marks;
  }

  error commit(uint32_t instance, const std::vector<table::row>& rows,
               const sink_marks& marks) override {
    // Encoded once: a retry sends the same bytes.
    buffer_.clear();
    for (auto& r : rows)
      detail::append_copy_row(buffer_, r);
    std::vector<uint64_t> channels, seqs;
    for (auto& m : marks) {
      channels.push_back(m.channel);
      seqs.push_back(m.seq);
    }
    std::vector<std::string> mark_params{spec_.id(), std::to_string(instance),
                                         detail::array_literal(channels),
                                         detail::array_literal(seqs)};
    std::vector<std::string> unknown; // the session whose COMMIT broke off, if one did
    return with_retries("commit", [&]() -> outcome {
      if (!unknown.empty()) {
        // The connection broke while COMMIT was on its way: the server may
        // have committed or not, and its session may still be at it. Once
        // that session is gone its outcome is final, and the marks tell it:
        // a commit always raises a mark (the runtime commits only after new
        // records), so marks equal to ours mean this transaction is in, and
        // running it again would write its rows twice; others mean it
        // rolled back.
        if (auto f = await_end_of(unknown))
          return f;
        sink_marks stored;
        if (auto f = read_marks(instance, stored))
          return f;
        if (covers(stored, marks))
          return {};
        unknown.clear();
      }
      if (auto f = conn_.exec("BEGIN"))
        return f;
      if (!buffer_.empty()) {
        if (auto f = conn_.copy_in(copy_sql_, buffer_))
          return rollback(std::move(f));
        if (!upsert_sql_.empty())
          if (auto f = conn_.exec(upsert_sql_))
            return rollback(std::move(f));
      }
      if (!marks.empty())
        if (auto f = conn_.exec(upsert_marks_sql_, mark_params))
          return rollback(std::move(f));
      auto f = conn_.exec("COMMIT");
      // Before COMMIT, a broken connection rolled the transaction back on
      // the server: a plain retry is safe. During it, nobody knows.
      if (f && f->lost)
        unknown = session_;
      return f;
    });
  }

private:
  /// Runs `attempt` on a connection, reconnecting and retrying per retry_
  /// while the connection breaks; an SQL error ends it at once.
  template <class Attempt>
  error with_retries(const char* what, Attempt attempt) {
    auto backoff = retry_.first_backoff;
    auto attempts = std::max<uint32_t>(retry_.attempts, 1);
    for (uint32_t i = 1;; ++i) {
      outcome f;
      if (!conn_.connected())
        f = connect();
      if (!f)
        f = attempt();
      if (!f)
        return {};
      if (!f->lost)
        return {errc::io, name() + ": " + what + " failed: " + f->message};
      conn_.close();
      if (i >= attempts)
        return {errc::unavailable, "PostgreSQL server " + server_ + " unreachable: " + what
                                     + " of table " + spec_.table + " failed " + std::to_string(i)
                                     + " times, last: " + f->message};
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, retry_.max_backoff);
    }
  }

  /// Connects and prepares the session (the staging table of an upsert).
  outcome connect() {
    if (auto f = conn_.connect(dsn_))
      return f;
    detail::text_rows rows;
    if (auto f = conn_.exec("SELECT pid, backend_start FROM pg_stat_activity"
                            " WHERE pid = pg_backend_pid()", {}, &rows))
      return f;
    session_ = {rows.at(0).at(0).value_or(""), rows.at(0).at(1).value_or("")};
    if (!spec_.key.empty())
      return conn_.exec(detail::create_stage_statement(stage_table, spec_));
    return {};
  }

  /// Ends a transaction that failed with `f` and returns `f`. On a broken
  /// connection the server rolls back by itself.
  outcome rollback(outcome f) {
    if (f && !f->lost)
      (void) conn_.exec("ROLLBACK");
    return f;
  }

  /// Ends `session` (its pid and start time, which tell it from a later
  /// session with the same pid) if the server still runs it, and waits
  /// until it is gone. The same user may end its own sessions.
  outcome await_end_of(const std::vector<std::string>& session) {
    auto same = std::string{" FROM pg_stat_activity WHERE pid = $1 AND backend_start = $2"};
    if (auto f = conn_.exec("SELECT pg_terminate_backend(pid)" + same, session))
      return f;
    for (;;) {
      detail::text_rows rows;
      if (auto f = conn_.exec("SELECT 1" + same, session, &rows))
        return f;
      if (rows.empty())
        return {};
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
  }

  outcome read_marks(uint32_t instance, sink_marks& out) {
    detail::text_rows rows;
    if (auto f = conn_.exec(select_marks_sql_, {spec_.id(), std::to_string(instance)}, &rows))
      return f;
    out.clear();
    for (auto& r : rows)
      out.push_back({std::stoull(*r[0]), std::stoull(*r[1])});
    return {};
  }

  /// True if `stored` holds every mark of `ours` at the same seq.
  static bool covers(const sink_marks& stored, const sink_marks& ours) {
    return std::all_of(ours.begin(), ours.end(), [&](const sink_mark& m) {
      return std::find(stored.begin(), stored.end(), m) != stored.end();
    });
  }

  /// Checks that a unique index or primary key covers exactly the key
  /// columns, which ON CONFLICT needs.
  error check_unique_key() {
    detail::text_rows rows;
    auto by_index = "SELECT i.indexrelid::text, a.attname FROM pg_index i JOIN pg_attribute a"
                    " ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
                    " WHERE i.indrelid = $1::regclass AND i.indisunique AND i.indpred IS NULL";
    if (auto f = conn_.exec(by_index, {table::sql::quote_table(spec_.table)}, &rows))
      return {errc::invalid_argument, name() + ": " + f->message};
    std::map<std::string, std::set<std::string>> indexes;
    for (auto& r : rows)
      indexes[*r[0]].insert(*r[1]);
    std::set<std::string> key(spec_.key.begin(), spec_.key.end());
    for (auto& [index, columns] : indexes)
      if (columns == key)
        return {};
    std::string names;
    for (auto& k : spec_.key)
      names += (names.empty() ? "" : ", ") + k;
    return {errc::invalid_argument, name() + " has no primary key or unique index on (" + names
                                      + "), which its upsert key needs"};
  }

  std::string dsn_;
  std::string server_; ///< the DSN without its password
  table::table_spec spec_;
  retry_policy retry_;
  std::string copy_sql_;
  std::string upsert_sql_; ///< empty: rows go straight into the table
  std::string upsert_marks_sql_;
  std::string select_marks_sql_;
  detail::connection conn_;
  std::vector<std::string> session_; ///< the server's pid and backend_start of conn_
  std::string buffer_; ///< a commit's rows in COPY format, reused
};

} // namespace

std::unique_ptr<table::table_writer> make_writer(std::string dsn, table::table_spec spec,
                                                 retry_policy retry) {
  return std::make_unique<pg_writer>(std::move(dsn), std::move(spec), retry);
}

} // namespace eddy::connectors::postgres
