// The sink contract and split sources through the runtime, from the outside
// (eddy::run): a transactional sink's own marks win over the journal's, and a
// source of several files read as splits delivers every line exactly once
// across a failure and a restart at another parallelism.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "eddy/actors/run.hpp"
#include "eddy/connectors/file/lines.hpp"
#include "eddy/connectors/memory/memory.hpp"
#include "support/temp_dir.hpp"

using namespace eddy;
namespace memory = eddy::connectors::memory;
namespace file = eddy::connectors::file;
namespace fs = std::filesystem;

BOOST_AUTO_TEST_SUITE(sink_contract)

BOOST_AUTO_TEST_CASE(a_transactional_sinks_own_marks_win_over_the_journals_after_a_crash_between_them) {
  test::temp_dir dir;
  auto store = std::make_shared<memory::transactional_store<int64_t>>();
  // The first commit stores its rows and marks, then fails as if the process
  // died before the runtime journaled it: the target is ahead of the journal.
  // (The first, not a later one: a fast run may commit everything at once.)
  store->fail_after_commit = 1;
  auto run = [&] {
    job j{"transactional"};
    j.config().state_dir = dir.path;
    j.config().log_level = "off";
    j.config().source_chunk = 500; // many batches
    j.source(memory::generate(100'000, [](uint64_t i) { return static_cast<int64_t>(i); }))
      .map([](const int64_t& x) { return x; })
      .sink(memory::transactional(store));
    return actors::execute(j);
  };
  auto failed = run();
  BOOST_TEST_MESSAGE("commits " << store->commits);
  BOOST_TEST_REQUIRE(failed.exit_code != 0);
  BOOST_TEST(failed.error.find("injected failure after commit 1") != std::string::npos,
             failed.error);
  BOOST_TEST_REQUIRE(store->commits == 1u);
  BOOST_TEST_REQUIRE(!store->marks.empty());
  BOOST_TEST(store->marks.front().channel == 0u); // the source, the sink's only producer
  auto rows_at_crash = store->rows.size();
  BOOST_TEST_REQUIRE(rows_at_crash > 0u);

  store->fail_after_commit = 0;
  auto done = run();
  BOOST_TEST_REQUIRE(done.exit_code == 0, done.error);
  // The source replays from its checkpoint, which is behind commit 1; the
  // sink's marks make the runtime drop what commit 1 already stored.
  std::vector<int64_t> want(100'000);
  for (int64_t i = 0; i < 100'000; ++i)
    want[static_cast<size_t>(i)] = i;
  BOOST_TEST(store->rows.size() == want.size());
  BOOST_TEST((store->rows == want));
}

BOOST_AUTO_TEST_CASE(several_files_read_as_splits_deliver_every_line_once_across_a_failure) {
  test::temp_dir dir;
  auto inputs = dir.path / "in";
  fs::create_directories(inputs);
  std::vector<fs::path> files;
  std::multiset<std::string> want;
  for (int f = 0; f < 3; ++f) {
    files.push_back(inputs / ("input-" + std::to_string(f) + ".txt"));
    std::ofstream out{files.back()};
    for (int k = 0; k < 3'000 * (f + 1); ++k) {
      auto line = "file " + std::to_string(f) + " line " + std::to_string(k)
                  + std::string(static_cast<size_t>(k % 17), '.');
      out << line << (k % 5 == 0 ? "\r\n" : "\n");
      want.insert(line);
    }
  }
  auto store = std::make_shared<memory::transactional_store<std::string>>();
  store->fail_after_commit = 1; // the first: a fast run may commit everything at once
  auto run = [&](uint32_t parallelism) {
    job j{"split-files"};
    j.config().state_dir = dir.path / "state";
    j.config().log_level = "off";
    j.config().parallelism = parallelism; // the hint for the source's splits
    j.config().source_chunk = 700;
    j.source(file::lines(files))
      .map([](const std::string_view& line) { return std::string{line}; })
      .sink(memory::transactional(store));
    return actors::execute(j);
  };
  BOOST_TEST_REQUIRE(file::lines(files)->splits(4)->size() >= 4u);
  auto failed = run(4);
  BOOST_TEST_MESSAGE("commits " << store->commits);
  BOOST_TEST_REQUIRE(failed.exit_code != 0);
  BOOST_TEST_REQUIRE(store->commits == 1u);
  // The restart enumerates the splits for the hint stored with their
  // positions (4), not for its own parallelism.
  store->fail_after_commit = 0;
  auto done = run(1);
  BOOST_TEST_REQUIRE(done.exit_code == 0, done.error);
  std::multiset<std::string> got(store->rows.begin(), store->rows.end());
  BOOST_TEST(store->rows.size() == want.size());
  BOOST_TEST((got == want));
  if (got != want) {
    std::vector<std::string> extra, missing;
    std::set_difference(got.begin(), got.end(), want.begin(), want.end(), std::back_inserter(extra));
    std::set_difference(want.begin(), want.end(), got.begin(), got.end(), std::back_inserter(missing));
    for (size_t i = 0; i < std::min<size_t>(5, extra.size()); ++i)
      BOOST_TEST_MESSAGE("extra " << extra[i]);
    for (size_t i = 0; i < std::min<size_t>(5, missing.size()); ++i)
      BOOST_TEST_MESSAGE("missing " << missing[i]);
    BOOST_TEST_MESSAGE(extra.size() << " extra, " << missing.size() << " missing");
  }
}

BOOST_AUTO_TEST_CASE(a_restart_refuses_splits_that_differ_from_its_checkpoints) {
  test::temp_dir dir;
  fs::create_directories(dir.path);
  auto input = dir.path / "in.txt";
  {
    std::ofstream out{input};
    for (int k = 0; k < 20'000; ++k)
      out << "line " << k << "\n";
  }
  auto store = std::make_shared<memory::transactional_store<std::string>>();
  store->fail_after_commit = 1; // the first: a fast run may commit everything at once
  auto run = [&] {
    job j{"changed-input"};
    j.config().state_dir = dir.path / "state";
    j.config().log_level = "off";
    j.config().parallelism = 3;
    j.config().source_chunk = 500;
    j.source(file::lines(input))
      .map([](const std::string_view& line) { return std::string{line}; })
      .sink(memory::transactional(store));
    return actors::execute(j);
  };
  BOOST_TEST_REQUIRE(run().exit_code != 0);
  std::ofstream{input, std::ios::app} << "one more\n"; // the ranges move
  store->fail_after_commit = 0;
  auto refused = run();
  BOOST_TEST(refused.exit_code != 0);
  BOOST_TEST(refused.error.find("splits differ from those of its checkpoint") != std::string::npos,
             refused.error);
}

BOOST_AUTO_TEST_SUITE_END()
