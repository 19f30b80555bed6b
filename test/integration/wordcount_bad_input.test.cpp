// Runs the wordcount sample on bad input and bad options: each must be
// refused with exit code 2 and exactly one stderr line that names what is
// wrong, leaving any existing state and output byte for byte as it was.

#include "process.hpp"

#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using eddy::test::exit_status;
using eddy::test::lines_of;
using eddy::test::ms;
using eddy::test::passing;
using eddy::test::process;
using eddy::test::size_of;
using eddy::test::slurp;
using eddy::test::tail_of;
using eddy::test::temp_dir;

namespace {

const std::string wordcount_binary = EDDY_WORDCOUNT_BINARY;

/// What a run of wordcount left behind.
struct outcome {
  exit_status status;
  std::string out;
  std::string err;
};

/// Everything under `p`, by path relative to it: file contents, and "<dir>"
/// for directories. A regular file `p` itself has the key "". Missing: empty.
std::map<std::string, std::string> contents_of(const fs::path& p) {
  std::map<std::string, std::string> result;
  std::error_code ec;
  if (fs::is_regular_file(p, ec)) {
    result[""] = slurp(p);
    return result;
  }
  if (!fs::is_directory(p, ec))
    return result;
  for (auto it = fs::recursive_directory_iterator{p, ec}; !ec && it != fs::end(it);
       it.increment(ec)) {
    auto rel = fs::relative(it->path(), p).string();
    result[rel] = it->is_directory() ? std::string{"<dir>"} : slurp(it->path());
  }
  return result;
}

/// The names in `a` and `b` whose contents differ, for failure messages.
std::string differences(const std::map<std::string, std::string>& a,
                        const std::map<std::string, std::string>& b) {
  std::string result;
  for (auto& [name, content] : a) {
    auto i = b.find(name);
    if (i == b.end())
      result += " '" + name + "' was removed;";
    else if (i->second != content)
      result += " '" + name + "' changed (" + std::to_string(content.size()) + " -> "
                + std::to_string(i->second.size()) + " bytes);";
  }
  for (auto& [name, content] : b)
    if (!a.count(name))
      result += " '" + name + "' appeared;";
  return result;
}


/// A temp directory with a small input; runs wordcount in it.
struct fixture {
  temp_dir dir{"eddy-wordcount-bad-input"};
  fs::path input = dir / "input.txt";
  fs::path output = dir / "counts.txt";
  fs::path state = dir / "state";
  int runs = 0;

  fixture() {
    std::ofstream{input} << "The quick brown fox\n\njumps over the lazy dog's back.\nTHE END\n";
  }

  ~fixture() {
    dir.keep(!passing());
    if (!passing())
      BOOST_TEST_MESSAGE("kept " << dir.path() << " for inspection");
  }

  /// The usual arguments with `extra` appended.
  std::vector<std::string> args(std::initializer_list<std::string> extra = {}) const {
    std::vector<std::string> result{"--input", input.string(), "--output", output.string(),
                                    "--state-dir", state.string()};
    result.insert(result.end(), extra);
    return result;
  }

  /// Runs wordcount with exactly `arguments`.
  outcome run(const std::vector<std::string>& arguments) {
    std::vector<std::string> argv{wordcount_binary};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    auto base = dir / ("run-" + std::to_string(++runs));
    auto out = base.string() + ".stdout";
    auto err = base.string() + ".stderr";
    auto status = eddy::test::run(argv, out, err, 60s);
    return {status, slurp(out), slurp(err)};
  }

