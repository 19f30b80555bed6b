#include "launcher.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <signal.h>

namespace eddy::manager {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> job_command(const deployment_spec& spec) {
  std::vector<std::string> argv{spec.binary};
  argv.insert(argv.end(), spec.args.begin(), spec.args.end());
  argv.push_back("--parallelism");
  argv.push_back(std::to_string(spec.parallelism));
  return argv;
}

std::optional<std::string> read_line(const fs::path& file) {
  std::ifstream in{file};
  std::string line;
  if (!in || !std::getline(in, line))
    return std::nullopt;
  return line;
}

} // namespace

process_result launcher::start(const fs::path& dir, const deployment_spec& spec, const fs::path& savepoint,
                               bool allow_non_restored) const {
  std::vector<std::string> argv{script_.string(), "start", "--dir", dir.string(), "--workers",
                                std::to_string(spec.workers), "--supervise"};
  if (!savepoint.empty()) {
    argv.insert(argv.end(), {"--from-savepoint", savepoint.string()});
    if (allow_non_restored)
      argv.push_back("--allow-non-restored-state");
  }
  argv.push_back("--");
  auto job = job_command(spec);
  argv.insert(argv.end(), job.begin(), job.end());
  // Every node serves /metrics on a free port and says where in its state
  // directory: the graph and Prometheus' service discovery read it there.
  auto given = [&](const std::string& option) {
    return std::any_of(spec.args.begin(), spec.args.end(),
                       [&](const std::string& a) { return a == option || a.rfind(option + "=", 0) == 0; });
  };
  if (!given("--metrics-listen"))
    argv.insert(argv.end(), {"--metrics-listen", "127.0.0.1:0"});
  return run_process(argv, 300s);
}

process_result launcher::savepoint(const fs::path& dir, const fs::path& to) const {
  return run_process({script_.string(), "savepoint", "--dir", dir.string(), "--to", to.string()}, 330s);
}

process_result launcher::stop(const fs::path& dir, const fs::path& to) const {
  std::vector<std::string> argv{script_.string(), "stop", "--dir", dir.string()};
  if (!to.empty())
    argv.insert(argv.end(), {"--with-savepoint", "--to", to.string()});
  return run_process(argv, 330s);
}

process_result launcher::query(const fs::path& dir, const std::string& op, const std::string& key) const {
  return run_process({script_.string(), "query", "--dir", dir.string(), op, key}, 30s);
}

process_result launcher::check(const deployment_spec& spec, const fs::path& savepoint, bool allow_non_restored) const {
  auto argv = job_command(spec);
  argv.insert(argv.end(), {"--check-savepoint", savepoint.string()});
  if (allow_non_restored)
    argv.push_back("--allow-non-restored-state");
  return run_process(argv, 60s);
}

cluster_view launcher::observe(const fs::path& dir) {
  cluster_view view;
  if (auto status = read_line(dir / "coordinator.exit"))
    view.exit_code = std::atoi(status->c_str());
  if (auto pid = read_line(dir / "coordinator.pid"); pid && !view.exit_code)
    view.running = ::kill(std::atoi(pid->c_str()), 0) == 0;
  return view;
}

std::string launcher::failure_of(const fs::path& dir) {
  std::ifstream in{dir / "coordinator.log"};
  std::string line, failure, last;
  while (std::getline(in, line)) {
    if (line.empty())
      continue;
    last = line;
    if (line.find(": error: ") != std::string::npos || line.find("failed: ") != std::string::npos)
      failure = line;
  }
  return failure.empty() ? last : failure;
}

std::string tail_of(const std::string& output, size_t lines) {
  std::vector<std::string> all;
  std::istringstream in{output};
  for (std::string line; std::getline(in, line);)
    if (!line.empty())
      all.push_back(line);
  std::string tail;
  for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i)
    tail += (tail.empty() ? "" : "\n") + all[i];
  return tail;
}

} // namespace eddy::manager
