#include "wordcount.hpp"

#include <filesystem>

#include "eddy/connectors/file/lines.hpp"
#include "eddy/connectors/file/lines_out.hpp"
#include "eddy/state.hpp"

namespace wordcount {

namespace {

/// What the counter keeps per word. Its fields are named, so that a
/// savepoint restores it into a version with fields added or removed; the
/// variant built with WORDCOUNT_UPGRADED (a test's upgraded binary) adds one.
struct word_state {
  int64_t count = 0;
#ifdef WORDCOUNT_UPGRADED
  int64_t since_upgrade = 0; ///< occurrences counted by the upgraded binary
#endif
};

template <class Inspector>
auto inspect(Inspector& f, word_state& x) {
#ifdef WORDCOUNT_UPGRADED
  return f(eddy::field("count", x.count), eddy::field("since_upgrade", x.since_upgrade));
#else
  return f(eddy::field("count", x.count));
#endif
}

/// Counts the occurrences of its key; emits the new count for each one.
struct counter {
  eddy::value_state<word_state> state{"words"};

  void on_record(const std::string& word, eddy::context<word_count>& ctx) {
    auto s = state.value_or({});
    ++s.count;
#ifdef WORDCOUNT_UPGRADED
    ++s.since_upgrade;
#endif
    state = s;
    ctx.emit({word, s.count});
  }
};

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '\'';
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

} // namespace

void split_words(std::string_view line, eddy::collector<std::string>& out) {
  std::string word;
  for (char c : line) {
    c = lower(c);
    if (is_word_char(c)) {
      word.push_back(c);
    } else if (!word.empty()) {
      out(word);
      word.clear();
    }
  }
  if (!word.empty())
    out(word);
}

std::string format(const word_count& x) {
  return x.word + "\t" + std::to_string(x.count);
}

void build(eddy::job& job, const input& in, const target& output) {
  namespace file = eddy::connectors::file;
  auto counts = job.source(in.follow ? file::lines_follow(in.path) : file::lines(in.path))
                  .flat_map(split_words)
                  .key_by([](const std::string& w) -> const std::string& { return w; })
                  .process<counter>()
                  .uid("counts");
  if (output.parts) {
    std::error_code ec; // a missing directory is created, as Flink's FileSink does; check() reports the rest
    std::filesystem::create_directories(output.path, ec);
    counts.sink(file::lines_out(file::part_files{output.path}, format));
  } else {
    counts.sink(file::lines_out(output.path, format));
  }
}

} // namespace wordcount
