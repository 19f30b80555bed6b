#include "eddy/connectors/file/lines_out.hpp"

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace fs = std::filesystem;
using eddy::errc;
using eddy::sink;
using eddy::connectors::file::lines_out;

namespace {

struct point {
  int x;
  int y;
};

std::string format_point(const point& p) {
  return std::to_string(p.x) + "," + std::to_string(p.y);
}

const char* format_bool(bool b) noexcept {
  return b ? "yes" : "no";
}

} // namespace

// T is deduced from the single parameter of `format`, or given explicitly.
static_assert(std::is_same_v<decltype(lines_out(fs::path{}, format_point)),
                             std::unique_ptr<sink<point>>>);
static_assert(std::is_same_v<decltype(lines_out(fs::path{}, &format_bool)),
                             std::unique_ptr<sink<bool>>>);
static_assert(std::is_same_v<decltype(lines_out(fs::path{}, [](int i) { return std::to_string(i); })),
                             std::unique_ptr<sink<int>>>);
static_assert(std::is_same_v<decltype(lines_out(fs::path{},
                                                [n = 1](const std::string& s) mutable {
                                                  return s + std::to_string(n++);
                                                })),
                             std::unique_ptr<sink<std::string>>>);
// A generic lambda names no parameter type, so T must be given; a format
// must return text.
template <class F>
concept deduces_value_type = requires(F format) { lines_out(fs::path{}, format); };
template <class T, class F>
concept formats = requires(F format) { lines_out<T>(fs::path{}, format); };
inline auto generic_format = [](const auto& s) { return s; };
inline auto int_format = [](int) { return 42; };
static_assert(!deduces_value_type<decltype(generic_format)>);
static_assert(formats<std::string, decltype(generic_format)>);
static_assert(!formats<int, decltype(int_format)>);
static_assert(!deduces_value_type<decltype(int_format)>);
static_assert(std::is_same_v<decltype(lines_out<std::string>(fs::path{},
                                                             [](const auto& s) { return s; })),
                             std::unique_ptr<sink<std::string>>>);

namespace {

/// A fresh directory under the system temp directory, removed afterwards.
struct temp_dir {
  fs::path path;

