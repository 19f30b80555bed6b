#pragma once

// A cluster started with scripts/eddy-cluster for a test: start, wait, the
// nodes' pids and logs, and `stop` in the destructor, also when the test fails.

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "integration/process.hpp"

namespace eddy::test {

inline const std::string cluster_script = EDDY_CLUSTER_SCRIPT;

class launched_cluster {
public:
  /// Runs `eddy-cluster start --workers N --dir DIR [options] -- job...`; check started().
  launched_cluster(std::filesystem::path dir, uint32_t workers, std::vector<std::string> job,
                   bool supervise = false, std::vector<std::string> options = {})
    : dir_(std::move(dir)), workers_(workers), job_(std::move(job)), supervise_(supervise),
      options_(std::move(options)) {
    start();
  }

  launched_cluster(const launched_cluster&) = delete;
  launched_cluster& operator=(const launched_cluster&) = delete;

  ~launched_cluster() {
    stop();
  }

  /// Starts it again in the same directory (its state resumes).
  void start() {
    std::vector<std::string> argv{cluster_script, "start", "--workers", std::to_string(workers_),
                                  "--dir", dir_.string()};
    if (supervise_)
      argv.push_back("--supervise");
    argv.insert(argv.end(), options_.begin(), options_.end());
    argv.push_back("--");
    argv.insert(argv.end(), job_.begin(), job_.end());
    start_status_ = run(argv, dir_.string() + ".start.out", dir_.string() + ".start.err",
                        std::chrono::seconds{90});
  }

  bool started() const {
    return start_status_.exited_with(0);
  }
  std::string start_error() const {
    return start_status_.describe() + ": " + tail_of(dir_.string() + ".start.err");
  }

  /// `eddy-cluster wait`: the coordinator's exit status.
  exit_status wait(std::chrono::seconds timeout = std::chrono::seconds{180}) {
    return run({cluster_script, "wait", "--dir", dir_.string()}, dir_.string() + ".wait.out",
               dir_.string() + ".wait.err", timeout);
  }

  /// `eddy-cluster add-worker`: one more worker joins the running job.
  exit_status add_worker() {
    return run({cluster_script, "add-worker", "--dir", dir_.string()}, dir_.string() + ".add.out",
               dir_.string() + ".add.err", std::chrono::seconds{90});
  }

  /// `eddy-cluster savepoint` (`stop_too`: `stop --with-savepoint`), with
  /// `extra` options: its status, and the savepoint's path on success.
  std::pair<exit_status, std::string> savepoint(bool stop_too = false, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{cluster_script, stop_too ? "stop" : "savepoint", "--dir", dir_.string()};
    if (stop_too)
      argv.push_back("--with-savepoint");
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto st = run(argv, dir_.string() + ".sp.out", dir_.string() + ".sp.err", std::chrono::seconds{120});
    auto out = lines_of(slurp(dir_.string() + ".sp.out"));
    return {st, st.exited_with(0) && !out.empty() ? out.front() : tail_of(dir_.string() + ".sp.err")};
  }

  void stop() {
    run({cluster_script, "stop", "--dir", dir_.string()}, dir_.string() + ".stop.out",
        dir_.string() + ".stop.err", std::chrono::seconds{30});
  }

  /// The pid of node `name` ("coordinator", "worker-2").
  pid_t pid_of(const std::string& name) const {
    std::ifstream in{dir_ / (name + ".pid")};
    pid_t pid = 0;
    in >> pid;
    return pid;
  }

  /// Sends `sig` to node `name`; false if it has no pid (never kill(0, …),
  /// which would signal the test's own process group).
  bool signal(const std::string& name, int sig) const {
    auto pid = pid_of(name);
    return pid > 0 && ::kill(pid, sig) == 0;
  }

  bool alive(const std::string& name) const {
    auto pid = pid_of(name);
    return pid > 0 && ::kill(pid, 0) == 0;
  }

  /// Waits up to `timeout` until node `name` has exited.
  bool exited_within(const std::string& name, std::chrono::steady_clock::duration timeout) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (std::filesystem::exists(dir_ / (name + ".exit")))
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    return false;
  }

  /// The exit status of node `name` as its launcher recorded it ("137" for SIGKILL).
  std::string exit_of(const std::string& name) const {
    std::ifstream in{dir_ / (name + ".exit")};
    std::string s;
    in >> s;
    return s;
  }

  std::string log(const std::string& name) const {
    return slurp(dir_ / (name + ".log"));
  }

  const std::filesystem::path& dir() const noexcept {
    return dir_;
  }

private:
  std::filesystem::path dir_;
  uint32_t workers_;
  std::vector<std::string> job_;
  bool supervise_ = false;
  std::vector<std::string> options_;
  exit_status start_status_;
};

} // namespace eddy::test
