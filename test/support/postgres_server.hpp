#pragma once

// A PostgreSQL server of a test's own (scripts/local-postgres), in a fresh
// temporary directory: started by the constructor, stopped and removed by
// the destructor, also when the test fails. query() runs SQL through psql
// for assertions. Header-only; needs EDDY_LOCAL_POSTGRES_SCRIPT.

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <memory>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace eddy::test {

/// One server on 127.0.0.1 and a free port, database `eddy`, user
/// `postgres`, trust auth. Owned by one thread; not thread-safe, except
/// that start() and stop() may run on another thread while the owner's
/// code under test talks to the server.
class postgres_server {
public:
  postgres_server() {
    auto pattern = (std::filesystem::temp_directory_path() / "eddy-postgres-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("postgres_server: mkdtemp failed for " + pattern);
    dir_ = pattern;
    try {
      start();
    } catch (...) {
      remove();
      throw;
    }
  }

  postgres_server(const postgres_server&) = delete;
  postgres_server& operator=(const postgres_server&) = delete;

  ~postgres_server() {
    try {
      stop();
    } catch (...) {
      // Nothing to do in a destructor; the directory goes anyway.
    }
    remove();
  }

  /// `postgresql://postgres@127.0.0.1:PORT/eddy`; the same across restarts.
  const std::string& dsn() const noexcept {
    return dsn_;
  }

  /// The directory the server lives in.
  const std::filesystem::path& dir() const noexcept {
    return dir_;
  }

  /// Starts the server (again); its data and port stay.
  void start() {
    auto out = script("start");
    while (!out.empty() && out.back() == '\n')
      out.pop_back();
    dsn_ = out;
  }

  /// Stops the server (fast shutdown: open connections are cut).
  void stop() {
    script("stop");
  }

  /// Runs `sql` (one or more statements) and returns the rows of the last,
  /// each as its values joined by tabs. Throws with psql's message on error.
  std::vector<std::string> query(const std::string& sql) const {
    auto out = run({"/usr/bin/psql", "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-d",
                    dsn_, "-c", sql},
                   "psql");
    std::vector<std::string> rows;
    size_t begin = 0;
    while (begin < out.size()) {
      auto end = out.find('\n', begin);
      if (end == std::string::npos)
        end = out.size();
      rows.push_back(out.substr(begin, end - begin));
      begin = end + 1;
    }
    return rows;
  }

  /// The single value of a query of one row and column, "" if none.
  std::string value(const std::string& sql) const {
    auto rows = query(sql);
    return rows.empty() ? "" : rows.front();
  }

private:
  std::string script(const std::string& command) const {
    return run({EDDY_LOCAL_POSTGRES_SCRIPT, command, dir_.string()}, "local-postgres " + command);
  }

  /// Runs `argv` to completion; returns its stdout, throws with its stderr.
  std::string run(std::vector<std::string> argv, const std::string& what) const {
    auto out = dir_ / ".out";
    auto err = dir_ / ".err";
    process p{std::move(argv), out, err};
    auto st = p.wait(std::chrono::seconds{120});
    if (!st.exited_with(0))
      throw std::runtime_error(what + ": " + st.describe() + ": " + slurp(err));
    return slurp(out);
  }

  static std::string slurp(const std::filesystem::path& file) {
    std::ifstream in{file, std::ios::binary};
    return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  }

  void remove() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::filesystem::path dir_;
  std::string dsn_;
};

/// The server a whole suite shares (initdb takes seconds): give the suite
/// `*boost::unit_test::fixture<eddy::test::suite_postgres>()` and use
/// `suite_postgres::server` in its cases.
struct suite_postgres {
  static inline std::unique_ptr<postgres_server> server;
  suite_postgres() {
    server = std::make_unique<postgres_server>();
  }
  ~suite_postgres() {
    server.reset();
  }
};

} // namespace eddy::test
