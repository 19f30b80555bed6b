// How the job builder exposes source splits and sink instances to the
// runtime (dataflow::source_stage, sink_stage): a runner per split with its
// own reader, chain and port; a runner per sink instance.

#include <boost/test/unit_test.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "eddy/job.hpp"

using namespace eddy;

namespace {

/// Values `base + 0 .. base + count - 1`; position = the next index.
class counting_source final : public source<int64_t> {
public:
  counting_source(int64_t base, int64_t count) : base_(base), count_(count) {
  }
  std::string name() const override {
    return "count from " + std::to_string(base_);
  }
  error open(std::string_view position) override {
    next_ = position.empty() ? 0 : std::stoll(std::string{position});
    return {};
  }
  expected<size_t> read(size_t max, const std::function<void(const int64_t&)>& fn) override {
    size_t n = 0;
    for (; n < max && next_ < count_; ++n)
      fn(base_ + next_++);
    return n;
  }
  bool finished() const override {
    return next_ >= count_;
  }
  std::string position() const override {
    return std::to_string(next_);
  }

private:
  int64_t base_, count_, next_ = 0;
};

/// Splits "100" and "200", each a counting_source of three values.
class split_source final : public source<int64_t> {
public:
  std::string name() const override {
    return "split";
  }
  expected<std::vector<std::string>> splits(uint32_t) const override {
    return std::vector<std::string>{"100", "200"};
  }
  expected<std::unique_ptr<source<int64_t>>> reader(const std::string& split) const override {
    if (split != "100" && split != "200")
      return error{errc::invalid_argument, "no split " + split};
    return std::unique_ptr<source<int64_t>>{std::make_unique<counting_source>(std::stoll(split), 3)};
  }
  error open(std::string_view) override {
    return {errc::invalid_argument, "read through the splits"};
  }
  expected<size_t> read(size_t, const std::function<void(const int64_t&)>&) override {
    return error{errc::invalid_argument, "read through the splits"};
  }
  bool finished() const override {
    return true;
  }
  std::string position() const override {
    return {};
  }
};

/// Remembers what a chain delivered: decoded payloads and the watermark.
struct recording_port final : dataflow::output_port {
  std::vector<int64_t> values;
  int64_t watermark = min_time;
  void push(uint32_t, uint32_t, std::string_view, int64_t, std::string_view payload) override {
    values.push_back(decode<int64_t>(payload));
  }
  void propose_watermark(int64_t wm) override {
    watermark = std::max(watermark, wm);
  }
};

/// Records which instance it is and what it was given.
struct instance_log {
  std::map<uint32_t, std::vector<int64_t>> written;
  std::map<uint32_t, sink_marks> committed;
};

class instance_sink final : public sink<int64_t> {
public:
  instance_sink(std::shared_ptr<instance_log> log, uint32_t index)
    : log_(std::move(log)), index_(index) {
  }
  std::string name() const override {
    return "instances";
  }
  uint32_t max_instances() const override {
    return 4;
  }
  expected<std::unique_ptr<sink<int64_t>>> instance(uint32_t index, uint32_t count) const override {
    if (index >= count || count > max_instances())
      return error{errc::invalid_argument, "bad instance"};
    return std::unique_ptr<sink<int64_t>>{std::make_unique<instance_sink>(log_, index)};
  }
  expected<std::optional<sink_marks>> open(std::string_view) override {
    auto it = log_->committed.find(index_);
    return std::optional<sink_marks>{it == log_->committed.end() ? sink_marks{} : it->second};
  }
  error write(const int64_t& x) override {
    log_->written[index_].push_back(x);
    return {};
  }
  expected<std::string> commit(const sink_marks& marks) override {
    log_->committed[index_] = marks;
    return std::string{"ok"};
  }

private:
  std::shared_ptr<instance_log> log_;
  uint32_t index_;
};

/// Pumps `runner` to its end.
void drain(dataflow::source_runner& runner) {
  while (!runner.finished())
    BOOST_REQUIRE(runner.pump(2));
}

} // namespace

BOOST_AUTO_TEST_SUITE(job_splits)

