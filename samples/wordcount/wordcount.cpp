#include "wordcount.hpp"

#include <filesystem>

#include "eddy/connectors/file/lines.hpp"
#include "eddy/connectors/file/lines_out.hpp"
#include "eddy/state.hpp"

namespace wordcount {

namespace {

/// Counts the occurrences of its key; emits the new count for each one.
struct counter {
  eddy::value_state<int64_t> count;

  void on_record(const std::string& word, eddy::context<word_count>& ctx) {
    count = count.value_or(0) + 1;
    ctx.emit({word, *count});
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
                  .process<counter>();
  if (output.parts) {
    std::error_code ec; // a missing directory is created, as Flink's FileSink does; check() reports the rest
    std::filesystem::create_directories(output.path, ec);
    counts.sink(file::lines_out(file::part_files{output.path}, format));
  } else {
    counts.sink(file::lines_out(output.path, format));
  }
}

} // namespace wordcount
