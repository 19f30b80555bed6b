#pragma once

// What every benchmark prints and computes: the machine, the command line,
// medians of repeated runs, a timer.

#include <algorithm>
#include <cstdint>
#include <chrono>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace eddy::bench {

inline std::string cpu_model() {
  std::ifstream in{"/proc/cpuinfo"};
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0)
      return line.substr(line.find(':') + 2);
  return "unknown";
}

/// Prints the machine and the command, the header of every benchmark's output.
inline void print_header(int argc, char** argv) {
  std::cout << "machine: " << std::thread::hardware_concurrency() << " cores, " << cpu_model()
            << "\ncommand:";
  for (int i = 0; i < argc; ++i)
    std::cout << " " << argv[i];
  std::cout << "\n";
}

inline double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs.empty() ? 0 : xs[xs.size() / 2];
}

/// Seconds since construction.
class stopwatch {
public:
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

/// The value of flag `--name` (before a `--`), or `fallback`.
inline std::string arg(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc && std::string{argv[i]} != "--"; ++i)
    if (argv[i] == "--" + name)
      return argv[i + 1];
  return fallback;
}

/// What follows `--`: job arguments a benchmark adds to every job it runs.
inline std::vector<std::string> job_args_after_dashes(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::string{argv[i]} == "--")
      return {argv + i + 1, argv + argc};
  return {};
}

/// "32,128,1024" as numbers (a benchmark's list flag).
inline std::vector<uint32_t> parse_list(const std::string& s) {
  std::vector<uint32_t> out;
  size_t at = 0;
  while (at <= s.size()) {
    auto comma = s.find(',', at);
    out.push_back(static_cast<uint32_t>(std::stoul(s.substr(at, comma - at))));
    if (comma == std::string::npos)
      break;
    at = comma + 1;
  }
  return out;
}

} // namespace eddy::bench
