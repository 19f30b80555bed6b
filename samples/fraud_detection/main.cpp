// fraud_detection generate --accounts N --transactions M --seed S [--max-delay-ms D] --out FILE
// fraud_detection run --input FILE --output FILE --state-dir DIR [--late-output FILE]
//                     [--dead-letter FILE] [--max-out-of-orderness-ms D] [--parallelism P]
//
// Flink's fraud detection walkthrough in event time, exactly once: per
// account, a transaction above 500.00 right after (in event time) one below
// 1.00, at most a minute later, writes "account<TAB>small_ts<TAB>large_ts<TAB>amount".

#include <charconv>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

#include "eddy/actors/run.hpp"
#include "fraud_detection.hpp"

namespace {

const char* usage_text =
  "usage: fraud_detection generate --accounts N --transactions M --seed S [--max-delay-ms D] --out FILE\n"
  "       fraud_detection run --input FILE --output FILE --state-dir DIR [--late-output FILE]\n"
  "                           [--dead-letter FILE] [--max-out-of-orderness-ms D] [--parallelism P]\n"
  "       fraud_detection run --help   (all options of the run)\n";

int fail(const std::string& message) {
  std::cerr << "fraud_detection: error: " << message << std::endl;
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
  fraud_detection::generator_config config;
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
    integer("accounts", config.accounts, 1, true);
    integer("transactions", config.transactions, 0, true);
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
  if (auto problem = fraud_detection::generate(config, out); !problem.empty())
    return fail(problem);
  return 0;
}

uint64_t count_lines(const std::filesystem::path& file) {
  std::ifstream in{file, std::ios::binary};
  uint64_t n = 0;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    for (std::streamsize i = 0; i < in.gcount(); ++i)
      n += buf[i] == '\n';
  }
  return n;
}

int run(int argc, char** argv) {
  eddy::job job{"fraud_detection", argc, argv};
  auto input = job.arg("input", "FILE   CSV lines 'account_id,timestamp_ms,amount' (required)");
  auto output = job.arg("output", "FILE   where alert lines go (required)");
  auto late = job.arg("late-output", "", "FILE   records behind the watermark (default <output>.late)");
  auto dead = job.arg("dead-letter", "",
                      "FILE   malformed lines, 'line<TAB>reason<TAB>line' (default <output>.dead-letter)");
  auto delay = job.int_arg("max-out-of-orderness-ms", 0, 0, 86'400'000,
                           "D   how far event times may go back (default 0)");
  fraud_detection::outputs out{output, late.empty() ? output + ".late" : late,
                               dead.empty() ? output + ".dead-letter" : dead};
  fraud_detection::build(job, input, out, delay);
  if (job.help_requested()) {
    std::cout << job.usage();
    return 0;
  }
  auto result = eddy::actors::execute(job);
  if (result.exit_code != 0) {
    std::cerr << "fraud_detection: error: " << result.error << std::endl;
    return result.exit_code;
  }
  auto records = count_lines(input);
  auto alerts = count_lines(out.alerts);
  auto late_n = count_lines(out.late);
  auto dead_n = count_lines(out.dead_letters);
  char rate[64];
  std::snprintf(rate, sizeof rate, "%.2f s, %.0f records/s", result.seconds,
                result.seconds > 0 ? static_cast<double>(records) / result.seconds : 0.0);
  std::cout << "fraud_detection: " << records << " records, " << alerts << " alerts, " << late_n
            << " late, " << dead_n << " dead letters, " << rate << std::endl;
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
              + " (see fraud_detection --help)");
}
