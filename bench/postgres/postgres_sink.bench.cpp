// The PostgreSQL table sink end to end (generate source → table_sink, one
// instance, journal on) against a plain libpq loop that COPYs the same rows
// in transactions of the size the sink committed, in the same run, into the
// same kind of table on a local server (scripts/local-postgres, fsync on).
//
//   bench_postgres_sink [--rows N] [--runs R] [--parallelism P] [--batch B]
//
// The sink's commit size is the runtime's (a commit per delivery, more rows
// while the journal's write is in flight); it is measured from the server's
// transaction count and printed. --batch fixes the plain loop's instead.

#include <libpq-fe.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>

#include "eddy/actors/run.hpp"
#include "eddy/connectors/memory/memory.hpp"
#include "eddy/connectors/postgres/table.hpp"
#include "support/bench_util.hpp"

using namespace eddy;
namespace postgres = eddy::connectors::postgres;

namespace {

using bench_row = std::tuple<int64_t, std::string, int64_t>;

/// Row i: (i, "name-<i % 1000>", i * 7).
bench_row make_row(uint64_t i) {
  return {static_cast<int64_t>(i), "name-" + std::to_string(i % 1000), static_cast<int64_t>(i * 7)};
}

/// The local server for the length of the benchmark.
class local_server {
public:
  explicit local_server(std::filesystem::path dir) : dir_(std::move(dir)) {
    auto cmd = std::string{EDDY_LOCAL_POSTGRES_SCRIPT} + " start " + dir_.string();
    auto* p = ::popen(cmd.c_str(), "r");
    char buf[256] = {};
    if (!p || !std::fgets(buf, sizeof buf, p) || ::pclose(p) != 0)
      throw std::runtime_error("cannot start PostgreSQL with " + cmd);
    dsn_ = buf;
    dsn_.pop_back();
  }
  ~local_server() {
    auto cmd = std::string{EDDY_LOCAL_POSTGRES_SCRIPT} + " stop " + dir_.string();
    if (std::system(cmd.c_str()) != 0)
      std::cerr << "cannot stop PostgreSQL in " << dir_ << "\n";
    std::filesystem::remove_all(dir_);
  }
  const std::string& dsn() const {
    return dsn_;
  }

private:
  std::filesystem::path dir_;
  std::string dsn_;
};

/// A connection for the plain loop and the bookkeeping.
class session {
public:
  explicit session(const std::string& dsn) : conn_(PQconnectdb(dsn.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK)
      throw std::runtime_error(PQerrorMessage(conn_));
  }
  ~session() {
    PQfinish(conn_);
  }
  std::string exec(const std::string& sql) {
    auto* r = PQexec(conn_, sql.c_str());
    auto status = PQresultStatus(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_COPY_IN) {
      std::string msg = PQresultErrorMessage(r);
      PQclear(r);
      throw std::runtime_error(sql + ": " + msg);
    }
    std::string v = status == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
    PQclear(r);
    return v;
  }
  void copy(const std::string& data) {
    exec("COPY bench_rows (id, name, value) FROM STDIN");
    if (PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) != 1
        || PQputCopyEnd(conn_, nullptr) != 1)
      throw std::runtime_error(PQerrorMessage(conn_));
    while (auto* r = PQgetResult(conn_)) {
      if (PQresultStatus(r) != PGRES_COMMAND_OK)
        throw std::runtime_error(PQresultErrorMessage(r));
      PQclear(r);
    }
  }
  /// Transactions committed in database `eddy` so far.
  uint64_t commits() {
    exec("SELECT pg_stat_clear_snapshot()");
    return std::stoull(exec("SELECT xact_commit FROM pg_stat_database WHERE datname = 'eddy'"));
  }

private:
  PGconn* conn_;
};

/// The plain loop: the same rows as COPY text, `batch` rows per transaction.
double plain_loop(session& s, uint64_t rows, uint64_t batch) {
  s.exec("TRUNCATE bench_rows");
  bench::stopwatch sw;
  std::string data;
  char num[24];
  for (uint64_t first = 0; first < rows; first += batch) {
    data.clear();
    for (uint64_t i = first; i < std::min(rows, first + batch); ++i) {
      auto [id, name, value] = make_row(i);
      data.append(num, std::to_chars(num, num + sizeof num, id).ptr);
      data += '\t';
      data += name;
      data += '\t';
      data.append(num, std::to_chars(num, num + sizeof num, value).ptr);
      data += '\n';
    }
    s.exec("BEGIN");
    s.copy(data);
    s.exec("COMMIT");
  }
  return static_cast<double>(rows) / sw.seconds();
}

