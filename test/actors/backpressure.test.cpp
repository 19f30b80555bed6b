// Credit-based flow control: when the sink is far slower than the source,
// memory stays bounded instead of the mailboxes absorbing the whole input.

#include <boost/test/unit_test.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "eddy/actors/run.hpp"
#include "eddy/connectors/memory/memory.hpp"
#include "eddy/state.hpp"
#include "support/temp_dir.hpp"

using namespace eddy;

namespace {

/// Writes nothing anywhere, slowly: 1 ms per 100 records.
class slow_sink final : public sink<std::string> {
public:
  std::string name() const override {
    return "slow";
  }
  expected<std::optional<sink_marks>> open(std::string_view) override {
    return std::optional<sink_marks>{};
  }
  error write(const std::string&) override {
    if (++written_ % 100 == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return {};
  }
  expected<std::string> commit(const sink_marks&) override {
    return std::to_string(written_);
  }

private:
  uint64_t written_ = 0;
};

struct pass_through {
  value_state<int64_t> seen;
  void on_record(const std::string& s, context<std::string>& ctx) {
    seen = seen.value_or(0) + 1;
    ctx.emit(s);
  }
};

long peak_rss_kib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

/// Runs `records` records of 250 bytes through a slow sink, with its state
/// in a temporary directory removed on return: the exit code and how much
/// the peak RSS grew meanwhile (KiB; -1 if the job failed).
std::pair<int, long> slow_sink_job(uint64_t records) {
  test::temp_dir dir;
  job j{"backpressure"};
  j.config().state_dir = dir.path;
  j.config().log_level = "off";
  j.config().max_key_groups = 16; // 16 partitions: their windows add up to 8 MiB
  auto before = peak_rss_kib();
  j.source(connectors::memory::generate(records, [](uint64_t i) {
       return std::to_string(i % 1000) + std::string(250, 'x');
     }))
    .key_by([](const std::string& s) { return s.substr(0, s.find('x')); })
    .process<pass_through>()
    .sink(std::make_unique<slow_sink>());
  auto result = actors::execute(j);
  return {result.exit_code, result.exit_code == 0 ? peak_rss_kib() - before : -1};
}

} // namespace

BOOST_AUTO_TEST_SUITE(backpressure)

BOOST_AUTO_TEST_CASE(a_slow_sink_keeps_memory_bounded_while_the_source_waits) {
  // 200 MB of records against a sink that takes 1 ms per 100 of them. Run in
  // a child process so its peak RSS is this job's alone.
  constexpr uint64_t records = 800'000;
  int fds[2];
  BOOST_TEST_REQUIRE(::pipe(fds) == 0);
  auto pid = ::fork();
  BOOST_TEST_REQUIRE(pid >= 0);
  if (pid == 0) { // _exit skips destructors: slow_sink_job removes its state itself
    auto [code, growth] = slow_sink_job(records);
    (void) !::write(fds[1], &growth, sizeof growth);
    ::_exit(code);
  }
  long growth = -1;
  BOOST_TEST_REQUIRE(::read(fds[0], &growth, sizeof growth) == static_cast<ssize_t>(sizeof growth));
  int status = 0;
  ::waitpid(pid, &status, 0);
  BOOST_TEST_REQUIRE(WIFEXITED(status));
  BOOST_TEST_REQUIRE(WEXITSTATUS(status) == 0);
  BOOST_TEST_MESSAGE("peak RSS grew by " << growth / 1024 << " MiB for 200 MB of input");
  BOOST_TEST(growth > 0);
  // Without credit the mailboxes would take in most of the 200 MB. With it:
  // the channel budget (16 MiB: 8 at the source, 512 KiB per partition),
  // the entries not yet durable that hold outputs, plus malloc's per-thread
  // arenas (measured with the former 4 MiB source window: 37-41 MiB with
  // MALLOC_ARENA_MAX=1, 47-68 MiB without; on 2026-12-02 at 33e272e and
  // after it alike: 77-85 MiB with MALLOC_ARENA_MAX=1, 88-109 MiB without).
  BOOST_TEST(growth < 128 * 1024);
}

BOOST_AUTO_TEST_SUITE_END()
