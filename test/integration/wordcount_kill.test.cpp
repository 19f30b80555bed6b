// Kills the wordcount sample with SIGKILL at random moments, reruns it until it
// completes, and checks that every count of every word was written exactly once.

#include "process.hpp"
#include "word_sequences.hpp"

#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using eddy::test::exit_status;
using eddy::test::ms;
using eddy::test::passing;
using eddy::test::process;
using eddy::test::size_of;
using eddy::test::slurp;
using eddy::test::tail_of;
using eddy::test::temp_dir;

namespace {

using clock_type = std::chrono::steady_clock;

const std::string wordcount_binary = EDDY_WORDCOUNT_BINARY;

/// Random numbers that are the same on every standard library: mt19937_64 is
/// specified exactly, the std distributions are not.
class random_source {
public:
  explicit random_source(uint64_t seed) : gen_(seed) {
  }

  /// Uniform in [0, n).
  uint64_t below(uint64_t n) {
    return gen_() % n;
  }

  /// Uniform in [lo, hi].
  int64_t between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo + 1)));
  }

  /// Uniform in [0, 1).
  double unit() {
    return static_cast<double>(gen_() >> 11) * 0x1p-53;
  }

  bool chance(double p) {
    return unit() < p;
  }

  template <class T>
  const T& pick(const std::vector<T>& xs) {
    return xs[below(xs.size())];
  }

private:
  std::mt19937_64 gen_;
};

/// `n` distinct lowercase words: mostly letters, some with digits or apostrophes.
std::vector<std::string> make_vocabulary(random_source& rnd, size_t n) {
  static const std::vector<std::string> fixed = {"the", "and", "don't", "o'clock", "'tis",
                                                 "rock'n'roll", "mp3", "1984", "x", "a"};
  std::vector<std::string> words = fixed;
  std::map<std::string, bool> seen;
  for (auto& w : words)
    seen[w] = true;
  while (words.size() < n) {
    auto len = rnd.chance(0.8) ? rnd.between(2, 8) : rnd.between(1, 14);
    std::string w;
    for (int64_t i = 0; i < len; ++i)
      w.push_back(rnd.chance(0.03) ? static_cast<char>('0' + rnd.below(10))
                                   : static_cast<char>('a' + rnd.below(26)));
    if (rnd.chance(0.04))
      w.insert(rnd.below(w.size() + 1), 1, '\'');
    if (!seen[w]) {
      seen[w] = true;
      words.push_back(std::move(w));
    }
  }
  // Shuffle, so that rank (and thus frequency) does not follow creation order.
  for (size_t i = words.size() - 1; i > 0; --i)
    std::swap(words[i], words[rnd.below(i + 1)]);
  return words;
}

/// Picks ranks with probability ~ 1 / (rank + 1): a Zipf-like distribution.
class zipf {
public:
  explicit zipf(size_t n) {
    double sum = 0;
    for (size_t k = 0; k < n; ++k) {
      sum += 1.0 / static_cast<double>(k + 1);
      cumulative_.push_back(sum);
    }
  }

  size_t operator()(random_source& rnd) const {
    auto x = rnd.unit() * cumulative_.back();
    auto i = std::upper_bound(cumulative_.begin(), cumulative_.end(), x) - cumulative_.begin();
    return std::min(static_cast<size_t>(i), cumulative_.size() - 1);
  }

private:
  std::vector<double> cumulative_;
};

