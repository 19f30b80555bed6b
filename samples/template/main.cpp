// my_job: running totals per key, exactly once.
//
//   my_job --input FILE --output FILE --state-dir DIR [--parallelism N]
//
// Reads lines "key,amount" (amount an integer), keeps one total per key in
// keyed state and writes "key<TAB>total" after every line of that key.
// Malformed lines are counted and skipped. Kill it at any moment (even
// SIGKILL) and start it again with the same arguments: it resumes where it
// was, and the output holds every total exactly once.

#include <charconv>
#include <string>
#include <string_view>

#include "eddy/actors/run.hpp"
#include "eddy/connectors/file/lines.hpp"
#include "eddy/connectors/file/lines_out.hpp"

struct amount {
  std::string key;
  int64_t value = 0;
};

template <class Inspector>
auto inspect(Inspector& f, amount& x) {
  return f(x.key, x.value);
}

struct total {
  std::string key;
  int64_t sum = 0;
};

template <class Inspector>
auto inspect(Inspector& f, total& x) {
  return f(x.key, x.sum);
}

/// "key,amount" to an amount; malformed lines produce nothing.
void parse(std::string_view line, eddy::collector<amount>& out) {
  auto comma = line.find(',');
  if (comma == std::string_view::npos || comma == 0)
    return;
  int64_t value = 0;
  auto digits = line.substr(comma + 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc{} || end != digits.data() + digits.size())
    return;
  out(amount{std::string{line.substr(0, comma)}, value});
}

/// One instance per key: its total is keyed state, journaled on every change.
struct running_total {
  eddy::value_state<int64_t> sum;
  void on_record(const amount& a, eddy::context<total>& ctx) {
    sum = sum.value_or(0) + a.value;
    ctx.emit({a.key, *sum});
  }
};

int main(int argc, char** argv) {
  eddy::job job{"my_job", argc, argv};
  job.source(eddy::connectors::file::lines(job.arg("input", "FILE   lines 'key,amount'")))
    .flat_map(parse)
    .key_by(&amount::key)
    .process<running_total>()
    .sink(eddy::connectors::file::lines_out(
      job.arg("output", "FILE   where 'key<TAB>total' lines go"),
      [](const total& t) { return t.key + "\t" + std::to_string(t.sum); }));
  return eddy::run(job);
}
