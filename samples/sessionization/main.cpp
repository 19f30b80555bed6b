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

int fail(const std::string& message) {
  std::cerr << "sessionization: error: " << message << std::endl;
  return 2;
}

int generate(int argc, char** argv) {
  std::map<std::string, std::string> options;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help") {
      std::cout << usage_text;
      return 0;
    }
    if (a.rfind("--", 0) != 0 || a.size() == 2)
      return fail("generate: unexpected argument '" + a + "'");
    if (i + 1 >= argc)
      return fail("generate: option " + a + " needs a value");
    if (!options.emplace(a.substr(2), argv[++i]).second)
      return fail("generate: option " + a + " given twice");
  }
  sessionization::generator_config config;
  auto integer = [&](const std::string& name, int64_t& out, int64_t min, bool required) {
    auto it = options.find(name);
    if (it == options.end()) {
      if (required)
        throw std::string{"generate: option --" + name + " is required"};
      return;
    }
    auto& v = it->second;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (v.empty() || ec != std::errc{} || p != v.data() + v.size() || out < min)
      throw std::string{"generate: option --" + name + " needs an integer of at least "
                        + std::to_string(min) + ", not '" + v + "'"};
    options.erase(it);
  };
  std::string out;
  try {
    int64_t seed = 0;
    integer("users", config.users, 1, true);
    integer("clicks", config.clicks, 0, true);
    integer("seed", seed, 0, true);
    integer("max-delay-ms", config.max_delay_ms, 0, false);
    config.seed = static_cast<uint64_t>(seed);
    auto it = options.find("out");
    if (it == options.end() || it->second.empty())
      throw std::string{"generate: option --out is required"};
    out = it->second;
    options.erase(it);
    if (!options.empty())
      throw std::string{"generate: unknown option --" + options.begin()->first};
  } catch (const std::string& message) {
    return fail(message);
  }
  if (auto problem = sessionization::generate(config, out); !problem.empty())
    return fail(problem);
  return 0;
}

/// Lines of `file` and the sum of their last tab-separated field.
std::pair<uint64_t, int64_t> count_lines(const std::filesystem::path& file) {
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
    std::cerr << "sessionization: error: " << result.error << std::endl;
    return result.exit_code;
  }
  auto records = count_lines(config.input).first;
  auto [sessions, clicks] = count_lines(config.output);
  auto dead_n = count_lines(config.dead_letters).first;
  auto late_n = count_lines(config.late).first;
  char rate[64];
  std::snprintf(rate, sizeof rate, "%.2f s, %.0f records/s", result.seconds,
                result.seconds > 0 ? static_cast<double>(records) / result.seconds : 0.0);
  std::cout << "sessionization: " << records << " records, " << sessions << " sessions ("
            << clicks << " clicks), " << late_n << " late, " << dead_n << " dead letters, " << rate << std::endl;
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  std::string command = argc > 1 ? argv[1] : "";
  if (command == "generate")
    return generate(argc - 2, argv + 2);
  if (command == "run")
    return run(argc - 1, argv + 1);
  if (command == "--help" || command == "help") {
    std::cout << usage_text;
    return 0;
  }
  return fail((command.empty() ? "missing command 'generate' or 'run'"
                               : "unknown command '" + command + "'")
              + " (see sessionization --help)");
}
