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

int generate(int argc, char** argv) {
  samples::generate_options options;
  std::string error;
  if (!options.parse(argc, argv, error))
    return samples::fail("fraud_detection", error);
  fraud_detection::generator_config config;
  std::string out;
  try {
    config.accounts = options.integer("accounts", 1, true);
    config.transactions = options.integer("transactions", 0, true);
    config.seed = static_cast<uint64_t>(options.integer("seed", 0, true));
    config.max_delay_ms = options.integer("max-delay-ms", 0, false);
    out = options.text("out");
    options.finish();
  } catch (const std::string& message) {
    return samples::fail("fraud_detection", message);
  }
  if (auto problem = fraud_detection::generate(config, out); !problem.empty())
    return samples::fail("fraud_detection", problem);
  return 0;
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
    samples::fail("fraud_detection", result.error);
    return result.exit_code;
  }
  auto records = samples::count_lines(input);
  auto alerts = samples::count_lines(out.alerts);
  auto late_n = samples::count_lines(out.late);
  auto dead_n = samples::count_lines(out.dead_letters);
  char rate[64];
  std::snprintf(rate, sizeof rate, "%.2f s, %.0f records/s", result.seconds,
                result.seconds > 0 ? static_cast<double>(records) / result.seconds : 0.0);
  std::cout << "fraud_detection: " << records << " records, " << alerts << " alerts, " << late_n
            << " late, " << dead_n << " dead letters, " << rate << std::endl;
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  return samples::dispatch("fraud_detection", usage_text, argc, argv, generate, run);
}
