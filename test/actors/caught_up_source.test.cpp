// A source that has caught up with its input (a read gives fewer values
// than asked) is read again after a pause, not spun on: spinning took a
// core of two from the job at every open-loop rate (bench_nexmark_latency).

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "eddy/actors/run.hpp"
#include "eddy/connectors/memory/memory.hpp"
#include "support/temp_dir.hpp"

using namespace eddy;

namespace {

/// Gives one value per read for `for_ms` of wall time, then ends; counts its reads.
class trickle final : public source<std::string> {
public:
  trickle(std::chrono::milliseconds for_ms, std::shared_ptr<std::atomic<uint64_t>> reads)
    : for_(for_ms), reads_(std::move(reads)) {
  }
  std::string name() const override {
    return "trickle";
  }
  error open(std::string_view position) override {
    next_ = position.empty() ? 0 : std::stoull(std::string{position});
    until_ = std::chrono::steady_clock::now() + for_;
    return {};
  }
  expected<size_t> read(size_t max, const std::function<void(const std::string&)>& fn) override {
    ++*reads_;
    if (finished() || max == 0)
      return size_t{0};
    fn(std::to_string(next_++));
    done_ = std::chrono::steady_clock::now() >= until_;
    return size_t{1};
  }
  bool finished() const override {
    return done_;
  }
  std::string position() const override {
    return std::to_string(next_);
  }

private:
  std::chrono::milliseconds for_;
  std::shared_ptr<std::atomic<uint64_t>> reads_;
  std::chrono::steady_clock::time_point until_;
  uint64_t next_ = 0;
  bool done_ = false;
};

} // namespace

BOOST_AUTO_TEST_SUITE(caught_up_source)

BOOST_AUTO_TEST_CASE(a_source_that_gives_less_than_asked_is_read_again_after_a_watermark_interval) {
  test::temp_dir dir;
  auto reads = std::make_shared<std::atomic<uint64_t>>(0);
  auto out = std::make_shared<std::vector<std::string>>();
  job j{"caught-up"};
  j.config().state_dir = dir.path;
  j.config().log_level = "off";
  j.config().watermark_interval_ms = 5;
  j.source(std::unique_ptr<source<std::string>>(new trickle(std::chrono::milliseconds(400), reads)))
    .sink(connectors::memory::to_vector(out));
  auto result = actors::execute(j);
  BOOST_TEST_REQUIRE(result.exit_code == 0, result.error);
  BOOST_TEST_MESSAGE(*reads << " reads in 400 ms");
  // Every value read arrives, in order.
  BOOST_TEST_REQUIRE(!out->empty());
  for (size_t i = 0; i < out->size(); ++i)
    BOOST_TEST_REQUIRE((*out)[i] == std::to_string(i));
  // One read per 5 ms is 80; spinning made tens of thousands.
  BOOST_TEST(*reads < 400);
}

BOOST_AUTO_TEST_SUITE_END()
