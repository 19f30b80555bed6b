// The part-file mode of lines_out: one file per sink instance, each with its
// own committed length; and the single-file sink's one instance.

#include "eddy/connectors/file/lines_out.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
namespace file = eddy::connectors::file;
using sink_t = eddy::sink<std::string>;

namespace {

auto identity = [](const std::string& s) -> const std::string& { return s; };

std::string contents(const fs::path& p) {
  std::ifstream in{p, std::ios::binary};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::unique_ptr<sink_t> instance_of(const sink_t& s, uint32_t i, uint32_t n) {
  auto r = s.instance(i, n);
  BOOST_REQUIRE_MESSAGE(r, (r ? std::string{} : r.error().message()));
  BOOST_REQUIRE(*r != nullptr);
  return std::move(*r);
}

void open(sink_t& s, std::string_view committed) {
  auto r = s.open(committed);
  BOOST_REQUIRE_MESSAGE(r, (r ? std::string{} : r.error().message()));
  BOOST_TEST(!r->has_value(), "a file sink leaves its marks to the journal");
}

std::string commit(sink_t& s) {
  auto r = s.commit({{0, 7}});
  BOOST_REQUIRE_MESSAGE(r, (r ? std::string{} : r.error().message()));
  return *r;
}

} // namespace

BOOST_AUTO_TEST_SUITE(line_sink_parts)

BOOST_AUTO_TEST_CASE(a_single_file_sink_runs_as_one_instance) {
  eddy::test::temp_dir dir;
  fs::create_directories(dir.path);
  auto out = file::lines_out(dir.path / "out.txt", identity);
  BOOST_TEST(out->max_instances() == 1u);
  auto self = out->instance(0, 1);
  BOOST_REQUIRE(self);
  BOOST_TEST((*self == nullptr), "the sink is its own only instance");
  BOOST_TEST(!out->instance(0, 2));
  BOOST_TEST(!out->instance(1, 2));
}

BOOST_AUTO_TEST_CASE(instance_i_of_n_writes_part_file_i) {
  eddy::test::temp_dir dir;
  fs::create_directories(dir.path);
  auto out = file::lines_out(file::part_files{dir.path}, identity);
  BOOST_TEST(out->max_instances() > 1000u);
  BOOST_TEST(!out->check());
  BOOST_TEST(out->name() == "parts:" + dir.path.string());
  std::vector<std::unique_ptr<sink_t>> parts;
  for (uint32_t i = 0; i < 3; ++i) {
    parts.push_back(instance_of(*out, i, 3));
    BOOST_TEST(parts.back()->name() == "file:" + (dir.path / ("part-0000" + std::to_string(i))).string());
    open(*parts.back(), "");
  }
  for (uint32_t i = 0; i < 3; ++i)
    for (uint32_t k = 0; k <= i; ++k)
      BOOST_REQUIRE(!parts[i]->write("line " + std::to_string(i) + "." + std::to_string(k)));
  for (uint32_t i = 0; i < 3; ++i)
    commit(*parts[i]);
  BOOST_TEST(contents(dir.path / "part-00000") == "line 0.0\n");
  BOOST_TEST(contents(dir.path / "part-00001") == "line 1.0\nline 1.1\n");
  BOOST_TEST(contents(dir.path / "part-00002") == "line 2.0\nline 2.1\nline 2.2\n");
  BOOST_TEST(!out->instance(3, 3));
  BOOST_TEST(file::detail::part_file(dir.path, 123456) == dir.path / "part-123456");
}

BOOST_AUTO_TEST_CASE(each_part_reopens_truncated_to_its_own_committed_length) {
  eddy::test::temp_dir dir;
  fs::create_directories(dir.path);
  auto out = file::lines_out(file::part_files{dir.path}, identity);
  std::vector<std::string> committed;
  for (uint32_t i = 0; i < 2; ++i) {
    auto part = instance_of(*out, i, 2);
    open(*part, "");
    for (uint32_t k = 0; k < 3 + i; ++k)
      BOOST_REQUIRE(!part->write("kept " + std::to_string(k)));
    committed.push_back(commit(*part));
    for (uint32_t k = 0; k < 2'000; ++k) // past the 1 MiB buffer for part 1: written, uncommitted
      BOOST_REQUIRE(!part->write(std::string(i == 1 ? 600 : 10, 'x')));
    if (i == 1)
      BOOST_TEST(fs::file_size(dir.path / "part-00001") > std::stoull(committed[1]));
  }
  BOOST_TEST(committed[0] != committed[1]);
  for (uint32_t i = 0; i < 2; ++i) {
    auto part = instance_of(*out, i, 2);
    open(*part, committed[i]);
    BOOST_REQUIRE(!part->write("after"));
    commit(*part);
  }
  BOOST_TEST(contents(dir.path / "part-00000") == "kept 0\nkept 1\nkept 2\nafter\n");
  BOOST_TEST(contents(dir.path / "part-00001") == "kept 0\nkept 1\nkept 2\nkept 3\nafter\n");
}

BOOST_AUTO_TEST_CASE(a_part_file_sink_used_directly_is_instance_0) {
  eddy::test::temp_dir dir;
  fs::create_directories(dir.path);
  auto out = file::lines_out(file::part_files{dir.path}, identity);
  open(*out, "");
  BOOST_REQUIRE(!out->write("only"));
  commit(*out);
  BOOST_TEST(contents(dir.path / "part-00000") == "only\n");
}

BOOST_AUTO_TEST_CASE(check_rejects_a_missing_directory) {
  eddy::test::temp_dir dir;
  auto out = file::lines_out(file::part_files{dir.path / "missing"}, identity);
  BOOST_TEST((out->check().code() == eddy::errc::invalid_argument));
}

BOOST_AUTO_TEST_SUITE_END()
