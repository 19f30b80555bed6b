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

BOOST_AUTO_TEST_SUITE_END()
