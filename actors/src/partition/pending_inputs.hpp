#pragma once

// Credit on the partition's side: while its released outputs fill its
// window (unacknowledged downstream), a partition applies no more input, so
// its memory stays bounded; deliveries wait here, and go on in order once
// acks return credit.

#include <deque>
#include <utility>

#include "protocol.hpp"

namespace eddy::actors {

/// Deliveries of the exchange that wait for output credit, oldest first.
/// Plain C++, owned by one partition actor; not thread-safe.
class pending_inputs {
public:
  /// Keeps `d` if it must wait: the outputs have no `credit`, or earlier
  /// deliveries wait (they go first). Returns true if it kept `d`.
  bool wait(deliver_msg& d, bool credit) {
    if (queue_.empty() && credit)
      return false;
    queue_.push_back(std::move(d));
    return true;
  }

  /// Hands the waiting deliveries to `apply` in order while `credit()`
  /// holds; stops early when `apply` returns false (user code threw).
  template <class Credit, class Apply>
  void drain(Credit&& credit, Apply&& apply) {
    while (!queue_.empty() && credit()) {
      auto d = std::move(queue_.front());
      queue_.pop_front();
      if (!apply(d))
        return;
    }
  }

  bool empty() const noexcept {
    return queue_.empty();
  }

private:
  std::deque<deliver_msg> queue_;
};

} // namespace eddy::actors
