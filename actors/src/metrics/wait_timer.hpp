#pragma once

#include <chrono>
#include <optional>

#include "metrics/registry.hpp"

namespace eddy::actors::metrics {

/// Adds the time between waiting() and going() to a counter of seconds: how
/// long a producer was paused for lack of credit. Owned by one actor; not
/// thread-safe (the counter is).
class wait_timer {
public:
  wait_timer() = default;
  explicit wait_timer(counter* seconds) : seconds_(seconds) {
  }

  /// The producer cannot go on; a wait already running goes on.
  void waiting() {
    if (!since_)
      since_ = std::chrono::steady_clock::now();
  }

  /// The producer goes on: the wait, if any, is counted.
  void going() {
    if (!since_)
      return;
    if (seconds_)
      seconds_->add(std::chrono::duration<double>(std::chrono::steady_clock::now() - *since_).count());
    since_.reset();
  }

private:
  counter* seconds_ = nullptr;
  std::optional<std::chrono::steady_clock::time_point> since_;
};

} // namespace eddy::actors::metrics
