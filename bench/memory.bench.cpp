// Peak RSS of a keyed→keyed job behind a slow sink (issue 8): source →
// key_by → count → key_by → count → a sink whose commit sleeps, so the sink
// is the bottleneck and everything upstream fills whatever buffers the
// runtime lets it fill. Each run is a child process (this binary again,
// with the hidden flag --child), so its peak RSS is its own: ru_maxrss from
// wait4, next to the VmHWM the child reads from /proc/self/status at its
// end. The baseline, in the same run, is the same job with a fast sink
// (no sleep) at each key-group count: what the slow sink adds.
//
//   bench_memory [--records N] [--keys K] [--parallelism P] [--runs R]
//                [--key-groups 128,1024] [--sink-delay-us U] [--commit-delay-ms C]
//                [--budget-mib B] [--channel-budget-mib M]
//
// The slow sink sleeps C ms per commit plus U µs per record the commit
// covers (at most 1 / U records per second). --budget-mib is the peak RSS
// the table checks each run against (issue 8: 256 MiB); --channel-budget-mib
// sets job_config::channel_budget_bytes (default: the runtime's, 16 MiB),
// what the job's channels may hold unacknowledged.

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "eddy/actors/run.hpp"
#include "eddy/connectors/memory/memory.hpp"
#include "eddy/sink.hpp"
#include "support/bench_util.hpp"
#include "support/two_keyed_counts.hpp"

using namespace eddy;

namespace {

/// An exactly-once sink that is deliberately slow: commit() sleeps
/// `per_commit` plus `per_record` for every value written since the last
/// commit, as a remote database with a round trip per transaction and a
/// cost per row would. It keeps only counts (position = values committed;
/// open() cuts back to it). One instance, driven by its sink actor's thread.
template <class T>
class slow_sink final : public sink<T> {
public:
  slow_sink(std::chrono::microseconds per_record, std::chrono::milliseconds per_commit,
            std::shared_ptr<uint64_t> committed, std::shared_ptr<uint64_t> commits)
    : per_record_(per_record), per_commit_(per_commit), committed_(std::move(committed)),
      commits_(std::move(commits)) {
  }
  std::string name() const override {
    return "slow";
  }
  expected<std::optional<sink_marks>> open(std::string_view committed) override {
    written_ = committed.empty() ? 0 : std::stoull(std::string{committed});
    since_commit_ = 0;
    return std::optional<sink_marks>{};
  }
  error write(const T&) override {
    ++written_;
    ++since_commit_;
    return {};
  }
  expected<std::string> commit(const sink_marks&) override {
    auto pause = per_commit_ + per_record_ * static_cast<int64_t>(since_commit_);
    if (pause.count() > 0)
      std::this_thread::sleep_for(pause);
    since_commit_ = 0;
    *committed_ = written_;
    ++*commits_;
    return std::to_string(written_);
  }

private:
  std::chrono::microseconds per_record_;
  std::chrono::milliseconds per_commit_;
  std::shared_ptr<uint64_t> committed_;
  std::shared_ptr<uint64_t> commits_;
  uint64_t written_ = 0;
  uint64_t since_commit_ = 0;
};

struct settings {
  uint64_t records = 2'000'000, keys = 20'000;
  uint32_t parallelism = 2;
  int runs = 3;
  std::vector<uint32_t> key_groups = {128, 1024};
  int64_t sink_delay_us = 5, commit_delay_ms = 2;
  uint64_t budget_mib = 256;
  uint64_t channel_budget_mib = 0; ///< 0: the runtime's default
};

long vm_hwm_kib() {
  std::ifstream in{"/proc/self/status"};
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmHWM:", 0) == 0)
      return std::strtol(line.c_str() + 6, nullptr, 10);
  return 0;
}

/// The child: runs the job once and prints "records seconds commits vmhwm_kib".
int run_child(const settings& s, uint32_t key_groups, bool slow) {
  auto dir = std::filesystem::temp_directory_path() / ("eddy-bench-memory-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  auto committed = std::make_shared<uint64_t>(0), commits = std::make_shared<uint64_t>(0);
  job j{"memory"};
  j.config().state_dir = dir;
  j.config().log_level = "warn";
  j.config().max_key_groups = key_groups;
  j.config().parallelism = s.parallelism;
  if (s.channel_budget_mib > 0)
    j.config().channel_budget_bytes = s.channel_budget_mib << 20;
  bench::two_keyed_counts(j, s.records, s.keys)
    .sink(std::make_unique<slow_sink<std::pair<std::string, int64_t>>>(
      std::chrono::microseconds{slow ? s.sink_delay_us : 0},
      std::chrono::milliseconds{slow ? s.commit_delay_ms : 0}, committed, commits));
  bench::stopwatch sw;
  auto result = actors::execute(j);
  auto seconds = sw.seconds();
  std::filesystem::remove_all(dir);
  if (result.exit_code != 0 || *committed != s.records) {
    std::fprintf(stderr, "run failed: %s (committed %llu)\n", result.error.c_str(),
                 static_cast<unsigned long long>(*committed));
    return 1;
  }
  std::printf("%llu %.6f %llu %ld\n", static_cast<unsigned long long>(*committed), seconds,
              static_cast<unsigned long long>(*commits), vm_hwm_kib());
  return 0;
}

struct measured {
  double seconds = 0, max_rss_mib = 0, hwm_mib = 0, commits = 0;
};

/// Runs one configuration as a child process and waits for it.
measured run_once(const char* self, const settings& s, uint32_t key_groups, bool slow) {
  std::vector<std::string> args = {self, "--child", slow ? "slow" : "fast",
                                   "--records", std::to_string(s.records),
                                   "--keys", std::to_string(s.keys),
                                   "--parallelism", std::to_string(s.parallelism),
                                   "--key-groups", std::to_string(key_groups),
                                   "--sink-delay-us", std::to_string(s.sink_delay_us),
                                   "--commit-delay-ms", std::to_string(s.commit_delay_ms),
                                   "--budget-mib", std::to_string(s.budget_mib),
                                   "--channel-budget-mib", std::to_string(s.channel_budget_mib)};
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  int fds[2];
  if (pipe(fds) != 0) {
    std::perror("bench_memory: pipe");
    std::exit(1);
  }
  pid_t pid = fork();
  if (pid < 0) {
    std::perror("bench_memory: fork");
    std::exit(1);
  }
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    execv("/proc/self/exe", argv.data());
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[256];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  rusage usage{};
  pid_t w;
  do
    w = wait4(pid, &status, 0, &usage);
  while (w < 0 && errno == EINTR);
  unsigned long long records = 0, commits = 0;
  double seconds = 0;
  long hwm = 0;
  if (w < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0
      || std::sscanf(out.c_str(), "%llu %lf %llu %ld", &records, &seconds, &commits, &hwm) != 4) {
    std::fprintf(stderr, "bench_memory: child at %u key groups (%s sink) failed (status %d)\n",
                 key_groups, slow ? "slow" : "fast", status);
    std::exit(1);
  }
  return {seconds, static_cast<double>(usage.ru_maxrss) / 1024.0, static_cast<double>(hwm) / 1024.0,
          static_cast<double>(commits)};
}

} // namespace

int main(int argc, char** argv) {
  settings s;
  std::optional<bool> child_slow;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--records")
      s.records = std::stoull(value);
    else if (flag == "--keys")
      s.keys = std::stoull(value);
    else if (flag == "--parallelism")
      s.parallelism = static_cast<uint32_t>(std::stoul(value));
    else if (flag == "--runs")
      s.runs = std::stoi(value);
    else if (flag == "--key-groups")
      s.key_groups = bench::parse_list(value);
    else if (flag == "--sink-delay-us")
      s.sink_delay_us = std::stoll(value);
    else if (flag == "--commit-delay-ms")
      s.commit_delay_ms = std::stoll(value);
    else if (flag == "--budget-mib")
      s.budget_mib = std::stoull(value);
    else if (flag == "--channel-budget-mib")
      s.channel_budget_mib = std::stoull(value);
    else if (flag == "--child")
      child_slow = value == "slow";
    else {
      std::fprintf(stderr, "bench_memory: unknown flag %s (see the head of memory.bench.cpp)\n", flag.c_str());
      return 2;
    }
  }
  if (child_slow)
    return run_child(s, s.key_groups.front(), *child_slow);