  /// Runs the job with `args(extra)` to completion, so that `state` and
  /// `output` hold a finished job.
  void complete(std::initializer_list<std::string> extra = {}) {
    auto r = run(args(extra));
    BOOST_REQUIRE_MESSAGE(r.status.exited_with(0),
                          "the job did not complete: " << r.status.describe() << ": " << r.err);
  }
};

/// Checks that `r` is a refusal: exit code 2, nothing on stdout, and exactly
/// one line on stderr, "wordcount: error: ...", that contains every one of `names`.
void check_refused(const outcome& r, std::initializer_list<std::string> names) {
  BOOST_TEST(r.status.describe() == "exit 2");
  BOOST_TEST(r.out == "");
  auto lines = lines_of(r.err);
  auto shown = r.err.size() <= 1500 ? r.err : r.err.substr(0, 1500) + "...";
  BOOST_TEST(lines.size() == 1u, "stderr should be one line, got " << lines.size() << ":\n"
                                                                   << shown);
  if (lines.empty())
    return;
  auto& last = lines.back();
  BOOST_TEST(last.rfind("wordcount: error: ", 0) == 0, "not an error line: " << last);
  for (auto& name : names)
    BOOST_TEST(last.find(name) != std::string::npos,
               "'" << last << "' does not name '" << name << "'");
}

/// Runs `arguments`, expects a refusal naming `names`, and checks that the
/// fixture's state directory and output are unchanged.
void check_refused_untouched(fixture& f, const std::vector<std::string>& arguments,
                             std::initializer_list<std::string> names) {
  auto state_before = contents_of(f.state);
  auto output_before = contents_of(f.output);
  check_refused(f.run(arguments), names);
  auto state_after = contents_of(f.state);
  BOOST_TEST(state_after == state_before,
             "the state directory changed:" << differences(state_before, state_after));
  auto output_after = contents_of(f.output);
  BOOST_TEST(output_after == output_before,
             "the output changed:" << differences(output_before, output_after));
}

/// `words` words of a plain text, for jobs that must run a while.
std::string long_text(size_t words) {
  std::mt19937_64 gen{42};
  std::string text;
  for (size_t i = 0; i < words; ++i) {
    text += "w" + std::to_string(gen() % 2000);
    text += (i % 12 == 11) ? '\n' : ' ';
  }
  return text + "\n";
}

} // namespace

BOOST_AUTO_TEST_SUITE(wordcount_bad_input)

// -- files ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_missing_input_file_is_refused) {
  fixture f;
  f.complete();
  auto missing = (f.dir / "no-such-input.txt").string();
  check_refused_untouched(f, {"--input", missing, "--output", f.output.string(), "--state-dir",
                              f.state.string()},
                          {missing});
  BOOST_TEST(!fs::exists(missing));
}

BOOST_AUTO_TEST_CASE(an_output_in_a_missing_directory_is_refused) {
  fixture f;
  f.complete();
  auto output = (f.dir / "no-such-dir" / "counts.txt").string();
  check_refused_untouched(f, {"--input", f.input.string(), "--output", output, "--state-dir",
                              f.state.string()},
                          {output});
  BOOST_TEST(!fs::exists(f.dir / "no-such-dir"));
}

BOOST_AUTO_TEST_CASE(an_output_path_that_is_a_directory_is_refused) {
  fixture f;
  f.complete();
  auto output = f.dir / "a-directory";
  fs::create_directory(output);
  std::ofstream{output / "keep.txt"} << "not to be touched\n";
  auto before = contents_of(output);
  check_refused_untouched(f, {"--input", f.input.string(), "--output", output.string(),
                              "--state-dir", f.state.string()},
                          {output.string()});
  BOOST_TEST(contents_of(output) == before);
}

// -- state directories ---------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_state_dir_that_is_a_regular_file_is_refused) {
  fixture f;
  std::ofstream{f.state} << "I am a file, not a directory\n";
  check_refused_untouched(f, f.args(), {f.state.string()});
  BOOST_TEST(!fs::exists(f.output));
}

BOOST_AUTO_TEST_CASE(a_state_dir_that_is_not_eddys_is_refused) {
  fixture f;
  fs::create_directories(f.state / "photos");
  std::ofstream{f.state / "notes.txt"} << "my notes\n";
  std::ofstream{f.state / "photos" / "cat.jpg", std::ios::binary} << std::string("\xff\xd8\xff", 3);
  check_refused_untouched(f, f.args(), {f.state.string()});
  BOOST_TEST(!fs::exists(f.state / "journal.db"));
  BOOST_TEST(!fs::exists(f.output));
}

BOOST_AUTO_TEST_CASE(a_journal_of_garbage_bytes_is_refused) {
  fixture f;
  fs::create_directory(f.state);
  std::mt19937_64 gen{7};
  std::string garbage;
  for (int i = 0; i < 16384; ++i)
    garbage.push_back(static_cast<char>(gen() & 0xff));
  std::ofstream{f.state / "journal.db", std::ios::binary} << garbage;
  check_refused_untouched(f, f.args(), {f.state.string()});
  BOOST_TEST(!fs::exists(f.output));
}

