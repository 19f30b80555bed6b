#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "eddy/dataflow/batch.hpp"

namespace eddy::actors {

using batch_ptr = std::shared_ptr<const dataflow::record_batch>;

/// The unacknowledged batches of one channel, oldest first: a vector with a
/// moving head. Between two keyed stages there are up to `max_key_groups²`
/// channels holding one or two small batches each, and std::deque allocates
/// a 512-byte block (plus its map) for even one element: at 1024 key groups
/// that was 170 MiB of the peak (bench_memory). An empty queue allocates
/// nothing; one batch costs one pointer pair. Plain C++; not thread-safe.
class batch_queue {
public:
  bool empty() const noexcept {
    return head_ == items_.size();
  }
  size_t size() const noexcept {
    return items_.size() - head_;
  }
  const batch_ptr& front() const {
    return items_[head_];
  }
  void push_back(batch_ptr b) {
    items_.push_back(std::move(b));
  }
  void pop_front() {
    items_[head_++].reset();
    if (head_ == items_.size()) {
      items_.clear();
      head_ = 0;
    } else if (head_ >= 16 && head_ * 2 >= items_.size()) {
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }
  auto begin() const noexcept {
    return items_.begin() + static_cast<std::ptrdiff_t>(head_);
  }
  auto end() const noexcept {
    return items_.end();
  }

private:
  std::vector<batch_ptr> items_;
  size_t head_ = 0;
};

} // namespace eddy::actors