  bench::print_header(argc, argv);
  std::printf("%llu records, %llu keys, parallelism %u, journal on, two keyed stages; slow sink: "
              "%lld ms per commit + %lld µs per record; channel budget %s; one child process per run, "
              "medians of %d runs\n\n",
              static_cast<unsigned long long>(s.records), static_cast<unsigned long long>(s.keys),
              s.parallelism, static_cast<long long>(s.commit_delay_ms),
              static_cast<long long>(s.sink_delay_us),
              s.channel_budget_mib ? (std::to_string(s.channel_budget_mib) + " MiB").c_str() : "default",
              s.runs);
  std::printf("| key groups | sink | peak RSS MiB | VmHWM MiB | records/s | commits | budget MiB | met |\n"
              "| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |\n");
  for (auto kg : s.key_groups) {
    for (bool slow : {false, true}) {
      std::vector<double> rss, hwm, secs, commits;
      for (int r = 0; r < s.runs; ++r) {
        auto m = run_once(argv[0], s, kg, slow);
        rss.push_back(m.max_rss_mib);
        hwm.push_back(m.hwm_mib);
        secs.push_back(m.seconds);
        commits.push_back(m.commits);
      }
      auto peak = bench::median(rss);
      std::printf("| %u | %s | %.0f | %.0f | %.0f | %.0f | %llu | %s |\n", kg, slow ? "slow" : "fast",
                  peak, bench::median(hwm), static_cast<double>(s.records) / bench::median(secs),
                  bench::median(commits), static_cast<unsigned long long>(s.budget_mib),
                  peak <= static_cast<double>(s.budget_mib) ? "met" : "missed");
      std::fflush(stdout);
    }
  }
  return 0;
}
