// A job binary for the cluster and manager tests: counts lines per key like
// wordcount, but its counter throws on the line "poison" every time (with
// --poison-while FILE: while FILE exists, a failure an operator can fix), so
// that partition spends its restart budget and the job must fail with one
// named error.
//
// poisoned_count (--input FILE | --follow PATH) --output FILE [--poison-while FILE] --state-dir DIR [cluster options]

#include <filesystem>
#include <stdexcept>

#include "eddy/actors/run.hpp"
#include "eddy/connectors/file/lines.hpp"
#include "eddy/connectors/file/lines_out.hpp"
#include "eddy/state.hpp"

namespace {

struct poisoned_counter {
  std::filesystem::path poison_while;
  eddy::value_state<int64_t> count;

  explicit poisoned_counter(std::filesystem::path p) : poison_while(std::move(p)) {}

  void on_record(const std::string& line, eddy::context<std::string>& ctx) {
    if (line == "poison" && (poison_while.empty() || std::filesystem::exists(poison_while)))
      throw std::runtime_error("poison pill in line 'poison'");
    count = count.value_or(0) + 1;
    ctx.emit(line + "\t" + std::to_string(*count));
  }
};

} // namespace

int main(int argc, char** argv) {
  namespace file = eddy::connectors::file;
  eddy::job job{"poisoned_count", argc, argv};
  auto input = job.arg("input", "", "FILE   lines to count");
  auto follow = job.arg("follow", "", "PATH   instead of --input: a file or directory to follow as it grows");
  if (input.empty() == follow.empty())
    job.fail("give exactly one of --input FILE and --follow PATH");
  auto poison_while = job.arg("poison-while", "", "FILE   'poison' fails only while FILE exists");
  auto output = job.arg("output", "FILE   where 'line<TAB>count' lines go (required)");
  job.source(follow.empty() ? file::lines(input) : file::lines_follow(follow))
    .map([](std::string_view line) { return std::string{line}; })
    .key_by([](const std::string& line) -> const std::string& { return line; })
    .process<poisoned_counter>(std::filesystem::path{poison_while})
    .sink(file::lines_out(output, [](const std::string& s) { return s; }));
  return eddy::run(job);
}
