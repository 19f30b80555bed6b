#include "nexmark.hpp"

#include <map>
#include <variant>

#include "queries/queries.hpp"

namespace nexmark {

namespace {

using builder = queries::rows_stream (*)(queries::events);

const std::map<std::string, builder, std::less<>>& builders() {
  static const std::map<std::string, builder, std::less<>> all{
    {"q0", queries::q0},   {"q1", queries::q1},   {"q2", queries::q2},   {"q3", queries::q3},
    {"q5", queries::q5},   {"q7", queries::q7},   {"q8", queries::q8},   {"q11", queries::q11},
    {"q14", queries::q14}, {"q15", queries::q15}, {"q17", queries::q17}, {"q18", queries::q18},
    {"q19", queries::q19}, {"q20", queries::q20}, {"q21", queries::q21}, {"q22", queries::q22},
  };
  return all;
}

int64_t date_time_of(const event& e) {
  return std::visit([](const auto& x) { return x.date_time; }, e);
}

} // namespace

const std::vector<std::string>& query_names() {
  static const std::vector<std::string> names{"q0",  "q1",  "q2",  "q3",  "q5",  "q7",
                                              "q8",  "q11", "q14", "q15", "q17", "q18",
                                              "q19", "q20", "q21", "q22"};
  return names;
}

eddy::stream<std::string> add_query(eddy::job& job, eddy::stream<event> events,
                                    const std::string& name,
                                    std::chrono::milliseconds watermark_delay) {
  auto timed = events.with_timestamps(date_time_of, watermark_delay);
  auto it = builders().find(name);
  if (it != builders().end())
    return it->second(timed);
  std::string known;
  for (auto& q : query_names())
    known += (known.empty() ? "" : ", ") + q;
  job.fail("unknown query '" + name + "' (known: " + known + ")");
  return queries::q0(timed); // a well-formed job that will not run
}

} // namespace nexmark
