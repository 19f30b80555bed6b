// One job in the variants of an upgrade, each built as its own binary with
// UPGRADE_VARIANT set (test/CMakeLists.txt), because a savepoint knows a
// struct by its type's name: every variant's `stats` is the same type, evolved.
//
//   0 base            counts (state stats{count, letters}) → sink
//   1 field_added     stats{count, letters, vowels}
//   2 field_removed   stats{count}
//   3 operator_added  counts → relay (a second keyed operator) → sink
//   4 type_changed    stats{count as a string, letters}
//
// upgrade_job_N --follow DIR --output FILE --state-dir DIR [...]: "word<TAB>count" per occurrence.

#include <string>

#include "eddy/actors/run.hpp"
#include "eddy/connectors/file/lines.hpp"
#include "eddy/connectors/file/lines_out.hpp"
#include "eddy/state.hpp"
#include "wordcount.hpp"

namespace upgrade {

struct stats {
#if UPGRADE_VARIANT == 4
  std::string count;
#else
  int64_t count = 0;
#endif
#if UPGRADE_VARIANT != 2
  int64_t letters = 0;
#endif
#if UPGRADE_VARIANT == 1
  int64_t vowels = -1; ///< -1: counted before the upgrade
#endif
};

template <class Inspector>
auto inspect(Inspector& f, stats& x) {
#if UPGRADE_VARIANT == 1
  return f(eddy::field("count", x.count), eddy::field("letters", x.letters), eddy::field("vowels", x.vowels));
#elif UPGRADE_VARIANT == 2
  return f(eddy::field("count", x.count));
#else
  return f(eddy::field("count", x.count), eddy::field("letters", x.letters));
#endif
}

struct counter {
  eddy::value_state<stats> state{"stats"};

  void on_record(const std::string& word, eddy::context<wordcount::word_count>& ctx) {
    auto s = state.value_or({});
#if UPGRADE_VARIANT == 4
    auto n = (s.count.empty() ? 0 : std::stoll(s.count)) + 1;
    s.count = std::to_string(n);
#else
    auto n = ++s.count;
#endif
#if UPGRADE_VARIANT != 2
    s.letters += static_cast<int64_t>(word.size());
#endif
    state = s;
    ctx.emit({word, n});
  }
};

/// Passes counts on; keeps how many it passed per word.
struct relay {
  eddy::value_state<int64_t> passed{"passed"};

  void on_record(const wordcount::word_count& c, eddy::context<wordcount::word_count>& ctx) {
    passed = passed.value_or(0) + 1;
    ctx.emit(c);
  }
};

} // namespace upgrade

int main(int argc, char** argv) {
  namespace file = eddy::connectors::file;
  eddy::job job{"upgrade_job", argc, argv};
  auto follow = job.arg("follow", "DIR   the input directory to follow");
  auto output = job.arg("output", "FILE   where 'word<TAB>count' lines go");
  auto counts = job.source(file::lines_follow(follow))
                  .flat_map(wordcount::split_words)
                  .key_by([](const std::string& w) -> const std::string& { return w; })
                  .process<upgrade::counter>()
                  .uid("counts");
#if UPGRADE_VARIANT == 3
  counts.key_by([](const wordcount::word_count& c) -> const std::string& { return c.word; })
    .process<upgrade::relay>()
    .uid("relay")
    .sink(file::lines_out(output, wordcount::format));
#else
  counts.sink(file::lines_out(output, wordcount::format));
#endif
  return eddy::run(job);
}
