// Queryable state of a cluster (actors/src/query/): wordcount following a
// directory on 2 workers answers `eddy-cluster query counts WORD` with the
// word's count in the input so far, read from the partition that owns it,
// as the input grows and after the worker that runs it was SIGKILLed
// (supervised: its key groups fail over and come back); an unknown
// operator exits 2, a word never seen shows a null state.

#include "integration/cluster/launcher.hpp"
#include "integration/followed_input.hpp"
#include "integration/state_query.hpp"
#include "integration/word_sequences.hpp"

#include <signal.h>

#include <boost/test/unit_test.hpp>

#include "eddy/key_group.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using eddy::test::caught_up;
using eddy::test::check_word_sequences;
using eddy::test::followed_input;
using eddy::test::keep_on_failure;
using eddy::test::launched_cluster;
using eddy::test::query_state;
using eddy::test::query_until_count;
using eddy::test::slurp;
using eddy::test::tail_of;
using eddy::test::temp_dir;
using eddy::test::word_count_in;
using eddy::test::word_counts;

namespace {

const std::string wordcount = EDDY_WORDCOUNT_BINARY;

/// A word of `text` whose key group instance 0 of 2 owns: at parallelism 2
/// on 2 workers, slice 0, which starts on worker 1.
std::string word_on_worker_1(const std::string& text) {
  for (auto& [w, c] : word_counts(text))
    if (c > 1 && eddy::instance_of(eddy::key_group_of(w, eddy::default_max_key_groups), eddy::default_max_key_groups, 2) == 0)
      return w;
  return {};
}

} // namespace

BOOST_AUTO_TEST_SUITE(cluster_queryable_state)

BOOST_AUTO_TEST_CASE(a_query_shows_a_words_current_count_as_the_input_grows_and_again_after_its_worker_was_killed) {
  temp_dir tmp{"eddy-cluster-query"};
  keep_on_failure keep{tmp};
  followed_input in{tmp / "in"};
  auto out = tmp / "out.txt";
  auto dir = tmp / "c";
  in.append(5'000);
  launched_cluster c{dir,
                     2,
                     {wordcount, "--follow", in.dir.string(), "--output", out.string(), "--parallelism", "2"},
                     true}; // supervised: the killed worker comes back
  BOOST_REQUIRE_MESSAGE(c.started(), c.start_error());
  BOOST_REQUIRE_MESSAGE(caught_up(out, in), tail_of(dir / "coordinator.log"));
  std::vector<std::string> where{"--dir", dir.string()};
  auto scratch = tmp / "q";

  auto word = word_on_worker_1(in.all);
  BOOST_REQUIRE(!word.empty());
  auto a = query_state(where, "counts", word, scratch);
  BOOST_REQUIRE_MESSAGE(a.status.exited_with(0), a.status.describe() << ": " << a.error);
  BOOST_TEST((a.json.at("operator") == "counts"));
  BOOST_TEST((a.json.at("key") == word));
  BOOST_TEST((a.json.at("key_group") == eddy::key_group_of(word, eddy::default_max_key_groups)));
  BOOST_TEST((word_count_in(a.json) == std::optional<int64_t>{word_counts(in.all).at(word)}));
  auto other = word_counts(in.all).rbegin()->first; // likely in worker 2's half
  a = query_state(where, "counts", other, scratch);
  BOOST_REQUIRE_MESSAGE(a.status.exited_with(0), a.error);
  BOOST_TEST((word_count_in(a.json) == std::optional<int64_t>{word_counts(in.all).at(other)}));

  // More input: the counts grow with it.
  in.append(5'000);
  BOOST_REQUIRE(caught_up(out, in));
  a = query_state(where, "counts", word, scratch);
  BOOST_REQUIRE_MESSAGE(a.status.exited_with(0), a.error);
  BOOST_TEST((word_count_in(a.json) == std::optional<int64_t>{word_counts(in.all).at(word)}));

  // What the job has not: an operator (exit 2), a word (a null state).
  a = query_state(where, "nope", word, scratch);
  BOOST_TEST(a.status.exited_with(2), a.status.describe());
  BOOST_TEST(a.error.find("no keyed operator 'nope'") != std::string::npos, a.error);
  a = query_state(where, "counts", "never seen", scratch);
  BOOST_REQUIRE_MESSAGE(a.status.exited_with(0), a.error);
  BOOST_TEST((a.json.at("key") == "never seen"));
  BOOST_TEST(a.json.at("states").at("words").is_null());

  // The worker that runs the word's partition SIGKILLed: its key groups fail
  // over to worker 2 (and back once it rejoins); queries answer again, with
  // the recovered count, also after more input.
  BOOST_REQUIRE(c.signal("worker-1", SIGKILL));
  a = query_until_count(where, word, word_counts(in.all).at(word), scratch);
  BOOST_TEST(a.status.exited_with(0), a.status.describe() << ": " << a.error);
  BOOST_TEST((word_count_in(a.json) == std::optional<int64_t>{word_counts(in.all).at(word)}));
  BOOST_TEST(c.log("coordinator").find("worker 1 was lost") != std::string::npos);
  in.append(5'000);
  BOOST_REQUIRE_MESSAGE(caught_up(out, in), tail_of(dir / "coordinator.log"));
  a = query_until_count(where, word, word_counts(in.all).at(word), scratch);
  BOOST_TEST(a.status.exited_with(0), a.status.describe() << ": " << a.error);
  BOOST_TEST((word_count_in(a.json) == std::optional<int64_t>{word_counts(in.all).at(word)}));

  auto problem = check_word_sequences(slurp(out), in.all);
  BOOST_TEST(problem.empty(), problem);
}

BOOST_AUTO_TEST_SUITE_END()
