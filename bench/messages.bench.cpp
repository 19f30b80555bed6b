// Messages between two keyed stages at 32, 128 and 1024 key groups (issue
// 8): the same job, input and parallelism at each key-group count, and the
// runtime's own counters (run_result::messages) of what its exchanges sent.
// The baseline is the run at the fewest key groups: frames, frame acks and
// greetings between the stages should stay flat (they grow with instances),
// deliveries inside an instance grow with its partitions that have data.
//
//   bench_messages [--records N] [--keys K] [--parallelism P] [--runs R] [--key-groups 32,128,1024]

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "eddy/actors/run.hpp"
#include "eddy/connectors/memory/memory.hpp"
#include "support/bench_util.hpp"
#include "support/two_keyed_counts.hpp"

using namespace eddy;

namespace {

struct counts {
  double frames = 0, acks = 0, greetings = 0, deliveries = 0, seconds = 0;
};

/// word → count per word → count per (word, count) pair's word → sink, with
/// event time 1 ms per 100 records so watermarks step all along.
counts run_once(uint64_t records, uint64_t keys, uint32_t key_groups, uint32_t parallelism) {
  auto dir = std::filesystem::temp_directory_path() / ("eddy-bench-messages-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  auto committed = std::make_shared<uint64_t>(0);
  job j{"messages"};
  j.config().state_dir = dir;
  j.config().log_level = "warn";
  j.config().max_key_groups = key_groups;
  j.config().parallelism = parallelism;
  bench::two_keyed_counts(j, records, keys)
    .sink(connectors::memory::count_into<std::pair<std::string, int64_t>>(committed));
  bench::stopwatch sw;
  auto result = actors::execute(j);
  counts c;
  c.seconds = sw.seconds();
  std::filesystem::remove_all(dir);
  if (result.exit_code != 0 || *committed != records) {
    std::fprintf(stderr, "run failed: %s (committed %llu)\n", result.error.c_str(),
                 static_cast<unsigned long long>(*committed));
    std::exit(1);
  }
  // Stage 1 is the first keyed stage, stage 2 the second: what 1 sends to 2
  // (frames) and 2 sends back to 1 (frame acks, greetings).
  auto& m = result.messages;
  c.frames = static_cast<double>(m.frames.at(1));
  c.acks = static_cast<double>(m.frame_acks.at(2));
  c.greetings = static_cast<double>(m.greetings.at(2));
  c.deliveries = static_cast<double>(m.deliveries.at(2));
  return c;
}

} // namespace

int main(int argc, char** argv) {
  uint64_t records = 1'000'000, keys = 20'000;
  uint32_t parallelism = 2;
  int runs = 3;
  std::vector<uint32_t> key_groups = {32, 128, 1024};
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--records")
      records = std::stoull(value);
    else if (flag == "--keys")
      keys = std::stoull(value);
    else if (flag == "--parallelism")
      parallelism = static_cast<uint32_t>(std::stoul(value));
    else if (flag == "--runs")
      runs = std::stoi(value);
    else if (flag == "--key-groups")
      key_groups = bench::parse_list(value);
    else {
      std::fprintf(stderr, "bench_messages: unknown flag %s (see the head of messages.bench.cpp)\n", flag.c_str());
      return 2;
    }
  }
  bench::print_header(argc, argv);
  std::printf("%llu records, %llu keys, parallelism %u, two keyed stages, medians of %d runs\n\n",
              static_cast<unsigned long long>(records), static_cast<unsigned long long>(keys),
              parallelism, runs);
  std::printf("| key groups | frames 1→2 | frame acks 2→1 | greetings 2→1 | deliveries in stage 2 | frames ÷ at %u | deliveries ÷ at %u | wall s |\n"
              "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
              key_groups.front(), key_groups.front());
  counts base;
  for (size_t k = 0; k < key_groups.size(); ++k) {
    std::vector<double> f, a, g, d, s;
    for (int r = 0; r < runs; ++r) {
      auto c = run_once(records, keys, key_groups[k], parallelism);
      f.push_back(c.frames);
      a.push_back(c.acks);
      g.push_back(c.greetings);
      d.push_back(c.deliveries);
      s.push_back(c.seconds);
    }
    counts med{bench::median(f), bench::median(a), bench::median(g), bench::median(d), bench::median(s)};
    if (k == 0)
      base = med;
    std::printf("| %u | %.0f | %.0f | %.0f | %.0f | %.2f | %.2f | %.2f |\n", key_groups[k], med.frames,
                med.acks, med.greetings, med.deliveries, med.frames / base.frames,
                med.deliveries / base.deliveries, med.seconds);
    std::fflush(stdout);
  }
  return 0;
}
