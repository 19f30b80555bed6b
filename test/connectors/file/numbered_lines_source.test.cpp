#include "eddy/connectors/file/numbered_lines.hpp"

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

using eddy::connectors::file::numbered_line;
using eddy::connectors::file::numbered_lines;

BOOST_AUTO_TEST_SUITE(numbered_lines_source)

BOOST_AUTO_TEST_CASE(line_numbers_continue_where_a_resumed_source_left_off) {
  eddy::test::temp_dir dir;
  std::filesystem::create_directories(dir.path);
  auto file = dir.path / "in.txt";
  std::ofstream{file} << "a\nbb\n\nccc\nd";
  std::vector<std::pair<int64_t, std::string>> first, rest;
  auto collect = [](auto& out) {
    return [&out](const numbered_line& l) { out.emplace_back(l.number, std::string{l.text}); };
  };
  auto src = numbered_lines(file);
  BOOST_TEST_REQUIRE(!src->open(""));
  BOOST_TEST(*src->read(2, collect(first)) == 2u);
  auto position = src->position();
  auto again = numbered_lines(file);
  BOOST_TEST_REQUIRE(!again->open(position));
  while (!again->finished())
    BOOST_TEST_REQUIRE(again->read(10, collect(rest)).operator bool());
  using lines = std::vector<std::pair<int64_t, std::string>>;
  BOOST_TEST((first == lines{{1, "a"}, {2, "bb"}}));
  BOOST_TEST((rest == lines{{3, ""}, {4, "ccc"}, {5, "d"}}));
}

BOOST_AUTO_TEST_CASE(a_position_without_a_line_number_is_refused) {
  eddy::test::temp_dir dir;
  std::filesystem::create_directories(dir.path);
  std::ofstream{dir.path / "in.txt"} << "a\n";
  auto src = numbered_lines(dir.path / "in.txt");
  auto err = src->open("2");
  BOOST_TEST((err.code() == eddy::errc::corrupt));
}

BOOST_AUTO_TEST_CASE(splits_number_their_lines_as_the_whole_file_does) {
  eddy::test::temp_dir dir;
  std::filesystem::create_directories(dir.path);
  auto file = dir.path / "in.txt";
  {
    std::ofstream out{file, std::ios::binary};
    for (int i = 0; i < 5'000; ++i)
      out << std::string(static_cast<size_t>(i % 37), 'x') << i << (i % 7 == 0 ? "\r\n" : "\n");
    out << "last without newline";
  }
  using lines = std::vector<std::pair<int64_t, std::string>>;
  auto read_all = [](eddy::source<numbered_line>& src, lines& out) {
    BOOST_TEST_REQUIRE(!src.open(""));
    while (!src.finished())
      BOOST_TEST_REQUIRE(src.read(333, [&](const numbered_line& l) {
        out.emplace_back(l.number, std::string{l.text});
      }).operator bool());
  };
  lines whole;
  read_all(*numbered_lines(file), whole);
  BOOST_TEST_REQUIRE(whole.size() == 5'001u);
  for (uint32_t desired : {1u, 2u, 3u, 7u, 64u}) {
    auto src = numbered_lines(file);
    auto splits = src->splits(desired);
    BOOST_TEST_REQUIRE(splits.operator bool());
    lines got;
    for (auto& split : *splits) {
      auto reader = src->reader(split);
      BOOST_TEST_REQUIRE(reader.operator bool());
      BOOST_TEST_REQUIRE(reader->get() != nullptr);
      read_all(**reader, got);
    }
    BOOST_TEST((got == whole), "desired " << desired << ": " << splits->size() << " splits");
  }
}

BOOST_AUTO_TEST_CASE(a_split_resumes_with_its_line_numbers) {
  eddy::test::temp_dir dir;
  std::filesystem::create_directories(dir.path);
  auto file = dir.path / "in.txt";
  std::ofstream{file} << "a\nbb\n\nccc\nd\ne\n";
  auto src = numbered_lines(file);
  auto splits = src->splits(2);
  BOOST_TEST_REQUIRE(splits->size() == 2u);
  auto second = std::move(*src->reader(splits->back()));
  BOOST_TEST_REQUIRE(!second->open(""));
  std::vector<int64_t> numbers;
  BOOST_TEST_REQUIRE(second->read(1, [&](const numbered_line& l) { numbers.push_back(l.number); }).operator bool());
  auto resumed = std::move(*src->reader(splits->back()));
  BOOST_TEST_REQUIRE(!resumed->open(second->position()));
  while (!resumed->finished())
    BOOST_TEST_REQUIRE(resumed->read(10, [&](const numbered_line& l) { numbers.push_back(l.number); }).operator bool());
  BOOST_TEST(numbers.front() > 1);
  for (size_t i = 1; i < numbers.size(); ++i)
    BOOST_TEST(numbers[i] == numbers[i - 1] + 1);
  BOOST_TEST(numbers.back() == 6);
  BOOST_TEST((src->reader("no-hash").error().code() == eddy::errc::corrupt));
}

BOOST_AUTO_TEST_SUITE_END()