/// How `w` appears in the text: mostly as is, sometimes capitalized, upper
/// case or mixed, sometimes wrapped in punctuation.
std::string render(random_source& rnd, const std::string& w) {
  std::string s = w;
  auto r = rnd.unit();
  if (r < 0.10) {
    s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  } else if (r < 0.15) {
    for (auto& c : s)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  } else if (r < 0.17) {
    for (auto& c : s)
      if (rnd.chance(0.5))
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  static const std::vector<std::string> before = {"(", "\"", "[", "\xc2\xbf"}; // ¿
  static const std::vector<std::string> after = {",", ".", ";", ":", "!", "?", "...", ")",
                                                 "\"", ",\"", "]"};
  if (rnd.chance(0.03))
    s = rnd.pick(before) + s;
  if (rnd.chance(0.15))
    s += rnd.pick(after);
  return s;
}

/// What goes between two words: mostly a space.
std::string separator(random_source& rnd) {
  static const std::vector<std::string> rare = {"  ", "\t", " - ", "--", "-", "/", ", ",
                                                " \xe2\x80\x94 ", // em dash
                                                "\xc3\xa9"};     // é: not a word character
  return rnd.chance(0.93) ? std::string{" "} : rnd.pick(rare);
}

/// A text of `words` word occurrences from a vocabulary of a few thousand,
/// with lines of 0 to a few hundred words, and a few blank or CRLF lines.
std::string make_text(uint64_t seed, size_t words) {
  random_source rnd{seed};
  auto vocabulary = make_vocabulary(rnd, 4000);
  zipf rank{vocabulary.size()};
  std::string text;
  text.reserve(words * 8);
  size_t written = 0;
  while (written < words) {
    auto r = rnd.unit();
    if (r < 0.05) {
      text += rnd.chance(0.7) ? "\n" : " \t \n";
      continue;
    }
    auto n = r < 0.75 ? rnd.between(1, 15) : r < 0.97 ? rnd.between(16, 60) : rnd.between(61, 400);
    for (int64_t i = 0; i < n && written < words; ++i, ++written) {
      if (i > 0)
        text += separator(rnd);
      text += render(rnd, vocabulary[rank(rnd)]);
    }
    text += rnd.chance(0.02) ? "\r\n" : "\n";
  }
  return text;
}

/// Bytes of a complete output for `counts`: "word\tk\n" for k in 1..n.
uint64_t output_size(const std::map<std::string, int64_t>& counts) {
  uint64_t total = 0;
  for (auto& [w, n] : counts)
    for (int64_t k = 1; k <= n; ++k)
      total += w.size() + std::to_string(k).size() + 2;
  return total;
}

/// Checks that `output` holds, for every word, exactly the lines
/// "w\t1" ... "w\tn" once each and in this order, with n its reference count.
/// Returns the first problem, or "" when there is none.
std::string check_output(const std::string& output,
                         const std::map<std::string, int64_t>& reference) {
  if (!output.empty() && output.back() != '\n')
    return "the output does not end with a newline";
  std::map<std::string, int64_t> seen;
  size_t line_no = 0;
  size_t begin = 0;
  while (begin < output.size()) {
    auto end = output.find('\n', begin);
    std::string_view line{output.data() + begin, end - begin};
    begin = end + 1;
    ++line_no;
    auto where = "line " + std::to_string(line_no) + " '" + std::string{line} + "'";
    auto tab = line.find('\t');
    if (tab == std::string_view::npos || tab == 0)
      return where + " is not 'word<TAB>count'";
    auto word = std::string{line.substr(0, tab)};
    auto count_text = line.substr(tab + 1);
    int64_t count = 0;
    auto [ptr, ec] = std::from_chars(count_text.data(), count_text.data() + count_text.size(),
                                     count);
    if (ec != std::errc{} || ptr != count_text.data() + count_text.size())
      return where + " has no number after the tab";
    auto ref = reference.find(word);
    if (ref == reference.end())
      return where + ": '" + word + "' is not a word of the input";
    auto& last = seen[word];
    if (count != last + 1)
      return where + ": expected count " + std::to_string(last + 1) + " for '" + word + "'";
    last = count;
  }
  for (auto& [word, n] : reference) {
    auto got = seen.count(word) ? seen[word] : 0;
    if (got != n)
      return "'" + word + "' occurs " + std::to_string(n) + " times in the input, the output counts "
             + std::to_string(got);
  }
  return {};
}




/// A wordcount job over one generated input, in its own temp directory.
struct wordcount_job {
  temp_dir dir{"eddy-wordcount-kill"};
  fs::path input = dir / "input.txt";
  std::map<std::string, int64_t> reference;
  int runs = 0;

  explicit wordcount_job(uint64_t seed, size_t words) {
    auto text = make_text(seed, words);
    std::ofstream{input, std::ios::binary} << text;
    reference = eddy::test::word_counts(text);
    BOOST_TEST_MESSAGE("input: " << text.size() << " bytes, " << words << " words, "
                                 << reference.size() << " distinct");
  }

  ~wordcount_job() {
    // Keep the evidence when the test failed.
    dir.keep(!passing());
    if (!passing())
      BOOST_TEST_MESSAGE("kept " << dir.path() << " for inspection");
  }

  std::vector<std::string> args(const std::string& name, uint32_t parallelism) const {
    std::vector<std::string> a{wordcount_binary,        "--input",     input.string(),
                               parts ? "--parts" : "--output", output(name).string(),
                               "--state-dir",           (dir / (name + ".state")).string(),
                               "--parallelism",         std::to_string(parallelism)};
    if (max_key_groups) {
      a.push_back("--max-key-groups");
      a.push_back(std::to_string(max_key_groups));
    }
    return a;
  }

  /// The output file, or the directory of part files (slurp and size_of read them all).
  fs::path output(const std::string& name) const {
    return dir / (name + ".out");
  }

  bool parts = false;          ///< one part file per sink instance
  uint32_t max_key_groups = 0; ///< 0: the job's default

  /// Starts a run; its stdout and stderr go to run-<n>.stdout / .stderr.
  std::unique_ptr<process> start(const std::string& name, uint32_t parallelism) {
    ++runs;
    auto log = dir / ("run-" + std::to_string(runs));
    last_stderr = log.string() + ".stderr";
    return std::make_unique<process>(args(name, parallelism), log.string() + ".stdout",
                                     last_stderr);
  }

  /// Runs to completion; returns how it ended and how long it took.
  std::pair<exit_status, clock_type::duration> run(const std::string& name,
                                                   uint32_t parallelism) {
    auto p = start(name, parallelism);
    auto st = p->wait(120s);
    return {st, p->elapsed()};
  }

  fs::path last_stderr;
};

/// Runs job `name` to completion, checks its output against the reference,
/// then reruns it and checks that the rerun changes nothing.
void complete_and_check(wordcount_job& job, const std::string& name, uint32_t parallelism) {
  auto [last, t_last] = job.run(name, parallelism);
  BOOST_REQUIRE_MESSAGE(last.exited_with(0),
                        "final run: " << last.describe() << ": " << tail_of(job.last_stderr));
  auto output = slurp(job.output(name));
  BOOST_TEST(check_output(output, job.reference) == "");
  BOOST_TEST(output.size() == output_size(job.reference));
  auto [again, t_again] = job.run(name, parallelism);
  BOOST_REQUIRE_MESSAGE(again.exited_with(0),
                        "rerun: " << again.describe() << ": " << tail_of(job.last_stderr));
  BOOST_CHECK_MESSAGE(slurp(job.output(name)) == output,
                      "a rerun after completion changed the output");
}

/// Runs wordcount over ~300 k words at `parallelism`, SIGKILLs it at random
/// moments until at least 10 kills have hit a process that had not finished
/// the job, completes it, checks every count, and checks a rerun adds nothing.
void kill_repeatedly_then_check(uint32_t parallelism, uint64_t seed, bool parts = false,
                                uint32_t max_key_groups = 0, size_t words = 300'000) {
  wordcount_job job{seed, words};
  job.parts = parts;
  job.max_key_groups = max_key_groups;
  auto expected_size = output_size(job.reference);

  // An uninterrupted run, and reruns of the finished job: a run of this job
  // takes at least as long as a rerun with nothing to do.
  auto [clean, t_full] = job.run("clean", parallelism);
  BOOST_REQUIRE_MESSAGE(clean.exited_with(0),
                        "uninterrupted run: " << clean.describe() << ": "
                                              << tail_of(job.last_stderr));
  BOOST_REQUIRE_EQUAL(check_output(slurp(job.output("clean")), job.reference), "");
  auto t_idle = t_full;
  for (int i = 0; i < 2; ++i) {
    auto [idle, t] = job.run("clean", parallelism);
    BOOST_REQUIRE_MESSAGE(idle.exited_with(0),
                          "rerun: " << idle.describe() << ": " << tail_of(job.last_stderr));
    t_idle = std::min(t_idle, t);
  }
  BOOST_TEST_MESSAGE("parallelism " << parallelism << ": an uninterrupted run takes "
                                    << ms(t_full) << " ms, a rerun of the finished job "
                                    << ms(t_idle) << " ms");

  // A run takes a few hundred milliseconds and most of the job may be done in
  // any one of them, so kills come at a random delay between 20 ms and the
  // time of a rerun with nothing to do. A kill "hits" when SIGKILL ends a
  // process whose job has not written all its output yet. Load on the machine
  // can still let a run finish the job before its kill; then that job is
  // checked and a new one started with a shorter range ("rounds"). After 15
  // hits, up to 8 kills at longer delays (up to an uninterrupted run) follow.
  random_source rnd{seed * 7919 + 1};
  const int wanted_hits = 15;
  int hits = 0;
  int with_output = 0;    // hits after the job had begun to write output
  uint64_t most_output = 0; // the most output seen at a kill
  auto upper_ms = std::max(60.0, ms(t_idle));
  for (int round = 1; round <= 4 && hits < wanted_hits; ++round) {
    auto name = "killed-" + std::to_string(round);
    auto output = job.output(name);
    bool finished = false;
    int late = 0;
    for (int attempt = 0; attempt < 40 && late < 8 && !finished; ++attempt) {
      auto delay_ms = 20.0 + rnd.unit() * (upper_ms - 20.0);
      if (hits >= wanted_hits) {
        // Enough kills; a few more reach deeper into the run (where the sink
        // writes most output) until one finishes the job.
        ++late;
        delay_ms = ms(t_idle) / 2 + rnd.unit() * ms(t_full);
      }
      auto delay = std::chrono::duration_cast<clock_type::duration>(
        std::chrono::duration<double, std::milli>(delay_ms));
      auto p = job.start(name, parallelism);
      auto ended = p->wait_for(delay);
      auto out_at_kill = size_of(output);
      auto st = ended ? *ended : p->kill();
      if (st.killed() && out_at_kill < expected_size) {
        ++hits;
        if (out_at_kill > 0)
          ++with_output;
        most_output = std::max(most_output, out_at_kill);
        BOOST_TEST_MESSAGE("kill " << hits << " after " << static_cast<int>(delay_ms)
                                   << " ms: output " << out_at_kill << " of " << expected_size
                                   << " bytes");
      } else if (st.killed()) {
        BOOST_TEST_MESSAGE("kill after " << static_cast<int>(delay_ms)
                                         << " ms came after all output was written");
        finished = true;
      } else {
        BOOST_REQUIRE_MESSAGE(st.exited_with(0), "run " << job.runs << " ended with "
                                                        << st.describe() << ": "
                                                        << tail_of(job.last_stderr));
        BOOST_TEST_MESSAGE("run " << job.runs << " finished the job before its kill at "
                                  << static_cast<int>(delay_ms) << " ms");
        finished = true;
      }
    }
    BOOST_TEST_MESSAGE("round " << round << ": " << hits << " kills so far hit an unfinished job, "
                                << with_output << " of them after it had begun to write output"
                                << " (at most " << most_output << " of " << expected_size
                                << " bytes)");
    complete_and_check(job, name, parallelism);
    upper_ms = std::max(40.0, upper_ms * 0.7);
  }
  // Output shows up late in a run (after the journal has taken most of the
  // job), so how many kills came after it had begun is reported, not required.
  BOOST_TEST(hits >= 10);
}

} // namespace