BOOST_AUTO_TEST_CASE(a_journal_with_a_garbage_header_is_refused) {
  fixture f;
  f.complete();
  {
    std::fstream db{f.state / "journal.db", std::ios::binary | std::ios::in | std::ios::out};
    db.seekp(16);
    db << std::string(64, '\x5a');
  }
  check_refused_untouched(f, f.args(), {f.state.string()});
}

// A journal whose SQLite header is intact but one of whose pages is garbage
// is refused before anything is written (open_state_dir verifies every page
// of an existing journal with PRAGMA quick_check). Without that, partitions
// failed mid-run with "database disk image is malformed" after the job had
// written to the corrupt journal. Each page of a small finished job's
// journal is garbled in turn.
BOOST_AUTO_TEST_CASE(a_journal_with_a_garbage_page_is_refused) {
  fixture f;
  f.complete();
  auto db_file = f.state / "journal.db";
  const auto journal = slurp(db_file);
  const auto output = slurp(f.output);
  const size_t page = 4096;
  BOOST_REQUIRE_GE(journal.size(), 4 * page);
  std::mt19937_64 gen{11};
  for (size_t from = page; from < journal.size(); from += page) {
    BOOST_TEST_CONTEXT("garbage in page " << from / page + 1 << " of " << journal.size() / page) {
      auto garbled = journal;
      for (auto i = from; i < from + page && i < garbled.size(); ++i)
        garbled[i] = static_cast<char>(gen() & 0xff);
      std::ofstream{db_file, std::ios::binary | std::ios::trunc} << garbled;
      std::ofstream{f.output, std::ios::binary | std::ios::trunc} << output;
      check_refused_untouched(f, f.args(), {f.state.string()});
    }
  }
}

BOOST_AUTO_TEST_CASE(a_state_dir_of_another_job_setting_is_refused) {
  fixture f;
  f.complete({"--max-key-groups", "64"});
  check_refused_untouched(f, f.args({"--max-key-groups", "128"}),
                          {f.state.string(), "--max-key-groups"});
  // Without the option it is the default 128, refused just the same.
  check_refused_untouched(f, f.args(), {f.state.string(), "--max-key-groups"});
  // With the right setting the finished job is fine and adds nothing.
  auto output = slurp(f.output);
  f.complete({"--max-key-groups", "64"});
  BOOST_TEST(slurp(f.output) == output);
}

// Refusing a state directory after opening its journal leaves it byte for
// byte as it was: a connection that wrote nothing does not checkpoint its WAL
// on close (it used to fold journal.db-wal into journal.db and delete it). A
// finished job leaves no WAL, so this shows only for a job that was killed.
BOOST_AUTO_TEST_CASE(a_refused_state_dir_of_a_killed_job_is_left_byte_for_byte) {
  fixture f;
  std::ofstream{f.input, std::ios::trunc} << long_text(200'000);
  {
    // Kill it once its journal has a write-ahead log with entries in it
    // (not just the journal's creation: see wordcount_kill).
    process p{[&] {
                std::vector<std::string> argv{wordcount_binary};
                for (auto& a : f.args())
                  argv.push_back(a);
                return argv;
              }(),
              f.dir / "killed.stdout", f.dir / "killed.stderr"};
    auto wal = f.state / "journal.db-wal";
    std::error_code ec;
    while (!(fs::exists(wal, ec) && fs::file_size(wal, ec) > 64 * 1024)) {
      auto ended = p.wait_for(1ms);
      BOOST_REQUIRE_MESSAGE(!ended, "the job ended before it could be killed: "
                                      << ended->describe() << ": "
                                      << tail_of(f.dir / "killed.stderr"));
    }
    BOOST_REQUIRE(p.kill().killed());
  }
  check_refused_untouched(f, f.args({"--max-key-groups", "64"}),
                          {f.state.string(), "--max-key-groups"});
}

BOOST_AUTO_TEST_CASE(a_state_dir_in_use_by_a_running_job_is_refused) {
  fixture f;
  const size_t words = 200'000;
  std::ofstream{f.input, std::ios::trunc} << long_text(words);
  std::vector<std::string> argv{wordcount_binary};
  for (auto& a : f.args())
    argv.push_back(a);
  process first{argv, f.dir / "first.stdout", f.dir / "first.stderr"};
  auto wal = f.state / "journal.db-wal";
  std::error_code ec;
  while (!(fs::exists(wal, ec) && fs::file_size(wal, ec) > 64 * 1024)) {
    auto ended = first.wait_for(1ms);
    BOOST_REQUIRE_MESSAGE(!ended, "the first run ended too soon: " << ended->describe());
  }
  // The very same command again, output file included, while the first runs.
  check_refused(f.run(f.args()), {f.state.string()});
  auto st = first.wait(120s);
  BOOST_REQUIRE_MESSAGE(st.exited_with(0), "the first run: " << st.describe() << ": "
                                                             << tail_of(f.dir / "first.stderr"));
  // Its output is whole: "w<TAB>k" with k counting up per word, one line per word.
  std::map<std::string, int64_t> seen;
  auto lines = lines_of(slurp(f.output));
  BOOST_TEST(lines.size() == words);
  for (auto& line : lines) {
    auto tab = line.find('\t');
    BOOST_REQUIRE_MESSAGE(tab != std::string::npos, "bad line '" << line << "'");
    auto& n = seen[line.substr(0, tab)];
    BOOST_REQUIRE_MESSAGE(line.substr(tab + 1) == std::to_string(++n), "bad line '" << line << "'");
  }
}

// -- options -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(parallelism_0_is_refused) {
  fixture f;
  f.complete();
  check_refused_untouched(f, f.args({"--parallelism", "0"}), {"--parallelism", "0"});
}

