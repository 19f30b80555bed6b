// A job binary for the PostgreSQL kill test: counts lines per word like
// wordcount and writes every (word, count) as an event into an insert-only
// table and, through a side output, the current total of each word into an
// upserted one; the sink runs as up to --sink-instances instances.
//
// postgres_count_job --input FILE --dsn DSN [--events-table T] [--totals-table T]
//                    [--sink-instances N] --state-dir DIR [job options]

#include <cstdint>
#include <string>
#include <utility>

#include "eddy/actors/run.hpp"
#include "eddy/connectors/file/lines.hpp"
#include "eddy/connectors/postgres/table.hpp"
#include "eddy/state.hpp"

namespace {

using word_count = std::pair<std::string, int64_t>;

const eddy::side_output<word_count> totals_tag{"totals"};

struct counter {
  eddy::value_state<int64_t> count;

  void on_record(const std::string& word, eddy::context<word_count>& ctx) {
    count = count.value_or(0) + 1;
    ctx.emit({word, *count});
    ctx.output(totals_tag, {word, *count});
  }
};

eddy::connectors::table::row to_row(const word_count& c) {
  return {c.first, std::to_string(c.second)};
}

} // namespace

int main(int argc, char** argv) {
  namespace postgres = eddy::connectors::postgres;
  eddy::job job{"postgres_count", argc, argv};
  auto input = job.arg("input", "FILE   one word per line (required)");
  auto dsn = job.arg("dsn", "DSN   the PostgreSQL database (required)");
  auto events = job.arg("events-table", "word_events", "TABLE   (word, n) per occurrence");
  auto totals = job.arg("totals-table", "word_totals", "TABLE   (word primary key, n): the current count");
  auto instances = static_cast<uint32_t>(
    job.int_arg("sink-instances", 2, 1, 64, "N   most instances of each sink"));

  auto spec = [&](std::string table, std::vector<std::string> key) {
    postgres::table::table_spec s;
    s.table = std::move(table);
    s.columns = {"word", "n"};
    s.key = std::move(key);
    s.max_instances = instances;
    return s;
  };
  auto counts = job.source(eddy::connectors::file::lines(input))
                  .map([](std::string_view line) { return std::string{line}; })
                  .key_by([](const std::string& w) -> const std::string& { return w; })
                  .process<counter>();
  counts.side_output(totals_tag)
      .sink(postgres::table_sink<word_count>(dsn, spec(totals, {"word"}), to_row));
  counts.sink(postgres::table_sink<word_count>(dsn, spec(events, {}), to_row));
  return eddy::run(job);
}
