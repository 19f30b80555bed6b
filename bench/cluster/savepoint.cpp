// bench_savepoint: savepoints, stops, resumes and rescales of a running
// cluster job (issue 10). Wordcount follows a directory on 2 workers at
// --parallelism 6; once its journals hold --sizes MB (10 and 100):
//   - a savepoint while it runs (`eddy-cluster savepoint`): wall time, how
//     long the journals were frozen for the copy, and the savepoint's size;
//     baseline in the same run: a plain copy (cp -r) of the same journals;
//   - a stop with savepoint, then a resume from it on 3 workers (rescale
//     2 → 3, end to end): the stop's and the start's wall times, and until
//     the resumed job writes output again;
// and the output is checked (every count once, in order). Then the live
// rescale: at 10 MB, words appended steadily, `add-worker` gives a third
// worker its share by handoff without stopping the job; the output is
// tailed and each line's key group noted: the longest time any key group
// wrote nothing, during the rescale and (baseline) in as long a window
// before it. Targets: a 100 MB savepoint in <= 2 s while the job runs; no
// key group silent for more than 1 s in a live rescale. EDDY_BENCH_KEEP=1
// keeps its directory, with the logs.
//
//   bench_savepoint [--sizes 10,100] [--live-mb 10] [--keys-per-mb 60000] [-- JOB-ARGS...]

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "eddy/key_group.hpp"
#include "support/bench_util.hpp"
#include "support/child_process.hpp"
#include "support/word_input.hpp"

namespace fs = std::filesystem;
using eddy::bench::slurp;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

const std::string cluster_script = EDDY_CLUSTER_SCRIPT;

double ms_since(steady::time_point t) {
  return 1000 * std::chrono::duration<double>(steady::now() - t).count();
}

uint64_t bytes_under(const fs::path& path) {
  uint64_t n = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file(ec))
      n += it->file_size(ec);
  return n;
}

/// Runs the launcher with `args`; its status and first line of output.
std::pair<bool, std::string> launcher(std::vector<std::string> args, const fs::path& dir, const std::string& name) {
  args.insert(args.begin(), cluster_script);
  auto pid = eddy::bench::start_child(args, dir / (name + ".out"), dir / (name + ".err"));
  bool ok = eddy::bench::wait_child(pid).ok;
  auto out = slurp(dir / (name + ".out"));
  return {ok, ok ? out.substr(0, out.find('\n')) : slurp(dir / (name + ".err"))};
}

uint64_t lines_in(const fs::path& file) {
  std::ifstream in{file};
  return static_cast<uint64_t>(std::count(std::istreambuf_iterator<char>{in}, {}, '\n'));
}

double number_before_ms(const std::string& log, const std::string& mark) {
  auto at = log.rfind(mark);
  if (at == std::string::npos)
    return -1;
  auto end = log.find(" ms", at);
  auto start = log.rfind(' ', end - 1);
  return std::stod(log.substr(start + 1, end - start - 1));
}

struct sized_run {
  uint64_t journal_mb = 0, savepoint_mb = 0;
  double copy_ms = 0, savepoint_ms = 0, frozen_ms = 0, written_ms = 0, stop_ms = 0, start_ms = 0, output_ms = 0;
  std::string failure;
};