/// The Eddy job; returns rows/s and sets `commits` to the transactions it made.
double eddy_run(session& s, const std::string& dsn, uint64_t rows, uint32_t parallelism,
                uint64_t& commits) {
  s.exec("TRUNCATE bench_rows");
  s.exec("DELETE FROM eddy_sink_marks");
  auto dir = std::filesystem::temp_directory_path() / ("eddy-bench-pg-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  job j{"postgres-sink"};
  j.config().state_dir = dir;
  j.config().parallelism = parallelism;
  j.config().log_level = "warn";
  connectors::table::table_spec spec;
  spec.table = "bench_rows";
  spec.columns = {"id", "name", "value"};
  spec.max_instances = parallelism;
  j.source(connectors::memory::generate(rows, make_row))
    .sink(postgres::table_sink<bench_row>(dsn, spec, [](const bench_row& r) {
      return connectors::table::row{std::to_string(std::get<0>(r)), std::get<1>(r),
                                    std::to_string(std::get<2>(r))};
    }));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100)); // let the stats settle
  auto before = s.commits();
  bench::stopwatch sw;
  auto result = actors::execute(j);
  auto secs = sw.seconds();
  std::filesystem::remove_all(dir);
  auto written = std::stoull(s.exec("SELECT count(*) FROM bench_rows"));
  if (result.exit_code != 0 || written != rows) {
    std::cerr << "run failed: " << result.error << " (" << written << " rows)\n";
    std::exit(1);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  commits = s.commits() - before;
  return static_cast<double>(rows) / secs;
}

} // namespace

int main(int argc, char** argv) {
  auto rows = std::stoull(bench::arg(argc, argv, "rows", "1000000"));
  auto runs = std::stoi(bench::arg(argc, argv, "runs", "3"));
  auto parallelism = static_cast<uint32_t>(std::stoul(bench::arg(argc, argv, "parallelism", "1")));
  auto fixed_batch = std::stoull(bench::arg(argc, argv, "batch", "0"));
  bench::print_header(argc, argv);
  local_server server{std::filesystem::temp_directory_path()
                      / ("eddy-bench-postgres-" + std::to_string(getpid()))};
  session s{server.dsn()};
  s.exec("CREATE TABLE bench_rows (id bigint, name text, value bigint)");
  s.exec("CREATE TABLE IF NOT EXISTS eddy_sink_marks (sink_id text NOT NULL, instance integer NOT NULL,"
         " channel bigint NOT NULL, seq bigint NOT NULL, PRIMARY KEY (sink_id, instance, channel))");
  std::cout << "rows: " << rows << " of (bigint, text, bigint), runs: " << runs
            << ", sink instances: " << parallelism << ", PostgreSQL 15 on 127.0.0.1, fsync on\n";
  std::vector<double> plain, eddy_rates, batches;
  for (int r = 0; r < runs; ++r) {
    uint64_t commits = 0;
    eddy_rates.push_back(eddy_run(s, server.dsn(), rows, parallelism, commits));
    // Other sessions (stats, DELETE) add a few transactions: a lower bound.
    auto batch = fixed_batch ? fixed_batch : std::max<uint64_t>(1, rows / std::max<uint64_t>(commits, 1));
    batches.push_back(static_cast<double>(batch));
    plain.push_back(plain_loop(s, rows, batch));
    std::printf("run %d: eddy %.0f rows/s in %lu commits, plain loop %.0f rows/s in batches of %lu\n",
                r + 1, eddy_rates.back(), static_cast<unsigned long>(commits), plain.back(),
                static_cast<unsigned long>(batch));
  }
  auto base = bench::median(plain);
  auto ours = bench::median(eddy_rates);
  std::printf("%-44s %11.0f rows/s\n", "plain libpq COPY loop", base);
  std::printf("%-44s %11.0f rows/s %6.1f%% of plain  target 50%% %s\n",
              "eddy generate -> postgres table_sink", ours, 100 * ours / base,
              ours >= base / 2 ? "met" : "MISSED");
  std::printf("median commit size: %.0f rows\n", bench::median(batches));
  return 0;
}
