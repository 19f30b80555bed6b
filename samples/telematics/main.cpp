// telematics generate --vehicles N --days D --seed S [--max-delay-ms D]
//                     (--out FILE | --redis URL --stream NAME)
// telematics run (--input FILE | --redis URL --stream NAME) [--postgres DSN | --sqlite PATH]
//                --state-dir DIR [options]
//
// Usage-based car insurance: trips from vehicles' position samples, a risk
// score per trip and each driver's monthly premium, exactly once.

#include <cstdio>
#include <iostream>
#include <string>

#include "eddy/actors/run.hpp"
#include "connector_options.hpp"
#include "generator.hpp"
#include "job.hpp"
#include "redis_out.hpp"
#include "sample_support.hpp"

namespace {

const char* usage_text =
  "usage: telematics generate --vehicles N --days D --seed S [--max-delay-ms D]\n"
  "                           (--out FILE | --redis URL --stream NAME)\n"
  "       telematics run (--input FILE | --redis URL --stream NAME [--follow]) [--postgres DSN | --sqlite PATH]\n"
  "                      --state-dir DIR\n"
  "                      [--trip-gap-min M | --trip-gap-ms MS] [--max-out-of-orderness-ms D] [--parallelism P]\n"
  "                      [--harsh-brake-kmh-per-s X] [--speed-limit-kmh L]\n"
  "                      [--base-premium-cents C] [--role local|coordinator|worker ...]\n"
  "       telematics run --help   (all options of the run)\n";

int generate(int argc, char** argv) {
  samples::generate_options options;
  std::string error;
  if (!options.parse(argc, argv, error))
    return samples::fail("telematics", error);
  telematics::generator_config config;
  std::string out, redis_url, stream;
  try {
    config.vehicles = options.integer("vehicles", 1, true);
    config.days = options.integer("days", 1, true);
    config.seed = static_cast<uint64_t>(options.integer("seed", 0, true));
    config.max_delay_ms = options.integer("max-delay-ms", 0, false, config.max_delay_ms);
    try {
      redis_url = options.text("redis");
    } catch (const std::string&) {
      // No --redis: the samples go to a file.
    }
    if (redis_url.empty())
      out = options.text("out");
    else
      stream = options.text("stream");
    options.finish();
  } catch (const std::string& message) {
    return samples::fail("telematics", message);
  }
  auto problem = redis_url.empty()
                   ? telematics::generate(config, out)
                   : telematics::append_to_stream(redis_url, stream, telematics::generate_samples(config));
  if (!problem.empty())
    return samples::fail("telematics", problem);
  return 0;
}

int run(int argc, char** argv) {
  samples::job_command_line command_line{argc, argv, {"--follow"}};
  eddy::job job{"telematics", command_line.argc(), command_line.argv()};
  telematics::run_config config;
  config.input = job.arg("input", "", "FILE   CSV lines 'vehicle,driver,ts_ms,lat,lon,speed_kmh'");
  config.redis_url = job.arg("redis", "", "URL   or read a Redis stream, redis://host:port");
  config.redis_stream = job.arg("stream", "", "NAME   the stream, entries with those six fields");
  config.follow = job.arg("follow", "", "   with --redis: wait for new entries, never finish") == "true";
  if (config.follow && config.redis_url.empty())
    job.fail("option --follow needs --redis URL");
  if (config.input.empty() == config.redis_url.empty() || config.redis_url.empty() != config.redis_stream.empty())
    job.fail("give --input FILE, or --redis URL and --stream NAME");
  config.output.postgres_dsn =
    job.arg("postgres", "", "DSN   write the tables to this PostgreSQL database");
  config.output.sqlite = job.arg("sqlite", "telematics.db",
                                 "PATH   else to this SQLite file (default telematics.db)");
  config.trip_gap_ms = 60'000 * job.int_arg("trip-gap-min", telematics::default_trip_gap_ms / 60'000,
                                            1, 24 * 60, "M   a trip ends after M minutes without samples (default 10)");
  // In ms for runs in wall-clock time (the benchmark's seconds-long trips).
  config.trip_gap_ms = job.int_arg("trip-gap-ms", config.trip_gap_ms, 1, 24 * 3'600'000,
                                   "MS   or after MS milliseconds (overrides --trip-gap-min)");
  config.max_out_of_orderness_ms =
    job.int_arg("max-out-of-orderness-ms", telematics::default_max_out_of_orderness_ms, 0,
                3'600'000, "D   how far a sample's time may go back (default 30000)");
  auto& rules = config.rules;
  rules.harsh_brake_kmh_per_s = job.int_arg("harsh-brake-kmh-per-s", rules.harsh_brake_kmh_per_s, 1,
                                            400, "X   a speed drop faster than X km/h per s is harsh (default 12)");
  rules.speed_limit_kmh = job.int_arg("speed-limit-kmh", rules.speed_limit_kmh, 1, 400,
                                      "L   samples above L km/h are speeding (default 120)");
  rules.base_premium_cents = job.int_arg("base-premium-cents", rules.base_premium_cents, 0,
                                         100'000'000, "C   the monthly premium at factor 1 (default 5000)");
  telematics::build(job, config);
  if (job.help_requested()) {
    std::cout << job.usage();
    return 0;
  }
  auto result = eddy::actors::execute(job);
  if (result.exit_code != 0) {
    samples::fail("telematics", result.error);
    return result.exit_code;
  }
  std::string from = "stream " + config.redis_stream;
  if (config.redis_url.empty()) {
    auto lines = samples::count_lines(config.input);
    char rate[64];
    std::snprintf(rate, sizeof rate, " (%.0f samples/s)",
                  result.seconds > 0 ? static_cast<double>(lines) / result.seconds : 0.0);
    from = std::to_string(lines) + " lines" + rate;
  }
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.2f s", result.seconds);
  std::cout << "telematics: " << from << " into "
            << (config.output.postgres_dsn.empty() ? config.output.sqlite.string() : "PostgreSQL")
            << " in " << seconds << std::endl;
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  return samples::dispatch("telematics", usage_text, argc, argv, generate, run);
}