sized_run run_size(uint64_t mb, uint64_t keys_per_mb, const fs::path& dir, const std::vector<std::string>& extra) {
  sized_run r;
  fs::remove_all(dir);
  fs::create_directories(dir / "in");
  auto keys = mb * keys_per_mb;
  eddy::bench::write_keyed_words(dir / "in" / "part-1", keys, keys, mb);
  auto words = 2 * keys;
  auto c = dir / "c", out = dir / "out.tsv";
  auto job = [&](int parallelism) {
    std::vector<std::string> j{"--", EDDY_WORDCOUNT_BINARY, "--follow", (dir / "in").string(), "--output", out.string(),
                               "--parallelism", std::to_string(parallelism)};
    j.insert(j.end(), extra.begin(), extra.end());
    return j;
  };
  auto start = std::vector<std::string>{"start", "--workers", "2", "--dir", c.string()};
  auto j6 = job(6);
  start.insert(start.end(), j6.begin(), j6.end());
  if (auto [ok, why] = launcher(start, dir, "start"); !ok)
    return {.failure = "start: " + why};
  auto deadline = steady::now() + 600s;
  while (bytes_under(c / "state") < (mb << 20) && steady::now() < deadline)
    std::this_thread::sleep_for(10ms);
  r.journal_mb = bytes_under(c / "state") >> 20;
  auto copying = steady::now();
  fs::copy(c / "state", dir / "copy", fs::copy_options::recursive);
  r.copy_ms = ms_since(copying);
  fs::remove_all(dir / "copy");
  auto taking = steady::now();
  auto [ok, sp] = launcher({"savepoint", "--dir", c.string()}, dir, "savepoint");
  r.savepoint_ms = ms_since(taking);
  if (!ok)
    return {.failure = "savepoint: " + sp};
  r.savepoint_mb = bytes_under(sp) >> 20;
  auto log = slurp(c / "coordinator.log");
  r.frozen_ms = number_before_ms(log, "copied their journals in ");
  r.written_ms = number_before_ms(log, " in flight, in ") >= 0 ? number_before_ms(log, " in flight, in ") : -1;
  if (auto at = log.rfind("savepoint " + sp + " written"); at != std::string::npos)
    r.written_ms = number_before_ms(log.substr(0, log.find('\n', at)), ", in ");
  auto stopping = steady::now();
  auto [stopped, stop_sp] = launcher({"stop", "--dir", c.string(), "--with-savepoint"}, dir, "stop");
  r.stop_ms = ms_since(stopping);
  if (!stopped)
    return {.failure = "stop: " + stop_sp};
  auto before = lines_in(out);
  auto resuming = steady::now();
  auto resume = std::vector<std::string>{"start", "--workers", "3", "--dir", c.string(), "--from-savepoint", stop_sp};
  resume.insert(resume.end(), j6.begin(), j6.end());
  if (auto [ok2, why] = launcher(resume, dir, "resume"); !ok2)
    return {.failure = "resume: " + why};
  r.start_ms = ms_since(resuming);
  while (lines_in(out) == before && lines_in(out) < words && steady::now() < deadline)
    std::this_thread::sleep_for(5ms);
  r.output_ms = ms_since(resuming);
  while (lines_in(out) < words && steady::now() < deadline)
    std::this_thread::sleep_for(20ms);
  launcher({"stop", "--dir", c.string(), "--with-savepoint"}, dir, "stop2");
  r.failure = eddy::bench::check_word_counts(out, words);
  return r;
}

/// The live rescale: the longest silence of any key group during add-worker,
/// and in a window as long before it.
struct live_run {
  double during_ms = 0, before_ms = 0, handoff_ms = 0;
  uint64_t journal_mb = 0; ///< at the rescale
  uint32_t worst_kg = 0;
  std::string failure;
};

