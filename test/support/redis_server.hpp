#pragma once

// A redis-server of a test's own (scripts/local-redis): started in a fresh
// temp dir by the constructor on a free port, shut down by the destructor,
// also when the test fails. Header-only; needs EDDY_LOCAL_REDIS_SCRIPT.

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace eddy::test {

/// One running redis-server. Owned by one thread; not copyable.
class redis_server {
public:
  /// Starts a server; `aof`: with appendonly yes + appendfsync always.
  explicit redis_server(bool aof = false) {
    auto pattern = (std::filesystem::temp_directory_path() / "eddy-redis-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("redis_server: mkdtemp failed for " + pattern);
    dir_ = pattern;
    auto out = shell(std::string{EDDY_LOCAL_REDIS_SCRIPT} + " start " + dir_.string()
                     + (aof ? " --aof" : ""));
    try {
      port_ = std::stoi(out);
    } catch (const std::exception&) {
      stop();
      throw std::runtime_error("redis_server: local-redis start printed '" + out + "'");
    }
  }

  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  ~redis_server() {
    stop();
  }

  int port() const noexcept {
    return port_;
  }

  /// "redis://127.0.0.1:<port>".
  std::string url() const {
    return "redis://127.0.0.1:" + std::to_string(port_);
  }

  /// Where the server keeps its pidfile, log and data.
  const std::filesystem::path& dir() const noexcept {
    return dir_;
  }

private:
  static std::string shell(const std::string& command) {
    std::string out;
    if (FILE* p = ::popen(command.c_str(), "r")) {
      char buf[256];
      while (auto n = std::fread(buf, 1, sizeof buf, p))
        out.append(buf, n);
      ::pclose(p);
    }
    return out;
  }

  void stop() noexcept {
    if (dir_.empty())
      return;
    shell(std::string{EDDY_LOCAL_REDIS_SCRIPT} + " stop " + dir_.string());
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    dir_.clear();
  }

  std::filesystem::path dir_;
  int port_ = 0;
};

} // namespace eddy::test
