// nexmark generate --events N [--seed S] [--rate R] [--base-time-ms T] --out FILE
// nexmark run --query qN [--input FILE | --events N] [--seed S] [--rate R] --output FILE
//             --state-dir DIR [--parallelism P] [--no-journal]
//
// The Nexmark benchmark on Eddy: `generate` writes events as CSV lines,
// `run` runs one query (QUERIES.md) over a file or the in-process generator
// and writes its rows as TSV, exactly once.

#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "eddy/actors/run.hpp"
#include "eddy/connectors/file/lines_out.hpp"
#include "eddy/connectors/file/numbered_lines.hpp"
#include "eddy/connectors/nexmark/generator.hpp"
#include "eddy/connectors/nexmark/paced_source.hpp"
#include "eddy/side_output.hpp"
#include "nexmark.hpp"
#include "sample_support.hpp"

namespace {

namespace file = eddy::connectors::file;
namespace gen = eddy::connectors::nexmark;

const char* usage_text =
  "usage: nexmark generate --events N [--seed S] [--rate R] [--base-time-ms T] --out FILE\n"
  "       nexmark run --query qN [--input FILE | --events N] [--seed S] [--rate R]\n"
  "                   --output FILE --state-dir DIR [--parallelism P] [--no-journal]\n"
  "       nexmark run --help   (all options of the run)\n"
  "queries: q0 q1 q2 q3 q5 q7 q8 q11 q14 q15 q17 q18 q19 q20 q21 q22 (see QUERIES.md)\n"
  "--rate is events per second of event time (default 10000000, Nexmark's; auctions\n"
  "then live for milliseconds of event time). Lower it to spread events over hours.\n"
  "Without --input and --events, run generates forever at --rate events per second\n"
  "of wall time (event time = wall time), until stopped (with a savepoint).\n"
  "run uses 32 key groups unless --max-key-groups says otherwise.\n";

const eddy::side_output<samples::dead_letter> dead_letter_tag{"dead-letters"};

int generate(int argc, char** argv) {
  samples::generate_options options;
  std::string error;
  if (!options.parse(argc, argv, error))
    return samples::fail("nexmark", error);
  gen::generator_config config;
  std::string out;
  try {
    config.events = static_cast<uint64_t>(options.integer("events", 0, true));
    config.seed = static_cast<uint64_t>(options.integer("seed", 0, false, 0));
    config.rate = static_cast<uint64_t>(options.integer("rate", 1, false, 10'000'000));
    config.base_time_ms = options.integer("base-time-ms", 0, false, config.base_time_ms);
    out = options.text("out");
    options.finish();
  } catch (const std::string& message) {
    return samples::fail("nexmark", message);
  }
  auto problem = samples::write_lines(out, config.events, [&](uint64_t n) {
    return gen::to_csv(gen::generate(config, n));
  });
  if (!problem.empty())
    return samples::fail("nexmark", problem);
  return 0;
}

/// The events of the run: the lines of `--input` (malformed ones to the dead
/// letters) or the generator's `--events`. Sets `count` to tell how many
/// there are once the run is over.
eddy::stream<nexmark::event> events(eddy::job& job, const std::string& output,
                                    std::function<uint64_t()>& count) {
  auto input = job.arg("input", "", "FILE   events as written by 'nexmark generate'");
  auto generated = job.int_arg("events", -1, 0, int64_t{1} << 50,
                           "N   generate N events in process instead of reading --input");
  auto seed = job.int_arg("seed", 0, 0, INT64_MAX, "S   generator seed (with --events)");
  auto rate = job.int_arg("rate", 10'000'000, 1, INT64_MAX,
                          "R   events per second of event time (of wall time without --input and --events)");
  if (!input.empty() && generated >= 0)
    job.fail("give at most one of --input FILE and --events N");
  if (input.empty() && generated < 0) {
    // Unbounded, paced by the wall clock: event n is due at start + n / rate.
    auto stop_after = job.int_arg("stop-after", INT64_MAX, 1, INT64_MAX,
                                  "N   without --input and --events: end after N events (default: never)");
    auto start = job.int_arg("start-ms", 0, 0, INT64_MAX,
                             "T   without --input and --events: the event time of event 0 (default: the wall clock "
                             "at the first start)");
    gen::generator_config config;
    config.events = stop_after == INT64_MAX ? UINT64_MAX : static_cast<uint64_t>(stop_after);
    config.seed = static_cast<uint64_t>(seed);
    config.rate = static_cast<uint64_t>(rate);
    count = [] { return uint64_t{0}; };
    return job.source(gen::paced_source(config, std::chrono::microseconds{0}, start));
  }
  if (input.empty()) {
    gen::generator_config config;
    config.events = static_cast<uint64_t>(generated < 0 ? 0 : generated);
    count = [n = config.events] { return n; };
    config.seed = static_cast<uint64_t>(seed);
    config.rate = static_cast<uint64_t>(rate);
    return job.source(gen::source(config));
  }
  auto dead = job.arg("dead-letter", "",
                      "FILE   malformed lines, 'line<TAB>reason<TAB>line' (default <output>.dead-letter)");
  count = [input] { return samples::count_lines(input); };
  auto parsed = job.source(file::numbered_lines(input))
                  .flat_map([](const file::numbered_line& line,
                               eddy::collector<nexmark::event>& next) {
                    nexmark::event e;
                    std::string reason;
                    if (gen::from_csv(line.text, e, reason))
                      next(e);
                    else
                      next.output(dead_letter_tag, samples::dead_letter{line.number, std::move(reason),
                                                                        std::string{line.text}});
                  });
  parsed.side_output(dead_letter_tag)
    .sink(file::lines_out(dead.empty() ? output + ".dead-letter" : dead,
                          [](const samples::dead_letter& d) { return samples::format(d); }));
  return parsed;
}

int run(int argc, char** argv) {
  eddy::job job{"nexmark", argc, argv};
  auto query = job.arg("query", "qN   the query to run (q0 … q22, see QUERIES.md)");
  auto output = job.arg("output", "FILE   where the query's rows go (TSV)");
  std::function<uint64_t()> count;
  auto input = events(job, output, count);
  nexmark::add_query(job, input, query)
    .sink(file::lines_out(output, [](const std::string& row) -> const std::string& { return row; }));
  if (job.help_requested()) {
    std::cout << job.usage();
    return 0;
  }
  auto result = eddy::actors::execute(job);
  if (result.exit_code != 0) {
    samples::fail("nexmark", result.error);
    return result.exit_code;
  }
  auto rows = samples::count_lines(output);
  auto n = count();
  char line[200];
  std::snprintf(line, sizeof line, "nexmark %s: %llu events, %llu rows, %.2f s, %.0f events/s",
                query.c_str(), static_cast<unsigned long long>(n),
                static_cast<unsigned long long>(rows), result.seconds,
                result.seconds > 0 ? static_cast<double>(n) / result.seconds : 0.0);
  std::cout << line << std::endl;
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  return samples::dispatch("nexmark", usage_text, argc, argv, generate, run);
}
