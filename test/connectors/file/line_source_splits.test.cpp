// Splits of the file line source: byte ranges whose readers deliver the lines
// that start in them, several files, and per-split positions.

#include "eddy/connectors/file/lines.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using eddy::errc;
using eddy::connectors::file::lines;
using eddy::connectors::file::split_of;
using lines_t = std::vector<std::string>;
using source_t = eddy::source<std::string_view>;

namespace {

fs::path write(const fs::path& dir, const std::string& name, const std::string& content) {
  fs::create_directories(dir);
  auto file = dir / name;
  std::ofstream out{file, std::ios::binary};
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  BOOST_REQUIRE(out.good());
  return file;
}

/// Lines of varied length (some empty, some CRLF, one longer than a read
/// block now and then), with or without a newline after the last.
std::string random_text(std::mt19937& rng, size_t count, bool final_newline) {
  std::string text;
  for (size_t i = 0; i < count; ++i) {
    auto kind = rng() % 20;
    size_t len = kind == 0 ? 0 : kind == 1 ? 3'000 + rng() % 3'000 : rng() % 80;
    if (count < 50 && i == count / 2)
      len = (size_t{1} << 20) + 17; // crosses the 1 MiB block and split boundaries
    for (size_t k = 0; k < len; ++k)
      text.push_back(static_cast<char>('a' + (i + k) % 26));
    if (i + 1 < count || final_newline)
      text += rng() % 7 == 0 ? "\r\n" : "\n";
  }
  return text;
}

/// What lines() promises for `text`: split at '\n', one '\r' before it dropped.
lines_t expected_lines(const std::string& text) {
  lines_t out;
  size_t at = 0;
  while (at < text.size()) {
    auto nl = text.find('\n', at);
    auto end = nl == std::string::npos ? text.size() : nl;
    auto line = text.substr(at, end - at);
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    out.push_back(line);
    at = nl == std::string::npos ? text.size() : nl + 1;
  }
  return out;
}

std::unique_ptr<source_t> reader_of(const source_t& src, const std::string& split) {
  auto r = src.reader(split);
  BOOST_REQUIRE_MESSAGE(r, (r ? std::string{} : r.error().message()));
  BOOST_REQUIRE(*r != nullptr);
  return std::move(*r);
}

/// Reads `src` from `position` to its end, `max` lines per read(); appends
/// the lines to `out` and returns the positions after each read.
std::vector<std::string> read_to_end(source_t& src, const std::string& position, size_t max,
                                     lines_t& out) {
  auto err = src.open(position);
  BOOST_REQUIRE_MESSAGE(!err, err.message());
  std::vector<std::string> positions{src.position()};
  while (!src.finished()) {
    auto n = src.read(max, [&](std::string_view line) { out.emplace_back(line); });
    BOOST_REQUIRE_MESSAGE(n, (n ? std::string{} : n.error().message()));
    BOOST_REQUIRE(*n <= max);
    positions.push_back(src.position());
  }
  return positions;
}

/// The lines of all `splits` of `src`, read one split after another.
lines_t read_splits(const source_t& src, const std::vector<std::string>& splits, size_t max) {
  lines_t out;
  for (auto& s : splits) {
    auto r = reader_of(src, s);
    read_to_end(*r, "", max, out);
  }
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(line_source_splits)

BOOST_AUTO_TEST_CASE(the_union_of_splits_is_the_whole_file_for_any_boundaries) {
  eddy::test::temp_dir dir;
  std::mt19937 rng{42};
  for (int round = 0; round < 6; ++round) {
    bool final_newline = round % 2 == 0;
    auto text = random_text(rng, round < 2 ? 40 : 2'000, final_newline);
    auto file = write(dir.path, "in" + std::to_string(round) + ".txt", text);
    auto want = expected_lines(text);
    auto src = lines(file);
    BOOST_TEST_CONTEXT("round " << round << ", " << text.size() << " bytes") {
      // Enumerated splits, for many hints.
      for (uint32_t desired : {1u, 2u, 3u, 5u, 8u, 13u, 64u}) {
        auto splits = src->splits(desired);
        BOOST_REQUIRE(splits);
        BOOST_TEST((!splits->empty() && splits->size() <= desired));
        BOOST_TEST((read_splits(*src, *splits, 1 + rng() % 50) == want), desired << " splits");
      }
      // Random boundaries, including empty ranges and ones inside CRLF.
      for (int trial = 0; trial < 20; ++trial) {
        std::vector<uint64_t> cuts{0, text.size()};
        for (auto k = rng() % 12; k > 0; --k)
          cuts.push_back(rng() % (text.size() + 1));
        std::sort(cuts.begin(), cuts.end());
        std::vector<std::string> splits;
        for (size_t i = 0; i + 1 < cuts.size(); ++i)
          splits.push_back(split_of(file, cuts[i], cuts[i + 1]));
        BOOST_TEST((read_splits(*src, splits, 1 + rng() % 50) == want), "trial " << trial);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(a_line_belongs_to_the_split_where_it_starts) {
  eddy::test::temp_dir dir;
  auto file = write(dir.path, "in.txt", "aaa\nbbb\n\nccc"); // lines start at 0, 4, 8, 9
  auto src = lines(file);
  auto split = [&](uint64_t first, uint64_t limit) {
    return read_splits(*src, {split_of(file, first, limit)}, 10);
  };
  BOOST_TEST((split(0, 1) == lines_t{"aaa"}));
  BOOST_TEST((split(1, 4) == lines_t{}));
  BOOST_TEST((split(1, 5) == lines_t{"bbb"}));
  BOOST_TEST((split(4, 9) == lines_t{"bbb", ""}));
  BOOST_TEST((split(5, 12) == lines_t{"", "ccc"}));
  BOOST_TEST((split(10, 12) == lines_t{}));
  BOOST_TEST((split(12, 12) == lines_t{}));
}

BOOST_AUTO_TEST_CASE(every_position_of_a_split_resumes_exactly_where_it_stood) {
  eddy::test::temp_dir dir;
  std::mt19937 rng{7};
  auto text = random_text(rng, 3'000, false);
  auto file = write(dir.path, "in.txt", text);
  auto src = lines(file);
  for (auto [first, limit] : {std::pair<uint64_t, uint64_t>{0, text.size() / 3},
                              {text.size() / 3 + 1, 2 * text.size() / 3},
                              {2 * text.size() / 3, text.size()}}) {
    auto split = split_of(file, first, limit);
    lines_t all;
    auto positions = read_to_end(*reader_of(*src, split), "", 7, all);
    BOOST_TEST_REQUIRE(positions.size() > 3u);
    size_t delivered = 0;
    for (size_t i = 0; i < positions.size(); ++i) {
      BOOST_TEST_CONTEXT("split " << split << " at position " << positions[i]) {
        lines_t rest;
        read_to_end(*reader_of(*src, split), positions[i], 7, rest);
        BOOST_TEST((rest == lines_t(all.begin() + static_cast<long>(delivered), all.end())));
      }
      delivered = std::min(all.size(), delivered + 7);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_split_rejects_positions_outside_it_or_inside_a_line) {
  eddy::test::temp_dir dir;
  auto file = write(dir.path, "in.txt", "aaa\nbbb\nccc\n");
  auto src = lines(file);
  auto r = reader_of(*src, split_of(file, 4, 8));
  BOOST_TEST((r->open("0").code() == errc::corrupt)); // before the split
  BOOST_TEST((r->open("6").code() == errc::corrupt)); // inside a line
  BOOST_TEST((r->open("13").code() == errc::corrupt)); // beyond the file
  BOOST_TEST(!r->open("4"));
  BOOST_TEST(!r->open("8"));
  BOOST_TEST(r->finished()); // 8 is the split's limit
  // A split may start inside a line: its own start is then a valid position.
  BOOST_TEST(!reader_of(*src, split_of(file, 5, 12))->open("5"));
  for (auto bad : {std::string{"4-8"}, "8-4:" + file.string(), "x-8:" + file.string(),
                   "0-4:" + (dir.path / "other.txt").string()})
    BOOST_TEST((!src->reader(bad) && src->reader(bad).error().code() == errc::corrupt), bad);
  // A split beyond the end of the file: the file shrank.
  BOOST_TEST((reader_of(*src, split_of(file, 20, 30))->open("").code() == errc::corrupt));
}

BOOST_AUTO_TEST_CASE(several_files_split_and_read_as_their_concatenation) {
  eddy::test::temp_dir dir;
  std::mt19937 rng{3};
  std::vector<fs::path> files;
  lines_t want;
  for (int i = 0; i < 4; ++i) {
    auto text = i == 2 ? std::string{} : random_text(rng, 500 + 300 * i, i % 2 == 0);
    files.push_back(write(dir.path, "part" + std::to_string(i) + ".txt", text));
    auto l = expected_lines(text);
    want.insert(want.end(), l.begin(), l.end());
  }
  auto src = lines(files);
  BOOST_TEST(!src->check());
  for (uint32_t desired : {1u, 2u, 4u, 7u, 30u}) {
    auto splits = src->splits(desired);
    BOOST_REQUIRE(splits);
    BOOST_TEST((splits->size() >= files.size() && splits->size() <= desired + files.size()));
    BOOST_TEST((*splits == *src->splits(desired)), "the list is deterministic");
    BOOST_TEST((read_splits(*src, *splits, 13) == want), desired << " splits");
  }
  // Read directly, the files follow one another and positions name the file.
  lines_t direct;
  auto positions = read_to_end(*src, "", 100, direct);
  BOOST_TEST((direct == want));
  BOOST_TEST(positions.front() == "0:0");
  size_t delivered = 0;
  for (auto& p : positions) {
    lines_t rest;
    read_to_end(*lines(files), p, 100, rest);
    BOOST_TEST((rest == lines_t(want.begin() + static_cast<long>(delivered), want.end())), p);
    delivered = std::min(want.size(), delivered + 100);
  }
  BOOST_TEST((lines(files)->open("4:0").code() == errc::corrupt));
  BOOST_TEST((lines({files[0], files[1]})->name()
              == "files:" + files[0].string() + "," + files[1].string()));
  BOOST_TEST((lines(std::vector<fs::path>{})->check().code() == errc::invalid_argument));
  BOOST_TEST((lines({files[0], dir.path / "missing.txt"})->check().code()
              == errc::invalid_argument));
}

BOOST_AUTO_TEST_SUITE_END()
