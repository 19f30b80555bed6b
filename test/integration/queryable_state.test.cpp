// Queryable state of a local job (actors/src/query/): wordcount following
// a directory answers a request file `query counts WORD` in its savepoint
// directory with "ok JSON", the word's count in the input so far, as the
// input grows and after a SIGKILL and a restart; `eddy-cluster query
// --savepoint-dir` asks the same; an unknown operator or request is
// answered `invalid` (exit 2), a word never seen shows a null state.

#include "integration/followed_input.hpp"
#include "integration/process.hpp"
#include "integration/state_query.hpp"
#include "integration/word_sequences.hpp"

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <memory>

#include "eddy/key_group.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using eddy::test::caught_up;
using eddy::test::eventually;
using eddy::test::followed_input;
using eddy::test::keep_on_failure;
using eddy::test::process;
using eddy::test::query_state;
using eddy::test::slurp;
using eddy::test::tail_of;
using eddy::test::temp_dir;
using eddy::test::word_count_in;
using eddy::test::word_counts;

namespace {

const std::string wordcount = EDDY_WORDCOUNT_BINARY;

/// Writes request `line` into `requests` as NAME.request (whole, by a
/// rename) and returns the line of its answer (taking it), "" if none came in 30 s.
std::string ask(const fs::path& requests, const std::string& name, const std::string& line) {
  fs::create_directories(requests);
  std::ofstream{requests / ("." + name)} << line << "\n";
  fs::rename(requests / ("." + name), requests / (name + ".request"));
  auto answer = requests / (name + ".answer");
  if (!eventually([&] { return fs::exists(answer) && slurp(answer).find('\n') != std::string::npos; }, 30s))
    return {};
  auto text = slurp(answer);
  fs::remove(answer);
  return text.substr(0, text.find('\n'));
}

} // namespace

BOOST_AUTO_TEST_SUITE(queryable_state)

BOOST_AUTO_TEST_CASE(a_local_job_answers_a_query_request_file_with_a_words_current_count_as_the_input_grows_and_after_a_restart) {
  temp_dir tmp{"eddy-query"};
  keep_on_failure keep{tmp};
  followed_input in{tmp / "in"};
  auto out = tmp / "out.txt";
  auto state = tmp / "state";
  auto requests = state / "savepoints" / ".requests";
  in.append(5'000);
  std::vector<std::string> argv{wordcount, "--follow", in.dir.string(), "--output", out.string(),
                                "--state-dir", state.string(), "--parallelism", "2"};
  auto job = std::make_unique<process>(argv, tmp / "run1.out", tmp / "run1.err");
  BOOST_REQUIRE_MESSAGE(caught_up(out, in), tail_of(tmp / "run1.err"));

  // The request file itself: one line, "ok " and the JSON.
  auto word = word_counts(in.all).begin()->first;
  auto line = ask(requests, "first", "query counts " + word);
  BOOST_REQUIRE_MESSAGE(line.rfind("ok ", 0) == 0, line);
  auto json = nlohmann::json::parse(line.substr(3));
  BOOST_TEST((json.at("operator") == "counts"));
  BOOST_TEST((json.at("key") == word));
  BOOST_TEST((json.at("key_group") == eddy::key_group_of(word, eddy::default_max_key_groups)));
  BOOST_TEST((word_count_in(json) == std::optional<int64_t>{word_counts(in.all).at(word)}));
  line = ask(requests, "unknown", "forget everything");
  BOOST_TEST(line.rfind("invalid unknown request 'forget'", 0) == 0, line);
  line = ask(requests, "no-key", "query counts");
  BOOST_TEST(line.rfind("invalid ", 0) == 0, line);

  // The launcher's helper for a local job: the same answers, and exit codes.
  std::vector<std::string> where{"--savepoint-dir", (state / "savepoints").string()};
  auto scratch = tmp / "q";
  in.append(5'000);
  BOOST_REQUIRE(caught_up(out, in));
  auto a = query_state(where, "counts", word, scratch);
  BOOST_REQUIRE_MESSAGE(a.status.exited_with(0), a.status.describe() << ": " << a.error);
  BOOST_TEST((word_count_in(a.json) == std::optional<int64_t>{word_counts(in.all).at(word)}));
  a = query_state(where, "word_count", word, scratch); // not an operator of wordcount
  BOOST_TEST(a.status.exited_with(2), a.status.describe());
  BOOST_TEST(a.error.find("has no keyed operator 'word_count' (it has: counts)") != std::string::npos, a.error);
  a = query_state(where, "counts", "zzz-never-seen", scratch);
  BOOST_REQUIRE_MESSAGE(a.status.exited_with(0), a.error);
  BOOST_TEST(a.json.at("states").at("words").is_null());

  // SIGKILLed and started again: the recovered partition shows the same count.
  BOOST_TEST(job->kill().killed());
  job = std::make_unique<process>(argv, tmp / "run2.out", tmp / "run2.err");
  in.append(2'000);
  BOOST_REQUIRE_MESSAGE(caught_up(out, in), tail_of(tmp / "run2.err"));
  a = query_state(where, "counts", word, scratch);
  BOOST_REQUIRE_MESSAGE(a.status.exited_with(0), a.status.describe() << ": " << a.error);
  BOOST_TEST((word_count_in(a.json) == std::optional<int64_t>{word_counts(in.all).at(word)}));
  BOOST_TEST(fs::is_empty(requests), "every request was answered and its answer taken");
}

BOOST_AUTO_TEST_SUITE_END()