BOOST_AUTO_TEST_CASE(each_split_gets_its_own_reader_chain_and_watermark) {
  job j{"splits"};
  j.source(std::unique_ptr<source<int64_t>>(new split_source))
    .map([](const int64_t& x) { return x + 1; })
    .with_timestamps([](const int64_t& x) { return x; }, std::chrono::milliseconds(0))
    .sink(std::unique_ptr<sink<int64_t>>(new instance_sink(std::make_shared<instance_log>(), 0)));
  auto& stage = *j.graph().source;
  auto splits = stage.splits(8);
  BOOST_REQUIRE(splits);
  BOOST_TEST((*splits == std::vector<std::string>{"100", "200"}));
  recording_port a, b;
  auto ra = stage.make_runner(a, "100");
  auto rb = stage.make_runner(b, "200");
  BOOST_REQUIRE(ra);
  BOOST_REQUIRE(rb);
  BOOST_REQUIRE(!(*rb)->open(""));
  BOOST_REQUIRE(!(*ra)->open("1")); // positions are per split
  drain(**rb);
  drain(**ra);
  BOOST_TEST((a.values == std::vector<int64_t>{102, 103}));
  BOOST_TEST((b.values == std::vector<int64_t>{201, 202, 203}));
  // Each chain tracks its own highest timestamp: split 100 never saw 203.
  BOOST_TEST(a.watermark == 102);
  BOOST_TEST(b.watermark == 202);
  BOOST_TEST((*ra)->position() == "3");
  recording_port c;
  BOOST_TEST(!stage.make_runner(c, "300"));
}

BOOST_AUTO_TEST_CASE(a_source_without_splits_is_its_own_single_split) {
  job j{"no-splits"};
  j.source(std::unique_ptr<source<int64_t>>(new counting_source(0, 4)))
    .sink(std::unique_ptr<sink<int64_t>>(new instance_sink(std::make_shared<instance_log>(), 0)));
  auto& stage = *j.graph().source;
  auto splits = stage.splits(3);
  BOOST_REQUIRE(splits);
  BOOST_TEST((*splits == std::vector<std::string>{""}));
  recording_port p;
  auto r = stage.make_runner(p, "");
  BOOST_REQUIRE(r);
  BOOST_REQUIRE(!(*r)->open(""));
  drain(**r);
  BOOST_TEST((p.values == std::vector<int64_t>{0, 1, 2, 3}));
  BOOST_TEST(!stage.make_runner(p, "other"));
}

BOOST_AUTO_TEST_CASE(a_sink_stage_makes_a_runner_per_instance_that_passes_marks_through) {
  auto log = std::make_shared<instance_log>();
  job j{"instances"};
  j.source(std::unique_ptr<source<int64_t>>(new counting_source(0, 1)))
    .sink(std::unique_ptr<sink<int64_t>>(new instance_sink(log, 0)));
  auto& stage = *j.graph().sinks.at(0);
  BOOST_TEST(stage.max_instances == 4u);
  auto second = stage.make_runner(1, 2);
  BOOST_REQUIRE(second);
  auto opened = (*second)->open("");
  BOOST_REQUIRE(opened);
  BOOST_REQUIRE(opened->has_value());
  BOOST_TEST((*opened)->empty());
  std::string payload = encode(int64_t{42});
  BOOST_REQUIRE(!(*second)->write({{}, 0, payload}));
  BOOST_REQUIRE((*second)->commit({{0, 5}, {1, 9}}));
  BOOST_TEST((log->written[1] == std::vector<int64_t>{42}));
  auto again = stage.make_runner(1, 2);
  BOOST_REQUIRE(again);
  auto reopened = (*again)->open("ok");
  BOOST_REQUIRE(reopened);
  BOOST_TEST((**reopened == sink_marks{{0, 5}, {1, 9}}));
  BOOST_TEST(!stage.make_runner(2, 2));
}

BOOST_AUTO_TEST_CASE(a_single_instance_sink_refuses_more_instances) {
  struct one final : sink<int64_t> {
    std::string name() const override {
      return "one";
    }
    expected<std::optional<sink_marks>> open(std::string_view) override {
      return std::optional<sink_marks>{};
    }
    error write(const int64_t&) override {
      return {};
    }
    expected<std::string> commit(const sink_marks&) override {
      return std::string{};
    }
  };
  job j{"one"};
  j.source(std::unique_ptr<source<int64_t>>(new counting_source(0, 1)))
    .sink(std::unique_ptr<sink<int64_t>>(new one));
  auto& stage = *j.graph().sinks.at(0);
  BOOST_TEST(stage.max_instances == 1u);
  BOOST_TEST(static_cast<bool>(stage.make_runner(0, 1)));
  BOOST_TEST(!stage.make_runner(0, 2));
}

BOOST_AUTO_TEST_SUITE_END()
