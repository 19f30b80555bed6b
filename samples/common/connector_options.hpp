#pragma once

// Picks a sample's input and output connectors from its command line, so
// every sample offers the same choices with the same option names:
//
//   input   --input FILE                    CSV lines (one split: arrival order is kept)
//           --redis redis://HOST:PORT --stream NAME [--follow] [--redis-batch N]
//   output  --sqlite PATH (the embedded default) | --postgres DSN
//
// Records come out as named text fields whichever connector read them
// (input_record), and outputs are table sinks of one table_spec, so a
// sample parses and formats once. Header-only; a sample that includes it
// links eddy::connectors::{file,sqlite,redis,postgres}.

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eddy/connectors/file/numbered_lines.hpp"
#include "eddy/connectors/postgres/table.hpp"
#include "eddy/connectors/redis/streams.hpp"
#include "eddy/connectors/sqlite/table.hpp"
#include "eddy/connectors/table/table_sink.hpp"
#include "eddy/job.hpp"
#include "eddy/sink.hpp"
#include "eddy/source.hpp"

namespace samples {

/// One input record as named text fields.
struct input_record {
  std::string id;      ///< the Redis entry id ("1712345678901-0") or the line number ("12")
  std::vector<std::pair<std::string, std::string>> fields;
  std::string text;    ///< as read: the CSV line, or "name=value name=value" of an entry
  std::string problem; ///< why it has no fields (a CSV line with a wrong field count), or ""
};

template <class Inspector>
auto inspect(Inspector& f, input_record& x) {
  return f(x.id, x.fields, x.text, x.problem);
}

/// The value of field `name` of `r`, or nullptr when it has none.
inline const std::string* field(const input_record& r, std::string_view name) {
  for (auto& [n, v] : r.fields)
    if (n == name)
      return &v;
  return nullptr;
}

/// An input record that does not parse: its id, why, and its text.
struct bad_record {
  std::string id;
  std::string reason;
  std::string text;
};

template <class Inspector>
auto inspect(Inspector& f, bad_record& x) {
  return f(x.id, x.reason, x.text);
}

/// `line` split at commas into `columns` (no quoting: fields hold no commas).
inline input_record csv_record(int64_t number, std::string_view line,
                               const std::vector<std::string>& columns) {
  input_record r{std::to_string(number), {}, std::string{line}, {}};
  std::vector<std::string_view> values;
  for (size_t begin = 0;;) {
    auto comma = line.find(',', begin);
    values.push_back(line.substr(begin, comma == std::string_view::npos ? comma : comma - begin));
    if (comma == std::string_view::npos)
      break;
    begin = comma + 1;
  }
  if (values.size() != columns.size()) {
    r.problem = "expected " + std::to_string(columns.size()) + " fields, got "
                + std::to_string(values.size());
    return r;
  }
  for (size_t i = 0; i < columns.size(); ++i)
    r.fields.emplace_back(columns[i], std::string{values[i]});
  return r;
}

/// A source read as a whole, with no splits: its values keep their order
/// (the splits of a file would be read concurrently).
template <class T>
class unsplit_source final : public eddy::source<T> {
public:
  explicit unsplit_source(std::unique_ptr<eddy::source<T>> inner) : inner_(std::move(inner)) {
  }
  std::string name() const override {
    return inner_->name();
  }
  eddy::error check() const override {
    return inner_->check();
  }
  eddy::error open(std::string_view position) override {
    return inner_->open(position);
  }
  eddy::expected<size_t> read(size_t max, const std::function<void(const T&)>& fn) override {
    return inner_->read(max, fn);
  }
  bool finished() const override {
    return inner_->finished();
  }
  std::string position() const override {
    return inner_->position();
  }

private:
  std::unique_ptr<eddy::source<T>> inner_;
};

/// Where a sample reads its records.
struct input_options {
  std::string file;   ///< --input
  std::string redis;  ///< --redis URL
  std::string stream; ///< --stream
  bool follow = false;
  int64_t batch = 1000;
};

/// Reads the input options of `job`; records a job error unless exactly one
/// input is named.
inline input_options input_options_of(eddy::job& job, const std::string& file_help) {
  input_options in;
  in.file = job.arg("input", "", "FILE   " + file_help);
  in.redis = job.arg("redis", "", "URL   read a Redis stream instead, redis://HOST:PORT");
  in.stream = job.arg("stream", "", "NAME   the Redis stream (with --redis)");
  in.follow = job.arg("follow", "", "   with --redis: wait for new entries, never finish") == "true";
  in.batch = job.int_arg("redis-batch", 1000, 1, 1'000'000, "N   entries per Redis read (default 1000)");
  if (in.file.empty() == in.redis.empty())
    job.fail("give one input: --input FILE or --redis URL --stream NAME");
  else if (!in.redis.empty() && in.stream.empty())
    job.fail("option --redis needs --stream NAME");
  else if (in.redis.empty() && (!in.stream.empty() || in.follow))
    job.fail("options --stream and --follow need --redis URL");
  return in;
}

/// An entry as a record: its id, its fields, and "name=value ..." as text.
inline input_record redis_record(const eddy::connectors::redis::entry& e) {
  input_record r{e.id, e.fields, {}, {}};
  for (auto& [name, value] : e.fields)
    r.text += (r.text.empty() ? "" : " ") + name + "=" + value;
  return r;
}

/// The records of `in`: CSV lines split into `csv_columns`, or Redis
/// entries with their own fields. A bad Redis URL is a job error.
inline eddy::stream<input_record> input_stream(eddy::job& job, const input_options& in,
                                               std::vector<std::string> csv_columns) {
  namespace file = eddy::connectors::file;
  namespace redis = eddy::connectors::redis;
  if (!in.redis.empty()) {
    auto server = redis::parse_endpoint(in.redis);
    if (!server)
      job.fail(server.error().message());
    redis::stream_options options;
    options.follow = in.follow;
    options.batch = static_cast<size_t>(in.batch);
    return job.source(redis::streams(server ? *server : redis::endpoint{}, {in.stream}, options))
      .map(redis_record);
  }
  std::unique_ptr<eddy::source<file::numbered_line>> lines{
    new unsplit_source<file::numbered_line>(file::numbered_lines(in.file))};
  return job.source(std::move(lines)).map([columns = std::move(csv_columns)](const file::numbered_line& l) {
    return csv_record(l.number, l.text, columns);
  });
}

/// Where a sample writes its tables.
struct output_options {
  std::string sqlite;   ///< --sqlite PATH
  std::string postgres; ///< --postgres DSN
};

/// Reads the output options of `job`; records a job error unless exactly one is given.
inline output_options output_options_of(eddy::job& job) {
  output_options out;
  out.sqlite = job.arg("sqlite", "", "PATH   write the tables into this SQLite file");
  out.postgres = job.arg("postgres", "", "DSN   write the tables into PostgreSQL instead");
  if (out.sqlite.empty() == out.postgres.empty())
    job.fail("give one output: --sqlite PATH or --postgres DSN");
  return out;
}

/// SQL for the current time in ms since the epoch in the output's database,
/// for a column's DEFAULT (when a row was written).
inline std::string now_ms_sql(const output_options& out) {
  return out.postgres.empty() ? "(CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))"
                              : "((extract(epoch from clock_timestamp()) * 1000)::bigint)";
}

/// The table sink of `spec` into the output's database.
template <class T>
std::unique_ptr<eddy::sink<T>> table_output(const output_options& out,
                                            eddy::connectors::table::table_spec spec,
                                            eddy::connectors::table::row_fn<T> to_row) {
  if (!out.postgres.empty())
    return eddy::connectors::postgres::table_sink<T>(out.postgres, std::move(spec), std::move(to_row));
  return eddy::connectors::sqlite::table_sink<T>(out.sqlite, std::move(spec), std::move(to_row));
}

/// A job's command line with each flag in `flags` ("--follow") given the
/// value "true" (a job's own options all take a value), as argc/argv.
class job_command_line {
public:
  job_command_line(int argc, char** argv, const std::set<std::string>& flags) {
    for (int i = 0; i < argc; ++i) {
      std::string a = argv[i];
      args_.push_back(i > 0 && flags.count(a) ? a + "=true" : a);
    }
    for (auto& a : args_)
      argv_.push_back(a.data());
  }
  job_command_line(const job_command_line&) = delete;
  job_command_line& operator=(const job_command_line&) = delete;

  int argc() const {
    return static_cast<int>(argv_.size());
  }
  char** argv() {
    return argv_.data();
  }

private:
  std::vector<std::string> args_;
  std::vector<char*> argv_;
};

} // namespace samples
