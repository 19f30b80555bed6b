#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "eddy/codec.hpp"
#include "eddy/detail/state_registry.hpp"

namespace eddy {

/// The timers of a keyed function, event time and processing time, scoped to
/// the current key like the state handles, and as durable: adding, removing
/// and firing a timer are journaled, so a timer fires once across crashes.
/// A user reaches it through `ctx.timers()`; the runtime fires event-time
/// timers as the operator's watermark passes them and processing-time timers
/// by the wall clock, calling `on_timer`. Owned by the partition logic; used
/// only by the partition actor.
class timer_service : public detail::state_base {
public:
  timer_service() {
    name("timers");
  }

  std::string schema() const override {
    return "timers";
  }

  /// Calls on_timer(ts) once the watermark reaches `ts` (once per key and ts).
  void at_event_time(int64_t ts) {
    add(event, ts);
  }
  /// Calls on_timer(ts) once the wall clock reaches `ts` (ms since the epoch).
  void at_processing_time(int64_t ts) {
    add(processing, ts);
  }
  void remove_event_time(int64_t ts) {
    remove(event, ts);
  }
  void remove_processing_time(int64_t ts) {
    remove(processing, ts);
  }

  /// Removes every event-time timer at or before `watermark`, in time order,
  /// and calls `fn(ts)` for each with its key current.
  template <class F>
  void fire_event_timers(int64_t watermark, F&& fn) {
    fire(event, watermark, fn);
  }
  /// Likewise for processing-time timers at or before `now`.
  template <class F>
  void fire_processing_timers(int64_t now, F&& fn) {
    fire(processing, now, fn);
  }
  /// The earliest processing-time timer, if any.
  std::optional<int64_t> next_processing_time() const {
    if (queue_[processing].empty())
      return std::nullopt;
    return queue_[processing].begin()->first;
  }
  /// Number of timers set, both kinds.
  size_t size() const noexcept {
    return queue_[event].size() + queue_[processing].size();
  }

  void apply(detail::state_op op, std::string_view key, reader& r) override {
    auto k = r.read<uint8_t>();
    auto ts = r.read<int64_t>();
    if (k > processing)
      throw decode_error("timer_service: unknown timer kind in journal");
    if (op == detail::state_op::timer_add)
      queue_[k].emplace(ts, std::string{key});
    else if (op == detail::state_op::timer_remove)
      queue_[k].erase({ts, std::string{key}});
    else
      throw decode_error("timer_service: unexpected operation in journal");
  }
  /// `(varint n, (i64 ts, key) * n)` for event, then processing time.
  void snapshot(writer& w) const override {
    for (auto& q : queue_) {
      w.varint(q.size());
      for (auto& [ts, key] : q)
        w(ts, key);
    }
  }
  void restore(reader& r) override {
    for (auto& q : queue_) {
      q.clear();
      auto n = r.varint();
      for (uint64_t i = 0; i < n; ++i) {
        auto ts = r.read<int64_t>();
        q.emplace(ts, r.read<std::string>());
      }
    }
  }
  size_t key_count() const override {
    return size();
  }

private:
  enum kind : uint8_t { event = 0, processing = 1 };

  void add(kind k, int64_t ts) {
    auto key = registry().current_key();
    if (queue_[k].emplace(ts, std::string{key}).second)
      registry().log(id(), detail::state_op::timer_add)(static_cast<uint8_t>(k), ts);
  }
  void remove(kind k, int64_t ts) {
    auto key = registry().current_key();
    if (queue_[k].erase({ts, std::string{key}}) > 0)
      registry().log(id(), detail::state_op::timer_remove)(static_cast<uint8_t>(k), ts);
  }
  template <class F>
  void fire(kind k, int64_t until, F& fn) {
    auto& q = queue_[k];
    while (!q.empty() && q.begin()->first <= until) {
      auto node = q.extract(q.begin());
      auto& [ts, key] = node.value();
      registry().current_key(key);
      registry().log(id(), detail::state_op::timer_remove)(static_cast<uint8_t>(k), ts);
      fn(ts);
    }
  }

  std::set<std::pair<int64_t, std::string>> queue_[2];
};

} // namespace eddy
