#pragma once

// SIGKILL a job at random moments and let it finish: the shape of every
// crash-and-restart test of the runtime.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <random>
#include <thread>

namespace eddy::test {

/// Runs `job` (returning an exit code) in a forked child and SIGKILLs it after
/// `kill_after` unless it ends first. Returns its exit code, or -1 if killed.
inline int run_child(const std::function<int()>& job, std::chrono::milliseconds kill_after) {
  auto pid = ::fork();
  if (pid < 0)
    return -2;
  if (pid == 0)
    ::_exit(job());
  auto deadline = std::chrono::steady_clock::now() + kill_after;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return -1;
}

/// What kill_and_finish() did.
struct kill_report {
  int kills = 0;          ///< runs killed while running
  int64_t whole_ms = 0;   ///< how long an uninterrupted probe run took
  int final_code = -1;    ///< exit code of the run that finished
};

/// Times an uninterrupted probe run (`job(true)`, on its own state), then
/// runs `job(false)` up to ten times, each killed at a random moment early
/// enough that ten kills cannot finish it, then once more to completion.
inline kill_report kill_and_finish(const std::function<int(bool probe)>& job, unsigned seed) {
  kill_report r;
  auto started = std::chrono::steady_clock::now();
  if (run_child([&] { return job(true); }, std::chrono::minutes(5)) != 0)
    return r;
  r.whole_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now() - started)
                 .count();
  std::mt19937 rng{seed};
  for (int round = 0; round < 10; ++round) {
    std::chrono::milliseconds after{r.whole_ms / 40 + rng() % (r.whole_ms / 12 + 1)};
    auto code = run_child([&] { return job(false); }, after);
    if (code != -1) {
      r.final_code = code; // finished before the kill
      return r;
    }
    ++r.kills;
  }
  r.final_code = run_child([&] { return job(false); }, std::chrono::minutes(5));
  return r;
}

} // namespace eddy::test
