// A job binary for the cluster tests: counts lines per key like wordcount,
// but its counter throws on the line "poison" every time, so that partition
// spends its restart budget and the job must fail with one named error.
//
// poisoned_count --input FILE --output FILE --state-dir DIR [cluster options]

#include <stdexcept>

#include "eddy/actors/run.hpp"
#include "eddy/connectors/file/lines.hpp"
#include "eddy/connectors/file/lines_out.hpp"
#include "eddy/state.hpp"

namespace {

struct poisoned_counter {
  eddy::value_state<int64_t> count;

  void on_record(const std::string& line, eddy::context<std::string>& ctx) {
    if (line == "poison")
      throw std::runtime_error("poison pill in line 'poison'");
    count = count.value_or(0) + 1;
    ctx.emit(line + "\t" + std::to_string(*count));
  }
};

} // namespace

int main(int argc, char** argv) {
  namespace file = eddy::connectors::file;
  eddy::job job{"poisoned_count", argc, argv};
  auto input = job.arg("input", "FILE   lines to count (required)");
  auto output = job.arg("output", "FILE   where 'line<TAB>count' lines go (required)");
  job.source(file::lines(input))
    .map([](std::string_view line) { return std::string{line}; })
    .key_by([](const std::string& line) -> const std::string& { return line; })
    .process<poisoned_counter>()
    .sink(file::lines_out(output, [](const std::string& s) { return s; }));
  return eddy::run(job);
}
