#pragma once

// The input and the check of the wordcount benchmarks of a cluster
// (bench_failover, bench_savepoint): distinct words first (the state), then
// updates drawn from them; every count of every word once and in order.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <unordered_map>

namespace eddy::bench {

/// `keys` distinct words once each, then `updates` words drawn from them, 8 per line.
inline void write_keyed_words(const std::filesystem::path& file, uint64_t keys, uint64_t updates, uint64_t seed = 5) {
  std::ofstream out{file};
  std::mt19937_64 gen{seed};
  for (uint64_t i = 0; i < keys + updates; ++i)
    out << "key" << (i < keys ? i : gen() % keys) << ((i + 1) % 8 == 0 ? '\n' : ' ');
}

/// What is wrong with wordcount's `file` for `words` words ("" if nothing):
/// every count of every word once and in order, `words` lines in all.
inline std::string check_word_counts(const std::filesystem::path& file, uint64_t words) {
  std::ifstream in{file};
  std::unordered_map<std::string, int64_t> last;
  last.reserve(words);
  std::string line;
  uint64_t n = 0;
  while (std::getline(in, line)) {
    auto tab = line.find('\t');
    auto count = std::stoll(line.substr(tab + 1));
    auto& l = last[line.substr(0, tab)];
    if (count != l + 1)
      return "line " + std::to_string(n + 1) + " '" + line + "' after count " + std::to_string(l);
    l = count;
    ++n;
  }
  if (n != words)
    return std::to_string(n) + " lines, expected " + std::to_string(words);
  return {};
}

} // namespace eddy::bench
