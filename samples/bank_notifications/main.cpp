// bank_notifications generate --accounts N --transactions M --seed S [--malformed K]
//                             (--out FILE | --redis URL --stream NAME)
// bank_notifications run (--input FILE | --redis URL --stream NAME [--follow])
//                        (--sqlite PATH | --postgres DSN) --state-dir DIR [--horizon-days D] ...
//
// Event-sourced bank accounts that notify their customers exactly once per
// episode: overdraft risk, large unusual payments, savings opportunities.

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "bank_job.hpp"
#include "eddy/actors/run.hpp"
#include "generator.hpp"
#include "redis_append.hpp"
#include "sample_support.hpp"

namespace {

const char* program = "bank_notifications";

const char* usage_text =
  "usage: bank_notifications generate --accounts N --transactions M --seed S [--malformed K]\n"
  "                                   (--out FILE | --redis URL --stream NAME)\n"
  "       bank_notifications run (--input FILE | --redis URL --stream NAME [--follow])\n"
  "                              (--sqlite PATH | --postgres DSN) --state-dir DIR\n"
  "                              [--horizon-days D] [--parallelism P] [--role ...]\n"
  "       bank_notifications run --help   (all options of the run)\n";

bool given(int argc, char** argv, const std::string& option) {
  for (int i = 0; i < argc; ++i)
    if (argv[i] == option)
      return true;
  return false;
}

int generate(int argc, char** argv) {
  samples::generate_options options;
  std::string error;
  if (!options.parse(argc, argv, error))
    return samples::fail(program, error);
  bank_notifications::generator_config config;
  std::string out, redis, stream;
  try {
    config.accounts = options.integer("accounts", 1, true);
    config.transactions = options.integer("transactions", 0, true);
    config.seed = static_cast<uint64_t>(options.integer("seed", 0, true));
    config.malformed = options.integer("malformed", 0, false);
    if (given(argc, argv, "--redis")) {
      redis = options.text("redis");
      stream = options.text("stream");
    } else {
      out = options.text("out");
    }
    options.finish();
  } catch (const std::string& message) {
    return samples::fail(program, message);
  }
  auto records = bank_notifications::generate(config);
  auto problem = redis.empty()
                   ? samples::write_lines(out, records, bank_notifications::csv_line)
                   : samples::redis_append(redis, stream, bank_notifications::transaction_columns(),
                                           records);
  if (!problem.empty())
    return samples::fail(program, problem);
  return 0;
}

int run(int argc, char** argv) {
  samples::job_command_line command_line{argc, argv, {"--follow"}};
  eddy::job job{program, command_line.argc(), command_line.argv()};
  auto in = samples::input_options_of(job, "CSV lines 'account,ts,kind,amount_cents,merchant,category'");
  auto out = samples::output_options_of(job);
  bank_notifications::rules_config rules;
  rules.horizon_days = job.int_arg("horizon-days", rules.horizon_days, 1, 3650,
                                   "D   overdraft risk: balance projected below zero within D days (default 7)");
  bank_notifications::build(job, in, out, rules);
  if (job.help_requested()) {
    std::cout << job.usage();
    return 0;
  }
  auto result = eddy::actors::execute(job);
  if (result.exit_code != 0) {
    samples::fail(program, result.error);
    return result.exit_code;
  }
  char line[160];
  std::snprintf(line, sizeof line, "bank_notifications: %llu rows written in %.2f s\n",
                static_cast<unsigned long long>(result.records_out), result.seconds);
  std::cout << line << std::flush;
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  return samples::dispatch(program, usage_text, argc, argv, generate, run);
}