live_run run_live(const fs::path& dir, uint64_t keys, const std::vector<std::string>& extra) {
  live_run r;
  fs::remove_all(dir);
  fs::create_directories(dir / "in");
  auto c = dir / "c", out = dir / "out.tsv";
  eddy::bench::write_keyed_words(dir / "in" / "part-00000", keys, 0, 1);
  auto start = std::vector<std::string>{"start", "--workers", "2", "--dir", c.string(), "--", EDDY_WORDCOUNT_BINARY,
                                        "--follow", (dir / "in").string(), "--output", out.string(), "--parallelism", "6"};
  start.insert(start.end(), extra.begin(), extra.end());
  if (auto [ok, why] = launcher(start, dir, "start"); !ok)
    return {.failure = "start: " + why};
  std::atomic<bool> done{false};
  // 500 words every 10 ms from 20 000 keys: every key group gets several
  // in each 100 ms, at a load the two cores keep up with.
  std::thread appender{[&] {
    std::mt19937_64 gen{9};
    for (int n = 1; !done; ++n) {
      char name[32];
      std::snprintf(name, sizeof name, "part-%05d", n);
      {
        std::ofstream f{dir / "in" / (std::string{"."} + name)};
        for (int i = 0; i < 500; ++i)
          f << "key" << gen() % 20000 << (i % 8 == 7 ? '\n' : ' ');
      }
      fs::rename(dir / "in" / (std::string{"."} + name), dir / "in" / name);
      std::this_thread::sleep_for(10ms);
    }
  }};
  // Tails the output: per key group, the times at which it wrote.
  std::mutex m;
  std::vector<std::vector<double>> seen(128);
  auto t0 = steady::now();
  std::thread tailer{[&] {
    std::ifstream in;
    std::string line;
    std::streamoff at = 0;
    while (!done) {
      in.open(out);
      in.seekg(at);
      while (std::getline(in, line)) {
        if (in.eof())
          break; // a partial line: read it again next time
        at = in.tellg();
        auto word = line.substr(0, line.find('\t'));
        std::lock_guard lock{m};
        seen[eddy::key_group_of(word, 128)].push_back(ms_since(t0));
      }
      in.close();
      in.clear();
      std::this_thread::sleep_for(2ms);
    }
  }};
  // Until the state is in (the first file read), then 6 s of steady appends,
  // so that the window before the rescale sees the steady job too.
  while (lines_in(out) < keys && ms_since(t0) < 600'000)
    std::this_thread::sleep_for(20ms);
  std::this_thread::sleep_for(6s);
  r.journal_mb = bytes_under(c / "state") >> 20;
  auto add_at = ms_since(t0);
  auto [ok, why] = launcher({"add-worker", "--dir", c.string()}, dir, "add");
  auto added_ms = ms_since(t0) - add_at;
  std::this_thread::sleep_for(4s);
  done = true;
  appender.join();
  tailer.join();
  launcher({"stop", "--dir", c.string()}, dir, "stop");
  if (!ok)
    return {.failure = "add-worker: " + why};
  r.handoff_ms = added_ms;
  auto window = added_ms + 2000;
  auto longest_gap = [&](double from, double to, uint32_t* worst) {
    double longest = 0;
    for (uint32_t kg = 0; kg < 128; ++kg) {
      double last = from;
      for (auto t : seen[kg])
        if (t > from && t <= to) {
          if (t - last > longest) {
            longest = t - last;
            if (worst)
              *worst = kg;
          }
          last = t;
        }
      longest = std::max(longest, to - last); // silent until the end of the window
    }
    return longest;
  };
  r.during_ms = longest_gap(add_at - 500, add_at + window, &r.worst_kg);
  r.before_ms = longest_gap(add_at - 500 - window, add_at - 500, nullptr);
  return r;
}

} // namespace

int main(int argc, char** argv) {
  using eddy::bench::arg;
  eddy::bench::print_header(argc, argv);
  auto extra = eddy::bench::job_args_after_dashes(argc, argv);
  auto sizes = eddy::bench::parse_list(arg(argc, argv, "sizes", "10,100"));
  auto keys_per_mb = std::stoull(arg(argc, argv, "keys-per-mb", "60000"));
  auto dir = fs::temp_directory_path() / "eddy-bench-savepoint";
  std::printf("%9s %9s %9s %10s %10s %10s %9s %9s %11s %12s\n", "state MB", "cp -r ms", "sp MB", "savepoint", "frozen",
              "written", "stop ms", "start ms", "output ms", "(2→3 resume)");
  for (auto mb : sizes) {
    auto r = run_size(mb, keys_per_mb, dir / ("size-" + std::to_string(mb)), extra);
    if (!r.failure.empty()) {
      std::fprintf(stderr, "%u MB: %s (in %s)\n", mb, r.failure.c_str(), dir.c_str());
      return 1;
    }
    std::printf("%9llu %9.0f %9llu %7.0f ms %7.0f ms %7.0f ms %9.0f %9.0f %11.0f\n",
                static_cast<unsigned long long>(r.journal_mb), r.copy_ms, static_cast<unsigned long long>(r.savepoint_mb),
                r.savepoint_ms, r.frozen_ms, r.written_ms, r.stop_ms, r.start_ms, r.output_ms);
    std::fflush(stdout);
  }
  auto live_mb = std::stoull(arg(argc, argv, "live-mb", "10"));
  auto l = run_live(dir / "live", live_mb * keys_per_mb, extra);
  if (!l.failure.empty()) {
    std::fprintf(stderr, "live rescale: %s (in %s)\n", l.failure.c_str(), dir.c_str());
    return 1;
  }
  std::printf("live rescale 2 -> 3 workers at %llu MB (journals %llu MB; add-worker, %0.f ms): the longest silence of a key "
              "group %.0f ms (key group %u; target <= 1000 ms); before it, in as long a window: %.0f ms\n",
              static_cast<unsigned long long>(live_mb), static_cast<unsigned long long>(l.journal_mb), l.handoff_ms,
              l.during_ms, l.worst_kg, l.before_ms);
  if (std::getenv("EDDY_BENCH_KEEP")) // the logs, to see where the time goes
    std::printf("kept %s\n", dir.c_str());
  else
    fs::remove_all(dir);
}
