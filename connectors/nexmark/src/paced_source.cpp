#include "eddy/connectors/nexmark/paced_source.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <string>
#include <thread>

namespace eddy::connectors::nexmark {

namespace {

int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool parse_u64(std::string_view text, uint64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size() && !text.empty();
}

class paced final : public eddy::source<event> {
public:
  paced(generator_config config, int64_t tick_us, int64_t start_ms)
    : config_(config), tick_us_(tick_us), start_ms_(start_ms) {
  }

  std::string name() const override {
    return "paced nexmark(" + std::to_string(config_.events) + " events at "
           + std::to_string(config_.rate) + "/s, seed " + std::to_string(config_.seed) + ")";
  }

  error check() const override {
    if (config_.rate == 0)
      return {errc::invalid_argument, "paced nexmark source: rate must be positive"};
    return {};
  }

  error open(std::string_view position) override {
    if (position.empty()) {
      next_ = 0;
      config_.base_time_ms = start_ms_ > 0 ? start_ms_ : wall_us() / 1000;
      return {};
    }
    auto at = position.find('@');
    uint64_t n = 0, start = 0;
    if (at == std::string_view::npos || !parse_u64(position.substr(0, at), n)
        || !parse_u64(position.substr(at + 1), start))
      return {errc::corrupt,
              "position '" + std::string{position} + "' of " + name() + " is not 'n@start_ms'"};
    if (n > config_.events)
      return {errc::corrupt,
              "position " + std::string{position} + " is beyond the end of " + name()};
    next_ = n;
    config_.base_time_ms = static_cast<int64_t>(start);
    return {};
  }

  expected<size_t> read(size_t max, const std::function<void(const event&)>& fn) override {
    if (finished() || max == 0)
      return size_t{0};
    auto wall = wall_us();
    auto now = released_by(wall);
    if (due_us(next_) > now) {
      // Open loop: nothing is released yet. Sleep, but briefly, so
      // acknowledgements in the source actor's mailbox are not held up long.
      if (auto wait = release_us(due_us(next_)) - wall; wait > 0)
        std::this_thread::sleep_for(std::chrono::microseconds(std::min<int64_t>(wait, 1000)));
      now = released_by(wall_us());
    }
    size_t n = 0;
    for (; n < max && !finished() && due_us(next_) <= now; ++n)
      fn(generate(config_, next_++));
    return n;
  }

  bool finished() const override {
    return next_ >= config_.events;
  }

  std::string position() const override {
    return std::to_string(next_) + "@" + std::to_string(config_.base_time_ms);
  }

private:
  /// When event n is due, in epoch µs; its date_time is this in ms, rounded
  /// down (the arithmetic of timestamp_of).
  int64_t due_us(uint64_t n) const {
    double inter_event_delay_us = 1'000'000.0 / static_cast<double>(config_.rate);
    return config_.base_time_ms * 1000
           + static_cast<int64_t>(static_cast<double>(n) * inter_event_delay_us);
  }

  /// The latest due time released at wall time `now` (µs): `now`, or with a
  /// tick the last tick boundary counted from the start.
  int64_t released_by(int64_t now) const {
    auto since = now - config_.base_time_ms * 1000;
    if (tick_us_ <= 0 || since < 0)
      return now;
    return now - since % tick_us_;
  }

  /// When an event due at `due` (µs) is released: then, or with a tick at
  /// the next tick boundary.
  int64_t release_us(int64_t due) const {
    auto since = due - config_.base_time_ms * 1000;
    if (tick_us_ <= 0 || since < 0)
      return due;
    return due + (tick_us_ - since % tick_us_) % tick_us_;
  }

  generator_config config_; ///< base_time_ms is the start, set by open()
  int64_t tick_us_;
  int64_t start_ms_; ///< 0: the wall clock at the first open
  uint64_t next_ = 0;
};

} // namespace

std::unique_ptr<eddy::source<event>> paced_source(generator_config config, std::chrono::microseconds tick, int64_t start_ms) {
  return std::make_unique<paced>(config, tick.count(), start_ms);
}

} // namespace eddy::connectors::nexmark