BOOST_AUTO_TEST_SUITE(wordcount_kill)

BOOST_AUTO_TEST_CASE(wordcount_outputs_each_count_exactly_once_after_repeated_sigkills) {
  kill_repeatedly_then_check(1, 20240601);
}

BOOST_AUTO_TEST_CASE(wordcount_at_parallelism_4_outputs_each_count_exactly_once_after_repeated_sigkills) {
  kill_repeatedly_then_check(4, 20240602);
}

// Parallel sources (byte-range splits) and sinks (one part file per
// instance) keep exactly-once: each split and each sink instance has its own
// checkpoint and channels.
BOOST_AUTO_TEST_CASE(wordcount_into_part_files_at_parallelism_2_outputs_each_count_exactly_once_after_repeated_sigkills) {
  kill_repeatedly_then_check(2, 20240606, true);
}

BOOST_AUTO_TEST_CASE(wordcount_into_part_files_at_parallelism_4_and_1024_key_groups_outputs_each_count_exactly_once_after_repeated_sigkills) {
  kill_repeatedly_then_check(4, 20240607, true, 1024, 150'000);
}

BOOST_AUTO_TEST_CASE(a_finished_job_changing_parallelism_adds_nothing) {
  wordcount_job job{20240603, 30'000};
  auto [first, t1] = job.run("job", 1);
  BOOST_REQUIRE_MESSAGE(first.exited_with(0),
                        "run at parallelism 1: " << first.describe() << ": "
                                                 << tail_of(job.last_stderr));
  auto output = slurp(job.output("job"));
  BOOST_REQUIRE_EQUAL(check_output(output, job.reference), "");
  auto [second, t2] = job.run("job", 4);
  BOOST_REQUIRE_MESSAGE(second.exited_with(0),
                        "rerun at parallelism 4: " << second.describe() << ": "
                                                   << tail_of(job.last_stderr));
  BOOST_CHECK_MESSAGE(slurp(job.output("job")) == output,
                      "the rerun at parallelism 4 changed the output");
}

// State lives per key group, so a job killed at one parallelism resumes at
// another: kills at parallelism 1, completion at parallelism 4.
BOOST_AUTO_TEST_CASE(a_job_killed_at_parallelism_1_completes_at_parallelism_4) {
  wordcount_job job{20240605, 100'000};
  auto [clean, t_full] = job.run("clean", 1);
  BOOST_REQUIRE_MESSAGE(clean.exited_with(0),
                        "uninterrupted run: " << clean.describe() << ": "
                                              << tail_of(job.last_stderr));
  random_source rnd{20240605};
  int hits = 0;
  for (int i = 0; i < 5; ++i) {
    auto delay = std::chrono::duration_cast<clock_type::duration>(
      std::chrono::duration<double, std::milli>(20.0 + rnd.unit() * ms(t_full) / 2));
    auto p = job.start("job", 1);
    auto ended = p->wait_for(delay);
    auto st = ended ? *ended : p->kill();
    BOOST_REQUIRE_MESSAGE(st.killed() || st.exited_with(0),
                          "run " << job.runs << ": " << st.describe() << ": "
                                 << tail_of(job.last_stderr));
    hits += st.killed() ? 1 : 0;
  }
  BOOST_TEST_MESSAGE(hits << " kills at parallelism 1");
  complete_and_check(job, "job", 4);
}

// A kill while the state directory is being created (journal.db exists, its
// meta keys 'job', 'max_key_groups', 'shape' are not all durable yet) must
// leave a directory the rerun still takes as fresh. Before 5e13d67 the rerun
// refused it for good: "state directory '...' is corrupt: its journal has no
// 'job'". The random kills above start at 20 ms and rarely land in this
// window; here the kill comes as soon as the journal's files appear.
BOOST_AUTO_TEST_CASE(a_job_killed_while_creating_its_state_dir_resumes) {
  wordcount_job job{20240604, 3'000};
  for (int i = 1; i <= 4; ++i) {
    auto name = "early-" + std::to_string(i);
    auto file = job.dir / (name + ".state") / (i % 2 ? "journal.db" : "journal.db-wal");
    auto p = job.start(name, 1);
    // Spin rather than sleep: the window is a few fsyncs long.
    std::error_code ec;
    while (!fs::exists(file, ec) && !p->wait_for(0ms)) {
    }
    auto st = p->kill();
    BOOST_TEST_MESSAGE(name << ": " << st.describe() << " once " << file.filename() << " existed");
    complete_and_check(job, name, 1);
  }
}

BOOST_AUTO_TEST_SUITE_END()
