#pragma once

// What the benchmarks of the samples share: throwaway servers of
// scripts/local-<kind>, psql queries, percentiles. Needs EDDY_SCRIPTS_DIR.

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace eddy::bench {

/// The first line `command` prints.
inline std::string shell(const std::string& command) {
  std::string out;
  if (FILE* p = popen(command.c_str(), "r")) {
    char buf[512];
    while (auto n = std::fread(buf, 1, sizeof buf, p))
      out.append(buf, n);
    pclose(p);
  }
  return out.substr(0, out.find('\n'));
}

/// A throwaway server of scripts/local-<kind> in `dir`, stopped by the destructor.
struct local_server {
  std::string kind;
  std::filesystem::path dir;
  std::string address; ///< what `start` printed: a port or a DSN
  local_server(std::string k, std::filesystem::path d) : kind(std::move(k)), dir(std::move(d)) {
    address = shell(std::string{EDDY_SCRIPTS_DIR} + "/local-" + kind + " start " + dir.string());
  }
  ~local_server() {
    shell(std::string{EDDY_SCRIPTS_DIR} + "/local-" + kind + " stop " + dir.string()
          + " >/dev/null 2>&1");
  }
  local_server(const local_server&) = delete;
  local_server& operator=(const local_server&) = delete;
};

/// The rows `sql` returns on `dsn`, columns separated by '|'.
inline std::vector<std::string> psql(const std::string& dsn, const std::string& sql) {
  std::vector<std::string> rows;
  auto command = "psql '" + dsn + "' -X -A -t -q -c \"" + sql + "\"";
  if (FILE* p = popen(command.c_str(), "r")) {
    char line[4096];
    while (std::fgets(line, sizeof line, p)) {
      std::string s{line};
      if (!s.empty() && s.back() == '\n')
        s.pop_back();
      rows.push_back(s);
    }
    pclose(p);
  }
  return rows;
}

/// The q-quantile of `xs` (nearest rank), 0 when empty.
inline double percentile(std::vector<double> xs, double q) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  return xs[std::min(xs.size() - 1, static_cast<size_t>(q * static_cast<double>(xs.size())))];
}

} // namespace eddy::bench
