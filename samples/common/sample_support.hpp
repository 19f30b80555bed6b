#pragma once

// What the CSV samples share: their dead letters, writing a generated file,
// the `generate` options, the `generate | run` command line, counting lines.

#include <charconv>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace samples {

/// An input line that does not parse: its 1-based number, why, and its text.
struct dead_letter {
  int64_t line = 0;
  std::string reason;
  std::string text;
};

template <class Inspector>
auto inspect(Inspector& f, dead_letter& x) {
  return f(x.line, x.reason, x.text);
}

/// "line<TAB>reason<TAB>text".
inline std::string format(const dead_letter& d) {
  return std::to_string(d.line) + "\t" + d.reason + "\t" + d.text;
}

/// Writes `line(i)` and a newline for i = 0 … n-1 to `out`, in 1 MiB writes.
/// Returns "" or what went wrong, naming the file.
template <class Line>
std::string write_lines(const std::filesystem::path& out, uint64_t n, Line line) {
  std::ofstream file{out, std::ios::binary | std::ios::trunc};
  if (!file)
    return "cannot write '" + out.string() + "'";
  std::string text;
  for (uint64_t i = 0; i < n && file; ++i) {
    text += line(i);
    text += '\n';
    if (text.size() > (1 << 20)) {
      file << text;
      text.clear();
    }
  }
  file << text;
  file.close();
  if (!file)
    return "cannot write '" + out.string() + "'";
  return {};
}

/// Writes `format(item)` and a newline per item to `out`, in 1 MiB writes.
/// Returns "" or what went wrong, naming the file.
template <class T, class Format>
std::string write_lines(const std::filesystem::path& out, const std::vector<T>& items,
                        Format format) {
  return write_lines(out, items.size(), [&](uint64_t i) { return format(items[i]); });
}

/// Random numbers that are the same on every machine for a seed: mt19937_64
/// is specified exactly; the std distributions are not.
class random_source {
public:
  explicit random_source(uint64_t seed) : gen_(seed) {
  }
  /// Uniform in [0, n) (n > 0), of n's type.
  template <class I>
  I below(I n) {
    return static_cast<I>(gen_() % static_cast<uint64_t>(n));
  }
  /// Uniform in [0, 1).
  double unit() {
    return static_cast<double>(gen_() >> 11) * 0x1p-53;
  }

private:
  std::mt19937_64 gen_;
};

/// `<program>: error: <message>` on stderr; returns exit code 2.
inline int fail(const std::string& program, const std::string& message) {
  std::cerr << program << ": error: " << message << std::endl;
  return 2;
}

/// The `--name value` options of a `generate` command. Accessors throw the
/// error text (a std::string) for a missing, malformed or unknown option.
class generate_options {
public:
  /// Parses `argv[0..argc)`; returns false with `error` set on bad syntax.
  bool parse(int argc, char** argv, std::string& error) {
    for (int i = 0; i < argc; ++i) {
      std::string a = argv[i];
      if (a.rfind("--", 0) != 0 || a.size() == 2) {
        error = "generate: unexpected argument '" + a + "'";
        return false;
      }
      if (i + 1 >= argc) {
        error = "generate: option " + a + " needs a value";
        return false;
      }
      if (!options_.emplace(a.substr(2), argv[++i]).second) {
        error = "generate: option " + a + " given twice";
        return false;
      }
    }
    return true;
  }

  /// An integer option of at least `min`; `fallback` when absent and not required.
  int64_t integer(const std::string& name, int64_t min, bool required, int64_t fallback = 0) {
    auto it = options_.find(name);
    if (it == options_.end()) {
      if (required)
        throw std::string{"generate: option --" + name + " is required"};
      return fallback;
    }
    auto& v = it->second;
    int64_t out = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (v.empty() || ec != std::errc{} || p != v.data() + v.size() || out < min)
      throw std::string{"generate: option --" + name + " needs an integer of at least "
                        + std::to_string(min) + ", not '" + v + "'"};
    options_.erase(it);
    return out;
  }

  /// A required, non-empty text option.
  std::string text(const std::string& name) {
    auto it = options_.find(name);
    if (it == options_.end() || it->second.empty())
      throw std::string{"generate: option --" + name + " is required"};
    auto value = it->second;
    options_.erase(it);
    return value;
  }

  /// Throws if any option was not asked for.
  void finish() const {
    if (!options_.empty())
      throw std::string{"generate: unknown option --" + options_.begin()->first};
  }

private:
  std::map<std::string, std::string> options_;
};

/// The main() of a sample with `generate` and `run` commands.
inline int dispatch(const std::string& program, const char* usage, int argc, char** argv,
                    const std::function<int(int, char**)>& generate,
                    const std::function<int(int, char**)>& run) {
  std::string command = argc > 1 ? argv[1] : "";
  if (command == "generate") {
    for (int i = 2; i < argc; ++i)
      if (std::string{argv[i]} == "--help") {
        std::cout << usage;
        return 0;
      }
    return generate(argc - 2, argv + 2);
  }
  if (command == "run")
    return run(argc - 1, argv + 1);
  if (command == "--help" || command == "help") {
    std::cout << usage;
    return 0;
  }
  return fail(program, (command.empty() ? "missing command 'generate' or 'run'"
                                        : "unknown command '" + command + "'")
                         + " (see " + program + " --help)");
}

/// The number of lines of `file` (0 if it cannot be read).
inline uint64_t count_lines(const std::filesystem::path& file) {
  std::ifstream in{file, std::ios::binary};
  uint64_t n = 0;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0)
    for (std::streamsize i = 0; i < in.gcount(); ++i)
      n += buf[i] == '\n';
  return n;
}

} // namespace samples
