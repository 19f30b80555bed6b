// Keyed throughput: a wordcount-style keyed count end to end (source →
// key_by → value_state count per key → sink), with the journal on
// (exactly-once) and off (snapshots only), against a plain single-threaded
// loop doing the same counting, in the same run.
//
//   bench_keyed_throughput [--records N] [--keys K] [--runs R] [--only plain|on|off]

#include <sys/resource.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <unordered_map>

#include "eddy/actors/run.hpp"
#include "eddy/connectors/memory/memory.hpp"
#include "eddy/state.hpp"
#include "support/bench_util.hpp"
#include "support/word_counter.hpp"

using namespace eddy;

namespace {

std::vector<std::string> make_words(size_t n, size_t keys) {
  // Zipf-like: key i drawn with weight 1/(i+1), as word frequencies go.
  std::mt19937_64 rng{1};
  std::vector<double> weights(keys);
  for (size_t i = 0; i < keys; ++i)
    weights[i] = 1.0 / static_cast<double>(i + 1);
  std::discrete_distribution<size_t> pick{weights.begin(), weights.end()};
  std::vector<std::string> words;
  words.reserve(n);
  for (size_t i = 0; i < n; ++i)
    words.push_back("word" + std::to_string(pick(rng)));
  return words;
}

/// The same counting and output shape in one thread, no framework.
double plain_loop(const std::vector<std::string>& words) {
  bench::stopwatch sw;
  std::unordered_map<std::string, int64_t> counts;
  std::vector<std::pair<std::string, int64_t>> out;
  out.reserve(4096);
  uint64_t checksum = 0;
  for (auto& w : words) {
    auto c = ++counts[w];
    out.emplace_back(w, c);
    if (out.size() == 4096) {
      for (auto& o : out)
        checksum += static_cast<uint64_t>(o.second);
      out.clear();
    }
  }
  auto s = sw.seconds();
  if (checksum == 42)
    std::cout << "";
  return static_cast<double>(words.size()) / s;
}

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
         + static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/// CPU seconds the last eddy_run used, over all threads.
double last_cpu = 0;

double eddy_run(const std::vector<std::string>& words, bool journal) {
  auto dir = std::filesystem::temp_directory_path() / ("eddy-bench-keyed-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  auto committed = std::make_shared<uint64_t>(0);
  job j{"keyed-throughput"};
  j.config().state_dir = dir;
  j.config().journal = journal;
  j.config().log_level = "warn";
  j.source(connectors::memory::from_vector(words))
    .key_by([](const std::string& w) -> const std::string& { return w; })
    .process<bench::word_counter>()
    .sink(connectors::memory::count_into<std::pair<std::string, int64_t>>(committed));
  auto cpu_before = cpu_seconds();
  bench::stopwatch sw;
  auto result = actors::execute(j);
  auto s = sw.seconds();
  last_cpu = cpu_seconds() - cpu_before;
  std::filesystem::remove_all(dir);
  if (result.exit_code != 0 || *committed != words.size()) {
    std::cerr << "run failed: " << result.error << " (committed " << *committed << ")\n";
    std::exit(1);
  }
  return static_cast<double>(words.size()) / s;
}

} // namespace

int main(int argc, char** argv) {
  size_t records = 5'000'000, keys = 10'000;
  int runs = 3;
  std::string only; // "plain", "on" or "off": run one mode (for profiling)
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--only"))
      only = argv[i + 1];
    if (!std::strcmp(argv[i], "--records"))
      records = std::stoull(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--keys"))
      keys = std::stoull(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--runs"))
      runs = std::stoi(argv[i + 1]);
  }
  bench::print_header(argc, argv);
  std::cout << "records: " << records << ", keys: " << keys << " (Zipf), runs: " << runs
            << ", 128 key groups, in-memory source, counting sink\n";
  auto words = make_words(records, keys);
  std::vector<double> plain, on, off, on_cpu, off_cpu;
  for (int r = 0; r < runs; ++r) {
    if (only.empty() || only == "plain")
      plain.push_back(plain_loop(words));
    if (only.empty() || only == "on") {
      on.push_back(eddy_run(words, true));
      on_cpu.push_back(static_cast<double>(records) / last_cpu);
    }
    if (only.empty() || only == "off") {
      off.push_back(eddy_run(words, false));
      off_cpu.push_back(static_cast<double>(records) / last_cpu);
    }
  }
  auto base = bench::median(plain);
  auto row = [&](const char* what, double rate, double per_cpu, double target) {
    std::printf("%-36s %11.0f records/s %11.0f records/cpu-s %6.1f%% of plain  target %s %s\n",
                what, rate, per_cpu, 100 * rate / base,
                target > 0 ? std::to_string(int64_t(target)).c_str() : "-",
                target > 0 ? (rate >= target ? "met" : "MISSED") : "");
  };
  row("plain single-threaded loop", base, base, 0);
  row("eddy, journal on (exactly-once)", bench::median(on), bench::median(on_cpu), 1e6);
  row("eddy, journal off (snapshots only)", bench::median(off), bench::median(off_cpu), 1e7);
  return 0;
}
