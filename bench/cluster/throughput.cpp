// bench_cluster: remote throughput (issue 9). Runs wordcount and Nexmark q5
// in the local mode and as a coordinator with N workers on this host (all
// child processes, alternating, same inputs), and prints events per
// CPU-second (user + sys of every process of the run, from wait4) and the
// cluster's share of the local mode's. Target: >= 70% on 2 workers.
//
//   bench_cluster [--runs 3] [--workers 2] [--events 4000000] [--lines 500000] [-- JOB-ARGS...]
//
// JOB-ARGS are added to every job (e.g. `-- --channel-budget-mib 4`).

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/bench_util.hpp"
#include "support/child_process.hpp"

namespace fs = std::filesystem;
using eddy::bench::slurp;
using namespace std::chrono_literals;

namespace {

struct run_figures {
  bool ok = false;
  double cpu = 0;
  double wall = 0;
  std::string failure;
};

/// Runs `job` with its own state under `dir`: in the local mode, or as a
/// coordinator and `workers` workers.
run_figures run_job(std::vector<std::string> job, const fs::path& dir, uint32_t workers) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  run_figures r;
  eddy::bench::stopwatch sw;
  auto finish = [&](std::vector<pid_t> pids) {
    r.ok = true;
    for (auto pid : pids) {
      auto e = eddy::bench::wait_child(pid);
      r.cpu += e.cpu;
      if (!e.ok && r.failure.empty()) {
        r.ok = false;
        r.failure = e.failure;
      }
    }
    r.wall = sw.seconds();
    return r;
  };
  if (workers == 0) {
    auto argv = job;
    argv.insert(argv.end(), {"--state-dir", (dir / "state").string()});
    return finish({eddy::bench::start_child(argv, dir / "local.out", dir / "local.err")});
  }
  auto coordinator = job;
  coordinator.insert(coordinator.end(), {"--role", "coordinator", "--workers", std::to_string(workers),
                                         "--state-dir", (dir / "coordinator").string()});
  std::vector<pid_t> pids{eddy::bench::start_child(coordinator, dir / "c.out", dir / "c.err")};
  std::string address;
  for (int i = 0; i < 3000 && address.empty(); ++i) {
    auto text = slurp(dir / "c.err");
    if (auto at = text.find("listening on "); at != std::string::npos) {
      auto end = text.find('\n', at);
      if (end != std::string::npos)
        address = text.substr(at + 13, end - at - 13);
    }
    std::this_thread::sleep_for(10ms);
  }
  if (address.empty()) {
    kill(pids[0], SIGKILL);
    finish(pids);
    r.ok = false;
    r.failure = "the coordinator printed no address";
    return r;
  }
  for (uint32_t w = 1; w <= workers; ++w) {
    auto argv = job;
    auto name = "w" + std::to_string(w);
    argv.insert(argv.end(), {"--role", "worker", "--coordinator", address, "--state-dir", (dir / name).string()});
    pids.push_back(eddy::bench::start_child(argv, dir / (name + ".out"), dir / (name + ".err")));
  }
  return finish(pids);
}

} // namespace

int main(int argc, char** argv) {
  using eddy::bench::arg;
  eddy::bench::print_header(argc, argv);
  auto extra = eddy::bench::job_args_after_dashes(argc, argv);
  auto runs = std::stoi(arg(argc, argv, "runs", "3"));
  auto workers = static_cast<uint32_t>(std::stoul(arg(argc, argv, "workers", "2")));
  auto events = std::stoull(arg(argc, argv, "events", "4000000"));
  auto lines = std::stoull(arg(argc, argv, "lines", "500000"));
  auto dir = fs::temp_directory_path() / "eddy-bench-cluster";
  fs::create_directories(dir);
  auto words = dir / "words.txt";
  {
    std::mt19937_64 gen{11};
    std::ofstream out{words};
    for (uint64_t i = 0; i < lines; ++i) {
      for (int w = 0; w < 8; ++w)
        out << (w ? " " : "") << "w" << gen() % 50000;
      out << "\n";
    }
  }
  auto parallelism = std::to_string(workers);
  struct job_case {
    std::string name;
    std::vector<std::string> job;
    double events;
  };
  std::vector<job_case> cases = {
    {"wordcount", {EDDY_WORDCOUNT_BINARY, "--input", words.string(), "--output", (dir / "counts.tsv").string(), "--parallelism", parallelism}, static_cast<double>(lines * 8)},
    {"q5", {EDDY_NEXMARK_BINARY, "run", "--query", "q5", "--events", std::to_string(events), "--output", (dir / "q5.tsv").string(), "--parallelism", parallelism}, static_cast<double>(events)},
  };
  for (auto& c : cases)
    c.job.insert(c.job.end(), extra.begin(), extra.end());
  std::printf("%-10s %-8s %14s %10s %10s\n", "job", "mode", "events/CPU-s", "CPU s", "wall s");
  for (auto& c : cases) {
    std::vector<double> local, cluster;
    for (int r = 0; r < runs; ++r) {
      for (uint32_t mode : {0u, workers}) {
        auto f = run_job(c.job, dir / (c.name + "-run"), mode);
        if (!f.ok) {
          std::fprintf(stderr, "%s %s failed: %s (logs in %s)\n", c.name.c_str(), mode ? "cluster" : "local",
                       f.failure.c_str(), (dir / (c.name + "-run")).c_str());
          return 1;
        }
        auto per_cpu = c.events / f.cpu;
        (mode ? cluster : local).push_back(per_cpu);
        std::printf("%-10s %-8s %14.0f %10.2f %10.2f\n", c.name.c_str(),
                    mode ? (std::to_string(mode) + " workers").c_str() : "local", per_cpu, f.cpu, f.wall);
        std::fflush(stdout);
      }
    }
    auto l = eddy::bench::median(local), k = eddy::bench::median(cluster);
    std::printf("%-10s medians: local %.0f, %u workers %.0f events/CPU-s: %.0f%% of local (target >= 70%%)\n",
                c.name.c_str(), l, workers, k, 100 * k / l);
  }
  fs::remove_all(dir);
}
