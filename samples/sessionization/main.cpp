// sessionization generate --users N --clicks M --seed S [--max-delay-ms D] --out FILE
// sessionization run --input FILE --output FILE --state-dir DIR [--gap-ms G]
//                    [--max-out-of-orderness-ms D] [--parallelism P] [--dead-letter FILE]
//                    [--late-output FILE]
//
// User sessions from a click stream in event time, exactly once: per user,
// clicks less than (or exactly) a gap apart are one session, written as
// "user<TAB>first click<TAB>last click + gap<TAB>clicks" once it has closed.

#include <charconv>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

#include "eddy/actors/run.hpp"
#include "sessionization.hpp"

namespace {

const char* usage_text =
  "usage: sessionization generate --users N --clicks M --seed S [--max-delay-ms D] --out FILE\n"
  "       sessionization run --input FILE --output FILE --state-dir DIR [--gap-ms G]\n"
  "                          [--max-out-of-orderness-ms D] [--parallelism P] [--dead-letter FILE]\n"
  "                          [--late-output FILE]\n"
  "       sessionization run --help   (all options of the run)\n";

int generate(int argc, char** argv) {
  samples::generate_options options;
  std::string error;
  if (!options.parse(argc, argv, error))
    return samples::fail("sessionization", error);
  sessionization::generator_config config;
  std::string out;
  try {
    config.users = options.integer("users", 1, true);
    config.clicks = options.integer("clicks", 0, true);
    config.seed = static_cast<uint64_t>(options.integer("seed", 0, true));
    config.max_delay_ms = options.integer("max-delay-ms", 0, false);
    out = options.text("out");
    options.finish();
  } catch (const std::string& message) {
    return samples::fail("sessionization", message);
  }
  if (auto problem = sessionization::generate(config, out); !problem.empty())
    return samples::fail("sessionization", problem);
  return 0;
}

/// Lines of `file` and the sum of their last tab-separated field.
std::pair<uint64_t, int64_t> count_sessions(const std::filesystem::path& file) {
  std::ifstream in{file, std::ios::binary};
  uint64_t n = 0;
  int64_t sum = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    auto tab = line.rfind('\t');
    int64_t v = 0;
    if (tab != std::string::npos)
      std::from_chars(line.data() + tab + 1, line.data() + line.size(), v);
    sum += v;
  }
  return {n, sum};
}

int run(int argc, char** argv) {
  eddy::job job{"sessionization", argc, argv};
  sessionization::run_config config;
  config.input = job.arg("input", "FILE   CSV lines 'user_id,timestamp_ms,url' (required)");
  config.output = job.arg("output", "FILE   where session lines go (required)");
  auto late = job.arg("late-output", "", "FILE   clicks too late for any session (default <output>.late)");
  auto dead = job.arg("dead-letter", "",
                      "FILE   malformed lines, 'line<TAB>reason<TAB>line' (default <output>.dead-letter)");
  config.gap_ms = job.int_arg("gap-ms", sessionization::default_gap_ms, 1, 366LL * 86'400'000,
                              "G   a session ends after this long without clicks (default 1800000)");
  config.max_out_of_orderness_ms = job.int_arg(
    "max-out-of-orderness-ms", 0, 0, 86'400'000, "D   how far event times may go back (default 0)");
  config.late = late.empty() ? config.output.string() + ".late" : late;
  config.dead_letters = dead.empty() ? config.output.string() + ".dead-letter" : dead;
  sessionization::build(job, config);
  if (job.help_requested()) {
    std::cout << job.usage();
    return 0;
  }
  auto result = eddy::actors::execute(job);
  if (result.exit_code != 0) {
    samples::fail("sessionization", result.error);
    return result.exit_code;
  }
  auto records = samples::count_lines(config.input);
  auto [sessions, clicks] = count_sessions(config.output);
  auto dead_n = samples::count_lines(config.dead_letters);
  auto late_n = samples::count_lines(config.late);
  char rate[64];
  std::snprintf(rate, sizeof rate, "%.2f s, %.0f records/s", result.seconds,
                result.seconds > 0 ? static_cast<double>(records) / result.seconds : 0.0);
  std::cout << "sessionization: " << records << " records, " << sessions << " sessions ("
            << clicks << " clicks), " << late_n << " late, " << dead_n << " dead letters, " << rate << std::endl;
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  return samples::dispatch("sessionization", usage_text, argc, argv, generate, run);
}
