#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "eddy/job.hpp"

namespace wordcount {

/// A word and how often it has been seen so far.
struct word_count {
  std::string word;
  int64_t count = 0;
};

template <class Inspector>
auto inspect(Inspector& f, word_count& x) {
  return f(x.word, x.count);
}

/// Calls `out` for each lowercase word (`[a-z0-9']+`) of `line`.
void split_words(std::string_view line, eddy::collector<std::string>& out);

/// "word<TAB>count".
std::string format(const word_count& x);

/// Where the counts go: one file, or part files in a directory (one per sink instance).
struct target {
  std::string path;
  bool parts = false;
};

/// What it reads: a file read as splits (up to one per instance), or a
/// file or directory followed as it grows (unbounded).
struct input {
  std::string path;
  bool follow = false;
};

/// Builds the wordcount job: lines of `in` → words → count per word → one
/// line per occurrence into `output`.
void build(eddy::job& job, const input& in, const target& output);

} // namespace wordcount
