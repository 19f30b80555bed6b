#pragma once

// Child processes for benchmarks that run sample binaries: start one with
// its stdout and stderr in files, and wait for it with its CPU time (user +
// sys from wait4) and peak RSS, and read what it wrote. Header-only.

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace eddy::bench {

/// The whole content of `file` ("" when it cannot be read): a child's output.
inline std::string slurp(const std::filesystem::path& file) {
  std::ifstream in{file};
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// How a child ended.
struct child_exit {
  bool ok = false;      ///< exited with status 0
  double cpu = 0;       ///< user + sys seconds
  long max_rss_kb = 0;
  std::string failure;  ///< why not ok: a signal, an exit code, a failed wait
};

/// Starts `argv` with stdout in `out` and stderr in `err`; -1 when fork fails.
inline pid_t start_child(const std::vector<std::string>& argv, const std::filesystem::path& out,
                         const std::filesystem::path& err) {
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o >= 0)
      dup2(o, 1);
    if (e >= 0)
      dup2(e, 2);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

/// Waits for child `pid` (retrying when a signal interrupts the wait).
inline child_exit wait_child(pid_t pid) {
  child_exit r;
  int status = 0;
  rusage usage{};
  pid_t w;
  do
    w = wait4(pid, &status, 0, &usage);
  while (w < 0 && errno == EINTR);
  r.cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
          + static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  r.max_rss_kb = usage.ru_maxrss;
  if (w < 0)
    r.failure = std::string{"wait4: "} + std::strerror(errno);
  else if (WIFSIGNALED(status))
    r.failure = "killed by signal " + std::to_string(WTERMSIG(status))
                + (WTERMSIG(status) == SIGKILL ? " (timeout?)" : "");
  else if (WEXITSTATUS(status) != 0)
    r.failure = "exit code " + std::to_string(WEXITSTATUS(status));
  else
    r.ok = true;
  return r;
}

} // namespace eddy::bench