  temp_dir() {
    auto pattern = (fs::temp_directory_path() / "eddy-line-sink-XXXXXX").string();
    BOOST_REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string slurp(const fs::path& file) {
  std::ifstream in{file, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

void append_raw(const fs::path& file, const std::string& bytes) {
  std::ofstream out{file, std::ios::binary | std::ios::app};
  out << bytes;
  BOOST_REQUIRE(out.good());
}

/// The error of a sink's open(), none on success.
eddy::error open_error(const eddy::expected<std::optional<eddy::sink_marks>>& opened) {
  return opened ? eddy::error{} : opened.error();
}

auto string_lines(const fs::path& file) {
  return lines_out(file, [](const std::string& s) -> const std::string& { return s; });
}

/// Commits and returns the position, failing the test on error.
std::string commit(sink<std::string>& out) {
  auto pos = out.commit({});
  if (!pos)
    BOOST_FAIL(pos.error().message());
  return *pos;
}

} // namespace

BOOST_AUTO_TEST_SUITE(line_sink)

BOOST_AUTO_TEST_CASE(commit_returns_the_committed_length) {
  temp_dir dir;
  auto file = dir.path / "out.txt";
  auto out = string_lines(file);
  BOOST_TEST(out->name() == "file:" + file.string());
  BOOST_REQUIRE(!out->check());
  BOOST_REQUIRE(!open_error(out->open("")));
  BOOST_TEST(commit(*out) == "0");
  BOOST_REQUIRE(!out->write("alpha"));
  BOOST_REQUIRE(!out->write(""));
  BOOST_REQUIRE(!out->write("beta"));
  BOOST_TEST(commit(*out) == "12");
  BOOST_TEST(commit(*out) == "12");
  BOOST_REQUIRE(!out->write("gamma"));
  BOOST_TEST(commit(*out) == "18");
  BOOST_TEST(slurp(file) == "alpha\n\nbeta\ngamma\n");
}

BOOST_AUTO_TEST_CASE(writes_format_of_each_value_as_one_line) {
  temp_dir dir;
  auto points = lines_out(dir.path / "points.txt", format_point);
  BOOST_REQUIRE(!open_error(points->open("")));
  BOOST_REQUIRE(!points->write(point{1, 2}));
  BOOST_REQUIRE(!points->write(point{-3, 40}));
  BOOST_TEST(*points->commit({}) == "10");
  BOOST_TEST(slurp(dir.path / "points.txt") == "1,2\n-3,40\n");

  auto bools = lines_out(dir.path / "bools.txt", &format_bool);
  BOOST_REQUIRE(!open_error(bools->open("")));
  BOOST_REQUIRE(!bools->write(true));
  BOOST_REQUIRE(!bools->write(false));
  BOOST_REQUIRE(bools->commit({}));
  BOOST_TEST(slurp(dir.path / "bools.txt") == "yes\nno\n");

  auto views = lines_out<int>(dir.path / "views.txt",
                              [](int i) { return std::string_view{i % 2 ? "odd" : "even"}; });
  BOOST_REQUIRE(!open_error(views->open("")));
  for (int i = 0; i < 3; ++i)
    BOOST_REQUIRE(!views->write(i));
  BOOST_REQUIRE(views->commit({}));
  BOOST_TEST(slurp(dir.path / "views.txt") == "even\nodd\neven\n");
}

BOOST_AUTO_TEST_CASE(a_fresh_open_creates_a_missing_file_and_empties_an_existing_one) {
  temp_dir dir;
  auto file = dir.path / "out.txt";
  {
    auto out = string_lines(file);
    BOOST_REQUIRE(!open_error(out->open("")));
    BOOST_TEST(fs::exists(file));
    BOOST_TEST(fs::file_size(file) == 0u);
  }
  append_raw(file, "left over from an earlier job\n");
  auto out = string_lines(file);
  BOOST_REQUIRE(!open_error(out->open("")));
  BOOST_TEST(fs::file_size(file) == 0u);
  BOOST_REQUIRE(!out->write("new"));
  BOOST_TEST(commit(*out) == "4");
  BOOST_TEST(slurp(file) == "new\n");
}

BOOST_AUTO_TEST_CASE(reopening_at_a_committed_position_discards_the_uncommitted_tail) {
  temp_dir dir;
  auto file = dir.path / "out.txt";
  std::string committed;
  {
    auto out = string_lines(file);
    BOOST_REQUIRE(!open_error(out->open("")));
    BOOST_REQUIRE(!out->write("one"));
    BOOST_REQUIRE(!out->write("two"));
    committed = commit(*out);
    // A commit whose position the runtime never recorded, then a half line.
    BOOST_REQUIRE(!out->write("three"));
    BOOST_REQUIRE(commit(*out) == "14");
  }
  append_raw(file, "fou");
  auto out = string_lines(file);
  BOOST_REQUIRE(!open_error(out->open(committed)));
  BOOST_TEST(slurp(file) == "one\ntwo\n");
  BOOST_REQUIRE(!out->write("3"));
  BOOST_TEST(commit(*out) == "10");
  BOOST_TEST(slurp(file) == "one\ntwo\n3\n");
}

BOOST_AUTO_TEST_CASE(uncommitted_writes_larger_than_the_buffer_are_discarded_on_reopen) {
  temp_dir dir;
  auto file = dir.path / "out.txt";
  auto out = string_lines(file);
  BOOST_REQUIRE(!open_error(out->open("")));
  BOOST_REQUIRE(!out->write("kept"));
  auto committed = commit(*out);
  std::string line(1000, 'x');
  for (int i = 0; i < 3000; ++i) // ~3 MB: written to the file, never committed
    BOOST_REQUIRE(!out->write(line));
  BOOST_TEST(fs::file_size(file) > 2'000'000u);
  auto again = string_lines(file);
  BOOST_REQUIRE(!open_error(again->open(committed)));
  BOOST_TEST(slurp(file) == "kept\n");
}

BOOST_AUTO_TEST_CASE(open_rejects_positions_the_file_does_not_match) {
  temp_dir dir;
  auto file = dir.path / "out.txt";
  auto missing = open_error(string_lines(file)->open("5"));
  BOOST_TEST((missing.code() == errc::corrupt));
  BOOST_TEST(missing.message().find(file.string()) != std::string::npos, missing.message());
  BOOST_TEST(!fs::exists(file));
  append_raw(file, "abc\n");
  for (auto bad : {"5", "x", "-1", "4 ", "0x1"}) {
    BOOST_TEST_CONTEXT("position '" << bad << "'") {
      auto err = open_error(string_lines(file)->open(bad));
      BOOST_TEST((err.code() == errc::corrupt));
      BOOST_TEST(err.message().find(file.string()) != std::string::npos, err.message());
      BOOST_TEST(slurp(file) == "abc\n");
    }
  }
  BOOST_TEST(!open_error(string_lines(file)->open("4")));
  BOOST_TEST(slurp(file) == "abc\n");
}

BOOST_AUTO_TEST_CASE(check_rejects_a_file_in_a_missing_directory) {
  temp_dir dir;
  auto file = dir.path / "no-such-dir" / "out.txt";
  auto out = string_lines(file);
  auto err = out->check();
  BOOST_TEST((err.code() == errc::invalid_argument));
  BOOST_TEST(err.message().starts_with("output file '" + file.string() + "' is not writable"),
             err.message());
  BOOST_TEST(static_cast<bool>(open_error(out->open(""))));
}

BOOST_AUTO_TEST_CASE(check_rejects_a_directory_as_the_file) {
  temp_dir dir;
  auto out = string_lines(dir.path);
  auto err = out->check();
  BOOST_TEST((err.code() == errc::invalid_argument));
  BOOST_TEST(err.message() == "output file '" + dir.path.string() + "' is not a regular file");
  BOOST_TEST(static_cast<bool>(open_error(out->open(""))));
  BOOST_TEST(fs::is_directory(dir.path));
}

BOOST_AUTO_TEST_CASE(check_rejects_a_file_below_a_regular_file) {
  temp_dir dir;
  append_raw(dir.path / "plain", "");
  auto file = dir.path / "plain" / "out.txt";
  auto err = string_lines(file)->check();
  BOOST_TEST((err.code() == errc::invalid_argument));
  BOOST_TEST(err.message().starts_with("output file '" + file.string() + "' is not writable"),
             err.message());
}

BOOST_AUTO_TEST_CASE(check_rejects_a_read_only_file_unless_root) {
  temp_dir dir;
  auto file = dir.path / "ro.txt";
  append_raw(file, "");
  fs::permissions(file, fs::perms::owner_read);
  auto err = string_lines(file)->check();
  if (::geteuid() == 0) {
    BOOST_TEST_MESSAGE("running as root: a read-only file is writable");
    BOOST_TEST(!err);
    return;
  }
  BOOST_TEST((err.code() == errc::invalid_argument));
  BOOST_TEST(err.message() == "output file '" + file.string() + "' is not writable");
}

BOOST_AUTO_TEST_CASE(write_before_open_fails) {
  temp_dir dir;
  auto out = string_lines(dir.path / "out.txt");
  BOOST_TEST(!out->commit({}));
}

namespace {

/// The line the crash test's writer number `writer` writes for number `n`:
/// the number, the writer (to tell stale bytes from fresh ones) and a padding
/// of varying length, so that lines differ in size.
std::string numbered_line(uint64_t n, int writer) {
  return std::to_string(n) + " " + std::to_string(writer) + " "
         + std::string(n * 7 % 61, static_cast<char>('a' + n % 26));
}

/// The number at the start of `line`, or -1.
int64_t number_of(std::string_view line) {
  int64_t n = -1;
  std::from_chars(line.data(), line.data() + line.size(), n);
  return n;
}

/// The crash test's child: opens the sink at `position` and reports "open"
/// through `report`; then, from `next` on, writes batches of numbered lines,
/// commits each and reports the position after commit() returned. Runs until killed; exits with a code naming what failed.
[[noreturn]] void write_numbers(const fs::path& file, const std::string& position,
                                uint64_t next, int writer, int report, unsigned seed) {
  try {
    auto out = lines_out(file, [writer](const uint64_t& n) { return numbered_line(n, writer); });
    if (open_error(out->open(position)))
      ::_exit(3);
    if (::write(report, "open\n", 5) != 5)
      ::_exit(6);
    std::mt19937 rng{seed};
    // Mostly small batches (many commits), some large enough that the sink
    // writes to the file before commit() (uncommitted tails to discard).
    std::uniform_int_distribution<int> small_batch{1, 2'000};
    std::uniform_int_distribution<int> large_batch{20'000, 60'000};
    for (;;) {
      auto batch = rng() % 5 == 0 ? large_batch(rng) : small_batch(rng);
      for (auto i = batch; i > 0; --i)
        if (out->write(next++))
          ::_exit(4);
      auto pos = out->commit({});
      if (!pos)
        ::_exit(5);
      auto msg = *pos + "\n";
      if (::write(report, msg.data(), msg.size()) != static_cast<ssize_t>(msg.size()))
        ::_exit(6);
    }
  } catch (...) {
    ::_exit(7);
  }
}

/// Checks that the first `length` bytes of `content` are the numbered lines
/// from 0 on, each complete, and returns how many there are.
uint64_t count_numbered_lines(const std::string& content, uint64_t length) {
  BOOST_REQUIRE(content.size() >= length);
  uint64_t n = 0;
  size_t at = 0;
  std::string_view all{content};
  while (at < length) {
    auto nl = content.find('\n', at);
    BOOST_REQUIRE_MESSAGE(nl != std::string::npos && nl < length,
                          "partial line at byte " << at);
    auto line = all.substr(at, nl - at);
    auto writer = line.substr(line.find(' ') + 1);
    if (number_of(line) != static_cast<int64_t>(n)
        || line != numbered_line(n, static_cast<int>(number_of(writer))))
      BOOST_FAIL("line " << n << " at byte " << at << " is '" << line << "'");
    at = nl + 1;
    ++n;
  }
  return n;
}

/// Checks that what follows the committed `length` bytes was all written by
/// `writer` from number `next` on, so that open() truncated every older tail;
/// the last line may be partial.
void check_tail(const std::string& content, uint64_t length, uint64_t next, int writer) {
  std::string expected;
  for (auto n = next; expected.size() < content.size() - length; ++n)
    expected += numbered_line(n, writer) + "\n";
  auto tail = std::string_view{content}.substr(length);
  if (!std::string_view{expected}.starts_with(tail)) {
    size_t at = 0;
    while (tail[at] == expected[at])
      ++at;
    BOOST_FAIL("byte " << length + at << " after the commit was not written by writer "
                       << writer << ": '" << tail.substr(at, 60) << "'");
  }
}

} // namespace

BOOST_AUTO_TEST_CASE(every_line_survives_sigkill_exactly_once) {
  temp_dir dir;
  auto file = dir.path / "numbers.txt";
  auto seed = std::random_device{}();
  BOOST_TEST_MESSAGE("crash test seed " << seed);
  std::mt19937 rng{seed};
  std::uniform_int_distribution<int> delay_ms{0, 40};
  std::string position; // the last position a child reported
  uint64_t next = 0;    // the next number to write
  int rounds_with_tail = 0;
  constexpr int rounds = 14;
  for (int round = 0; round < rounds; ++round) {
    int fds[2];
    BOOST_REQUIRE(::pipe(fds) == 0);
    auto child_seed = static_cast<unsigned>(rng());
    auto pid = ::fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      write_numbers(file, position, next, round, fds[1], child_seed);
    }
    ::close(fds[1]);
    // Kill after a random delay; in odd rounds only once the child has
    // reported at least one commit, so that the test surely makes progress.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds{delay_ms(rng)};
    auto must_report = round % 2 == 1;
    std::string reports;
    auto read_reports = [&](int timeout_ms) {
      pollfd pfd{fds[0], POLLIN, 0};
      if (::poll(&pfd, 1, timeout_ms) > 0) {
        char buf[4096];
        auto n = ::read(fds[0], buf, sizeof buf);
        if (n > 0)
          reports.append(buf, static_cast<size_t>(n));
        return n != 0;
      }
      return true;
    };
    auto hard_limit = std::chrono::steady_clock::now() + std::chrono::seconds{60};
    for (;;) {
      auto now = std::chrono::steady_clock::now();
      auto reported = reports.find('\n') != std::string::npos;
      if (now >= hard_limit)
        break;
      if (now >= deadline && (!must_report || reported))
        break;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
      if (!read_reports(static_cast<int>(std::clamp<long long>(left, 1, 10))))
        break; // the child closed the pipe: it exited
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    BOOST_REQUIRE(::waitpid(pid, &status, 0) == pid);
    BOOST_REQUIRE_MESSAGE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                          "the writer exited by itself with status " << status);
    while (read_reports(-1)) {
      // Drain what the child reported before it died, up to end of file.
    }
    ::close(fds[0]);
    // Only complete reports count; positions only grow.
    auto opened = false;
    for (size_t at = 0, nl; (nl = reports.find('\n', at)) != std::string::npos; at = nl + 1) {
      auto report = reports.substr(at, nl - at);
      if (report == "open") {
        opened = true;
        continue;
      }
      BOOST_REQUIRE(opened);
      BOOST_REQUIRE(std::stoull(report) >= (position.empty() ? 0 : std::stoull(position)));
      position = report;
    }
    auto content = slurp(file);
    auto length = position.empty() ? 0 : std::stoull(position);
    if (content.size() > length)
      ++rounds_with_tail;
    auto committed_lines = count_numbered_lines(content, length);
    BOOST_REQUIRE(committed_lines >= next);
    // A writer killed before its open() finished may have left an older tail.
    if (opened)
      check_tail(content, length, committed_lines, round);
    next = committed_lines;
    BOOST_TEST_MESSAGE("round " << round << ": committed " << next << " lines (" << length
                                << " bytes), " << content.size() - length
                                << " bytes after the commit");
  }
  BOOST_TEST(next > 0u);
  // Recover once more, as the runtime would, and check the whole file.
  auto out = lines_out(file, [](const uint64_t& n) { return numbered_line(n, rounds); });
  BOOST_REQUIRE(!open_error(out->open(position)));
  auto final_position = out->commit({});
  BOOST_REQUIRE(final_position);
  BOOST_TEST(*final_position == (position.empty() ? "0" : position));
  auto content = slurp(file);
  BOOST_TEST(content.size() == (position.empty() ? 0 : std::stoull(position)));
  BOOST_TEST(count_numbered_lines(content, content.size()) == next);
  BOOST_TEST_MESSAGE(rounds_with_tail << " of " << rounds
                                      << " kills left an uncommitted tail to discard");
}

BOOST_AUTO_TEST_SUITE_END()
