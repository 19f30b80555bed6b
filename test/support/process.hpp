#pragma once

// Runs a program as a child process for tests: start it with its stdout and
// stderr redirected to files, wait for it with a timeout, kill it with
// SIGKILL. Header-only; POSIX (fork/execv/waitpid).

#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace eddy::test {

/// How a child process ended.
struct exit_status {
  bool exited = false;  ///< it returned from main or called exit()
  int code = -1;        ///< exit code, when `exited`
  int signal = 0;       ///< the signal that ended it, when not `exited`
  bool timed_out = false; ///< run() killed it because it ran out of time

  /// True when the process exited with `c`.
  bool exited_with(int c) const noexcept {
    return exited && code == c;
  }

  /// True when the process was ended by SIGKILL.
  bool killed() const noexcept {
    return !exited && signal == SIGKILL;
  }

  /// "exit 0", "signal 9", "signal 9 (timed out)".
  std::string describe() const {
    std::string s = exited ? "exit " + std::to_string(code) : "signal " + std::to_string(signal);
    if (timed_out)
      s += " (timed out)";
    return s;
  }
};

/// A child process running `argv[0]` with arguments `argv`, its stdout and
/// stderr written to files (truncated first). Owned by one thread; not
/// thread-safe. The destructor kills and reaps a child that is still running,
/// so that a failing test leaves no process behind.
class process {
public:
  process(std::vector<std::string> argv, const std::filesystem::path& out,
          const std::filesystem::path& err)
    : started_(std::chrono::steady_clock::now()) {
    if (argv.empty())
      throw std::invalid_argument("process: empty argv");
    // Everything the child needs is prepared before fork(): after it, the
    // child may only call async-signal-safe functions.
    std::vector<char*> args;
    for (auto& a : argv)
      args.push_back(a.data());
    args.push_back(nullptr);
    auto out_path = out.string();
    auto err_path = err.string();
    int out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out_fd < 0 || err_fd < 0) {
      close_fds(out_fd, err_fd);
      throw std::runtime_error("process: cannot open " + out_path + " or " + err_path);
    }
    pid_ = ::fork();
    if (pid_ < 0) {
      close_fds(out_fd, err_fd);
      throw std::runtime_error("process: fork failed");
    }
    if (pid_ == 0) {
      int null_fd = ::open("/dev/null", O_RDONLY);
      if (null_fd < 0 || ::dup2(null_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0)
        ::_exit(126);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    close_fds(out_fd, err_fd);
  }

  process(const process&) = delete;
  process& operator=(const process&) = delete;

  ~process() {
    if (!status_) {
      ::kill(pid_, SIGKILL);
      reap(true);
    }
  }

  pid_t pid() const noexcept {
    return pid_;
  }

  /// Time since the process was started.
  std::chrono::steady_clock::duration elapsed() const {
    return std::chrono::steady_clock::now() - started_;
  }

  /// Returns the exit status when the process has ended within `timeout`,
  /// nothing when it is still running.
  std::optional<exit_status> wait_for(std::chrono::steady_clock::duration timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (reap(false))
        return status_;
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline)
        return std::nullopt;
      // 1 ms is fine-grained enough for kill timings and cheap on 2 cores.
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        deadline - now, std::chrono::milliseconds{1}));
    }
  }

  /// Sends SIGSTOP and waits (up to `timeout`) until every thread of the
  /// process has stopped: kill(2) returns before a multi-threaded process
  /// is actually paused. Returns false if it did not stop in time.
  bool stop(std::chrono::steady_clock::duration timeout = std::chrono::seconds{5}) {
    if (::kill(pid_, SIGSTOP) != 0)
      return false;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!stopped()) {
      if (std::chrono::steady_clock::now() >= deadline)
        return false;
      std::this_thread::sleep_for(std::chrono::milliseconds{1});
    }
    return true;
  }

  /// Sends SIGCONT to a process stop() paused.
  bool resume() {
    return ::kill(pid_, SIGCONT) == 0;
  }

  /// Sends SIGKILL unless the process has ended, and returns how it ended:
  /// `killed()` is true only when the signal hit a running process.
  exit_status kill() {
    if (!reap(false)) {
      ::kill(pid_, SIGKILL);
      reap(true);
    }
    return *status_;
  }

  /// Waits up to `timeout`; kills the process when it is still running then.
  exit_status wait(std::chrono::steady_clock::duration timeout) {
    if (auto st = wait_for(timeout))
      return *st;
    auto st = kill();
    st.timed_out = true;
    status_ = st;
    return st;
  }

private:
  /// True if /proc says the process is stopped (state 'T' after its name).
  bool stopped() const {
    std::ifstream in{"/proc/" + std::to_string(pid_) + "/stat"};
    std::string stat{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    auto close = stat.rfind(')');
    return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'T';
  }

  static void close_fds(int a, int b) {
    if (a >= 0)
      ::close(a);
    if (b >= 0)
      ::close(b);
  }

  /// Collects the exit status; returns whether the process has ended.
  bool reap(bool block) {
    if (status_)
      return true;
    int raw = 0;
    pid_t r;
    do {
      r = ::waitpid(pid_, &raw, block ? 0 : WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == 0)
      return false;
    exit_status st;
    if (r < 0) {
      st.signal = -1; // lost: someone else reaped it
    } else if (WIFEXITED(raw)) {
      st.exited = true;
      st.code = WEXITSTATUS(raw);
    } else if (WIFSIGNALED(raw)) {
      st.signal = WTERMSIG(raw);
    }
    status_ = st;
    return true;
  }

  pid_t pid_ = -1;
  std::chrono::steady_clock::time_point started_;
  std::optional<exit_status> status_;
};

} // namespace eddy::test
