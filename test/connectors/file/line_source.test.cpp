#include "eddy/connectors/file/lines.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <type_traits>
#include <vector>

namespace fs = std::filesystem;
using eddy::errc;
using eddy::connectors::file::lines;

static_assert(std::is_same_v<decltype(lines(fs::path{})),
                             std::unique_ptr<eddy::source<std::string_view>>>);

namespace {

constexpr size_t block = size_t{1} << 20; // the source's read size

/// A fresh directory under the system temp directory, removed afterwards.
struct temp_dir {
  fs::path path;

  temp_dir() {
    auto pattern = (fs::temp_directory_path() / "eddy-line-source-XXXXXX").string();
    BOOST_REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path write(const std::string& name, const std::string& content) const {
    auto file = path / name;
    std::ofstream out{file, std::ios::binary};
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    BOOST_REQUIRE(out.good());
    return file;
  }
};

/// Opens `file` at `position` and reads it to the end, `max` lines per read().
std::vector<std::string> read_all(const fs::path& file, std::string_view position = {},
                                  size_t max = 1000) {
  auto src = lines(file);
  auto err = src->open(position);
  BOOST_REQUIRE_MESSAGE(!err, err.message());
  std::vector<std::string> result;
  while (!src->finished()) {
    auto n = src->read(max, [&](std::string_view line) { result.emplace_back(line); });
    BOOST_REQUIRE(n);
    BOOST_REQUIRE(*n <= max);
    if (*n == 0)
      BOOST_REQUIRE(src->finished());
  }
  BOOST_TEST(src->position() == std::to_string(fs::file_size(file)));
  return result;
}

using lines_t = std::vector<std::string>;

} // namespace

BOOST_AUTO_TEST_SUITE(line_source)

BOOST_AUTO_TEST_CASE(delivers_each_line_without_its_newline) {
  temp_dir dir;
  auto file = dir.write("in.txt", "alpha\nbeta\ngamma\n");
  BOOST_TEST(read_all(file) == (lines_t{"alpha", "beta", "gamma"}));
  BOOST_TEST(read_all(file, "", 1) == (lines_t{"alpha", "beta", "gamma"}));
}

BOOST_AUTO_TEST_CASE(delivers_empty_lines) {
  temp_dir dir;
  auto file = dir.write("in.txt", "\n\na\n\nb\n\n");
  BOOST_TEST(read_all(file) == (lines_t{"", "", "a", "", "b", ""}));
}

BOOST_AUTO_TEST_CASE(strips_the_carriage_return_of_crlf_line_endings) {
  temp_dir dir;
  auto file = dir.write("in.txt", "a\r\nb\rc\r\n\r\n\rd\n\r");
  BOOST_TEST(read_all(file) == (lines_t{"a", "b\rc", "", "\rd", ""}));
}

BOOST_AUTO_TEST_CASE(delivers_a_last_line_without_a_newline) {
  temp_dir dir;
  auto file = dir.write("in.txt", "a\nlast");
  BOOST_TEST(read_all(file) == (lines_t{"a", "last"}));
  BOOST_TEST(read_all(dir.write("one.txt", "x")) == (lines_t{"x"}));
  BOOST_TEST(read_all(dir.write("crlf.txt", "a\r\nb\r")) == (lines_t{"a", "b"}));
}

BOOST_AUTO_TEST_CASE(an_empty_file_delivers_nothing_and_finishes) {
  temp_dir dir;
  auto src = lines(dir.write("empty.txt", ""));
  BOOST_REQUIRE(!src->open(""));
  BOOST_TEST(src->position() == "0");
  auto n = src->read(10, [](std::string_view) { BOOST_FAIL("no line expected"); });
  BOOST_REQUIRE(n);
  BOOST_TEST(*n == 0u);
  BOOST_TEST(src->finished());
  BOOST_TEST(src->position() == "0");
}

BOOST_AUTO_TEST_CASE(read_delivers_at_most_max_lines_and_position_follows_them) {
  temp_dir dir;
  auto src = lines(dir.write("in.txt", "ab\n\ncde\r\nf"));
  BOOST_REQUIRE(!src->open(""));
  std::vector<std::string> got;
  auto collect = [&](std::string_view line) { got.emplace_back(line); };
  BOOST_TEST(*src->read(2, collect) == 2u);
  BOOST_TEST(src->position() == "4");
  BOOST_TEST(!src->finished());
  BOOST_TEST(*src->read(1, collect) == 1u);
  BOOST_TEST(src->position() == "9");
  BOOST_TEST(*src->read(0, collect) == 0u);
  BOOST_TEST(*src->read(5, collect) == 1u);
  BOOST_TEST(src->position() == "10");
  BOOST_TEST(src->finished());
  BOOST_TEST(got == (lines_t{"ab", "", "cde", "f"}));
}

BOOST_AUTO_TEST_CASE(delivers_lines_across_block_boundaries) {
  temp_dir dir;
  // Lines of many lengths, so that block boundaries fall at every kind of
  // place: inside a line, just before and just after a '\n'.
  lines_t expected;
  std::string content;
  for (size_t i = 0; content.size() < 3 * block + 12345; ++i) {
    auto line = std::to_string(i) + std::string(i * 7919 % 301, 'a' + static_cast<char>(i % 26));
    content += line + (i % 3 == 0 ? "\r\n" : "\n");
    expected.push_back(std::move(line));
  }
  BOOST_TEST(read_all(dir.write("in.txt", content)) == expected);
  // A CRLF split by the block boundary, a '\n' as the last byte of a block,
  // and a line starting exactly at a block.
  std::string split = std::string(block - 1, 'x') + "\r\n" + "y\n";
  BOOST_TEST(read_all(dir.write("split.txt", split))
             == (lines_t{std::string(block - 1, 'x'), "y"}));
  std::string exact = std::string(block - 1, 'x') + "\n" + "y\n";
  BOOST_TEST(read_all(dir.write("exact.txt", exact))
             == (lines_t{std::string(block - 1, 'x'), "y"}));
}

BOOST_AUTO_TEST_CASE(grows_its_buffer_for_lines_longer_than_a_block) {
  temp_dir dir;
  lines_t expected{"short", std::string(3 * block + 17, 'l'), "", std::string(block / 2 + 1, 'm'),
                   std::string(5 * block, 'n'), "end"};
  std::string content;
  for (auto& line : expected)
    content += line + "\n";
  content.pop_back(); // the last line without a newline
  BOOST_TEST(read_all(dir.write("in.txt", content)) == expected);
  BOOST_TEST(read_all(dir.write("in.txt", content), "", 1) == expected);
}

BOOST_AUTO_TEST_CASE(resuming_at_any_line_boundary_delivers_exactly_the_rest) {
  temp_dir dir;
  auto file = dir.write("in.txt", "one\n\ntwo\r\nthree\n\r\n  four  \nfive");
  auto src = lines(file);
  BOOST_REQUIRE(!src->open(""));
  lines_t all;
  std::vector<std::string> positions{src->position()};
  while (!src->finished()) {
    if (*src->read(1, [&](std::string_view line) { all.emplace_back(line); }) == 1)
      positions.push_back(src->position());
  }
  BOOST_TEST(all == (lines_t{"one", "", "two", "three", "", "  four  ", "five"}));
  BOOST_REQUIRE(positions.size() == all.size() + 1);
  for (size_t i = 0; i < positions.size(); ++i) {
    BOOST_TEST_CONTEXT("resuming at line " << i << ", position " << positions[i]) {
      BOOST_TEST(read_all(file, positions[i]) == lines_t(all.begin() + i, all.end()));
      BOOST_TEST(read_all(file, positions[i], 1) == lines_t(all.begin() + i, all.end()));
    }
  }
  BOOST_TEST(read_all(file, "") == all);
  auto at_end = lines(file);
  BOOST_REQUIRE(!at_end->open(positions.back()));
  BOOST_TEST(*at_end->read(10, [](std::string_view) { BOOST_FAIL("no line expected"); }) == 0u);
  BOOST_TEST(at_end->finished());
}

BOOST_AUTO_TEST_CASE(rejects_positions_that_are_not_numbers_or_not_line_boundaries) {
  temp_dir dir;
  auto file = dir.write("in.txt", "abc\ndef\n");
  for (auto bad : {"x", "12x", "-1", "+4", " 4", "4 ", "0x4", "99999999999999999999999",
                   "9", "100", "2"}) {
    BOOST_TEST_CONTEXT("position '" << bad << "'") {
      auto src = lines(file);
      auto err = src->open(bad);
      BOOST_TEST((err.code() == errc::corrupt));
      BOOST_TEST(err.message().find(file.string()) != std::string::npos, err.message());
      BOOST_TEST(!src->read(1, [](std::string_view) {}), "read() after a failed open()");
    }
  }
  for (auto good : {"0", "4", "8"})
    BOOST_TEST(!lines(file)->open(good));
}

BOOST_AUTO_TEST_CASE(check_accepts_a_readable_file) {
  temp_dir dir;
  auto src = lines(dir.write("in.txt", "a\n"));
  BOOST_TEST(!src->check());
  BOOST_TEST(src->name() == "file:" + (dir.path / "in.txt").string());
}

BOOST_AUTO_TEST_CASE(check_rejects_a_missing_file) {
  temp_dir dir;
  for (auto file : {dir.path / "missing.txt", dir.path / "no-dir" / "in.txt"}) {
    auto err = lines(file)->check();
    BOOST_TEST((err.code() == errc::invalid_argument));
    BOOST_TEST(err.message() == "input file '" + file.string() + "' does not exist");
    BOOST_TEST((lines(file)->open("").code() == errc::io));
  }
}

BOOST_AUTO_TEST_CASE(check_rejects_a_directory) {
  temp_dir dir;
  auto err = lines(dir.path)->check();
  BOOST_TEST((err.code() == errc::invalid_argument));
  BOOST_TEST(err.message() == "input file '" + dir.path.string() + "' is not a regular file");
  BOOST_TEST((lines(dir.path)->open("").code() == errc::invalid_argument));
}

BOOST_AUTO_TEST_CASE(check_rejects_an_unreadable_file) {
  temp_dir dir;
  auto file = dir.write("secret.txt", "a\n");
  fs::permissions(file, fs::perms::none);
  auto err = lines(file)->check();
  if (::geteuid() == 0) {
    // root reads anything: the check cannot fail here.
    BOOST_TEST_MESSAGE("running as root: skipping the unreadable-file check");
    BOOST_TEST(!err);
    return;
  }
  BOOST_TEST((err.code() == errc::invalid_argument));
  BOOST_TEST(err.message() == "input file '" + file.string() + "' is not readable");
}

BOOST_AUTO_TEST_CASE(read_before_open_fails) {
  temp_dir dir;
  auto src = lines(dir.write("in.txt", "a\n"));
  BOOST_TEST(!src->read(1, [](std::string_view) {}));
}

BOOST_AUTO_TEST_CASE(delivers_short_lines_quickly) {
  // Prints the rate; no timed assertion (machines differ).
  temp_dir dir;
  constexpr size_t count = 5'000'000;
  std::string content;
  content.reserve(count * 9);
  for (size_t i = 0; i < count; ++i)
    content += std::to_string(10'000'000 + i % 90'000'000) + "\n";
  auto file = dir.write("short.txt", content);
  auto src = lines(file);
  BOOST_REQUIRE(!src->open(""));
  size_t total = 0;
  size_t bytes = 0;
  auto start = std::chrono::steady_clock::now();
  while (!src->finished())
    total += *src->read(4096, [&](std::string_view line) { bytes += line.size(); });
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  BOOST_TEST(total == count);
  BOOST_TEST(bytes == count * 8);
  BOOST_TEST_MESSAGE("line source: " << total << " lines in " << took.count() << " s = "
                                     << total / took.count() / 1e6 << " M lines/s");
}

BOOST_AUTO_TEST_SUITE_END()
