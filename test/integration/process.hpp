#pragma once

// Helpers for integration tests around child processes (support/process.hpp):
// run one to completion, read what it wrote, keep a temp dir for a
// post-mortem when a test fails. Header-only.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "support/process.hpp"

namespace eddy::test {

/// Runs `argv` to completion (killing it after `timeout`), with stdout and
/// stderr written to `out` and `err`.
inline exit_status run(std::vector<std::string> argv, const std::filesystem::path& out,
                       const std::filesystem::path& err,
                       std::chrono::steady_clock::duration timeout = std::chrono::seconds{120}) {
  process p{std::move(argv), out, err};
  return p.wait(timeout);
}

/// A port on 127.0.0.1 that nobody listens on now (bound, then closed).
inline uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

/// The regular files in directory `dir`, by name (a sink's part files).
inline std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator{dir, ec})
    if (e.is_regular_file())
      files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

/// The whole content of `file` ("" when it cannot be read); of a directory,
/// its files' contents in name order.
inline std::string slurp(const std::filesystem::path& file) {
  if (std::filesystem::is_directory(file)) {
    std::string all;
    for (auto& f : files_in(file))
      all += slurp(f);
    return all;
  }
  std::ifstream in{file, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

/// The last `n` bytes of `file`, for failure messages.
inline std::string tail_of(const std::filesystem::path& file, size_t n = 2000) {
  auto text = slurp(file);
  return text.size() <= n ? text : "..." + text.substr(text.size() - n);
}

/// The lines of `text`, without their '\n'; a last line without '\n' counts.
inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> result;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);)
    result.push_back(line);
  return result;
}

/// A fresh directory `/tmp/<prefix>-XXXXXX`. Removed by the destructor unless
/// keep() was called (tests keep it when they fail, for a post-mortem).
class temp_dir {
public:
  explicit temp_dir(const std::string& prefix) {
    auto pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("temp_dir: mkdtemp failed for " + pattern);
    path_ = pattern;
  }

  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  ~temp_dir() {
    if (!keep_) {
      std::error_code ec;
      std::filesystem::remove_all(path_, ec);
    }
  }

  const std::filesystem::path& path() const noexcept {
    return path_;
  }

  std::filesystem::path operator/(const std::filesystem::path& p) const {
    return path_ / p;
  }

  /// Leaves the directory in place when the object is destroyed.
  void keep(bool yes = true) noexcept {
    keep_ = yes;
  }

private:
  std::filesystem::path path_;
  bool keep_ = false;
};

/// Size of `file`, 0 if it does not exist; of a directory, of its files.
inline uint64_t size_of(const std::filesystem::path& file) {
  if (std::filesystem::is_directory(file)) {
    uint64_t n = 0;
    for (auto& f : files_in(file))
      n += size_of(f);
    return n;
  }
  std::error_code ec;
  auto n = std::filesystem::file_size(file, ec);
  return ec ? 0 : n;
}

/// A duration in milliseconds, for messages.
template <class Duration>
double ms(Duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

/// True when the current test case has not failed so far (keep its temp dir
/// otherwise).
inline bool passing() {
  using namespace boost::unit_test;
  return results_collector.results(framework::current_test_case().p_id).passed();
}

/// Keeps `tmp` for a post-mortem when the test case has failed, also after a
/// fatal assertion left it early.
struct keep_on_failure {
  temp_dir& tmp;
  ~keep_on_failure() {
    if (!passing())
      tmp.keep();
  }
};

} // namespace eddy::test
