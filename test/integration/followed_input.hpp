#pragma once

// A directory a job follows (wordcount --follow DIR), what was written into
// it, and waiting until an output holds every count of it. Header-only.

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include "integration/process.hpp"
#include "integration/word_sequences.hpp"

namespace eddy::test {

/// A directory a job follows, and everything written into it.
struct followed_input {
  std::filesystem::path dir;
  std::string all;
  int files = 0;

  explicit followed_input(std::filesystem::path d) : dir(std::move(d)) {
    std::filesystem::create_directories(dir);
  }

  /// A new file of `lines` lines of 8 words from 3000.
  void append(size_t lines) {
    append_text(words_text(static_cast<uint64_t>(files + 1), lines));
  }

  /// A new file holding `text`; it appears whole (written aside, renamed).
  void append_text(const std::string& text) {
    char name[32];
    std::snprintf(name, sizeof name, "part-%04d.txt", ++files);
    auto tmp = dir / (std::string{"."} + name);
    std::ofstream{tmp} << text;
    std::filesystem::rename(tmp, dir / name);
    all += text;
  }
};

/// Polls `pred` every 20 ms until it holds or `timeout` passed; its last answer.
inline bool eventually(const std::function<bool()>& pred, std::chrono::seconds timeout = std::chrono::seconds{90}) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  return pred();
}

/// Waits until `output` holds a line for every word of `in`.
inline bool caught_up(const std::filesystem::path& output, const followed_input& in) {
  auto want = word_lines(in.all);
  return eventually([&] { return lines_of(slurp(output)).size() >= want; });
}

} // namespace eddy::test