BOOST_AUTO_TEST_CASE(parallelism_above_max_key_groups_is_refused) {
  fixture f;
  f.complete({"--max-key-groups", "64"});
  check_refused_untouched(f, f.args({"--max-key-groups", "64", "--parallelism", "65"}),
                          {"--parallelism", "65"});
  check_refused_untouched(f, f.args({"--parallelism", "129"}), {"--parallelism", "129"});
}

BOOST_AUTO_TEST_CASE(max_key_groups_0_is_refused) {
  fixture f;
  f.complete();
  check_refused_untouched(f, f.args({"--max-key-groups", "0"}), {"--max-key-groups", "0"});
}

BOOST_AUTO_TEST_CASE(max_key_groups_above_32768_is_refused) {
  fixture f;
  f.complete();
  for (auto m : {"40000", "32769", "99999"}) {
    BOOST_TEST_CONTEXT("--max-key-groups " << m) {
      check_refused_untouched(f, f.args({"--max-key-groups", m}), {"--max-key-groups", m});
    }
  }
}

BOOST_AUTO_TEST_CASE(non_numeric_parallelism_is_refused) {
  fixture f;
  f.complete();
  for (auto p : {"four", "4x", "2.5", "0x4", " 4"}) {
    BOOST_TEST_CONTEXT("--parallelism '" << p << "'") {
      check_refused_untouched(f, f.args({"--parallelism", p}), {"--parallelism", p});
    }
  }
}

// An empty value of a numeric option (say from an unset shell variable) is
// refused like any other value that is not a whole number, not taken as
// "not given".
BOOST_AUTO_TEST_CASE(an_empty_parallelism_is_refused) {
  fixture f;
  check_refused_untouched(f, f.args({"--parallelism", ""}), {"--parallelism"});
  BOOST_TEST(!fs::exists(f.state));
  BOOST_TEST(!fs::exists(f.output));
}

BOOST_AUTO_TEST_CASE(a_missing_state_dir_option_is_refused) {
  fixture f;
  check_refused(f.run({"--input", f.input.string(), "--output", f.output.string()}),
                {"--state-dir"});
  BOOST_TEST(!fs::exists(f.output));
}

BOOST_AUTO_TEST_CASE(an_unknown_option_is_refused) {
  fixture f;
  f.complete();
  check_refused_untouched(f, f.args({"--frobnicate", "3"}), {"--frobnicate"});
}

BOOST_AUTO_TEST_CASE(an_option_without_a_value_is_refused) {
  fixture f;
  f.complete();
  check_refused_untouched(f, f.args({"--parallelism"}), {"--parallelism"});
}

BOOST_AUTO_TEST_SUITE_END()
