#pragma once

// The reference of every wordcount test that appends, stops and resumes:
// for each word of the text, the output holds "w\t1" ... "w\tn" once each
// and in order, n its count in the text (lowercase ASCII, maximal runs of
// [a-z0-9'], written here independently of the sample's splitter).

#include <cstdint>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <string_view>

namespace eddy::test {

/// `lines` lines of `per_line` words "w<n>", n below `vocabulary`, seeded.
inline std::string words_text(uint64_t seed, size_t lines, int per_line = 8, uint64_t vocabulary = 3000) {
  std::mt19937_64 gen{seed};
  std::string text;
  for (size_t i = 0; i < lines; ++i) {
    for (int w = 0; w < per_line; ++w)
      text += (w ? " w" : "w") + std::to_string(gen() % vocabulary);
    text += "\n";
  }
  return text;
}

/// The reference: how often each word occurs, by the rule wordcount promises
/// (lowercase ASCII, then maximal runs of [a-z0-9']), written independently
/// of the sample's splitter.
inline std::map<std::string, int64_t> word_counts(std::string_view text) {
  std::map<std::string, int64_t> counts;
  std::string w;
  auto flush = [&] {
    if (!w.empty())
      ++counts[w];
    w.clear();
  };
  for (char c : text) {
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '\'')
      w.push_back(c);
    else
      flush();
  }
  flush();
  return counts;
}

/// The first problem of `output` against the words of `text`, or "".
inline std::string check_word_sequences(const std::string& output, std::string_view text) {
  auto expected = word_counts(text);
  std::map<std::string, int64_t> seen;
  std::istringstream in{output};
  size_t n = 0;
  for (std::string line; std::getline(in, line); ++n) {
    auto tab = line.find('\t');
    if (tab == std::string::npos)
      return "line " + std::to_string(n + 1) + " has no tab: '" + line + "'";
    auto w = line.substr(0, tab);
    auto c = std::stoll(line.substr(tab + 1));
    if (c != seen[w] + 1)
      return "line " + std::to_string(n + 1) + ": '" + line + "' after count " + std::to_string(seen[w]) + " of '" + w + "'";
    seen[w] = c;
  }
  for (auto& [w, c] : expected)
    if (seen[w] != c)
      return "'" + w + "' reached " + std::to_string(seen[w]) + " of " + std::to_string(c);
  for (auto& [w, c] : seen)
    if (!expected.count(w) && c > 0)
      return "'" + w + "' is not in the text";
  return {};
}

/// Lines of "w\tk" the complete output of `text` has.
inline size_t word_lines(std::string_view text) {
  size_t n = 0;
  for (auto& [w, c] : word_counts(text))
    n += static_cast<size_t>(c);
  return n;
}

} // namespace eddy::test
