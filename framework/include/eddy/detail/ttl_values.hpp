#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "eddy/codec.hpp"
#include "eddy/detail/json_writer.hpp"
#include "eddy/detail/state_registry.hpp"
#include "eddy/detail/ttl_slots.hpp"

namespace eddy::detail {

/// A value_state slot with a TTL: the value and its last write time.
template <class T>
struct stamped_value {
  T value{};
  int64_t written = 0;

  /// Whether the value is still live at `now` (a value has no parts to drop).
  bool drop_expired(int64_t now, int64_t ttl_ms) const noexcept {
    return !expired(written, now, ttl_ms);
  }
};

/// The values of a value_state with a TTL: what the handle does when it was
/// given an `eddy::ttl`. Journal ops: `set_stamped(i64 write time, value)`
/// and `erase`. Snapshot: `varint n, (key, value, i64 write time) * n`, live
/// values only. Owned by its handle; used only by the partition actor.
template <class T>
class ttl_values {
public:
  ttl_values(state_registry& reg, uint32_t state_id, std::chrono::milliseconds ttl)
    : slots_(reg, ttl), id_(state_id) {
  }

  /// The current key's live value, or nullptr. Dropping an expired value
  /// changes nothing a reader can see.
  const T* find() {
    auto* s = slots_.find();
    return s ? &s->value : nullptr;
  }

  void set(const T& x) {
    auto now = reg().now();
    auto& s = slots_.find_or_add();
    s.value = x;
    s.written = now;
    reg().log(id_, state_op::set_stamped)(now, x);
  }

  void clear() {
    if (!slots_.find())
      return; // absent or expired: the journal's write time expires it on replay too
    slots_.erase_current();
    reg().log(id_, state_op::erase);
  }

  /// Replays an operation with the rule of live reads: a write already
  /// expired at replay time leaves the key absent.
  void apply(state_op op, std::string_view key, reader& r) {
    if (op == state_op::set_stamped) {
      stamped_value<T> s;
      r(s.written, s.value);
      if (slots_.expired(s.written, reg().now()))
        slots_.erase_key(key);
      else
        slots_.slot_of(key) = std::move(s);
    } else if (op == state_op::erase) {
      slots_.erase_key(key);
    } else if (op == state_op::set) {
      throw decode_error("value_state: the journal holds values without a TTL, the handle has one");
    } else {
      throw decode_error("value_state: unexpected operation in journal");
    }
  }

  void snapshot(writer& w) const {
    auto now = reg().now();
    uint64_t n = 0;
    for (const auto& [k, s] : slots_.values())
      n += slots_.expired(s.written, now) ? 0 : 1;
    w.varint(n);
    for (const auto& [k, s] : slots_.values())
      if (!slots_.expired(s.written, now))
        w(k, s.value, s.written);
  }

  void restore(reader& r) {
    slots_.clear();
    auto now = reg().now();
    auto n = r.varint();
    stamped_value<T> s;
    for (uint64_t i = 0; i < n; ++i) {
      auto k = r.read<std::string>();
      r(s.value, s.written);
      if (!slots_.expired(s.written, now))
        slots_.slot_of(k) = s;
    }
  }

  size_t key_count() const noexcept {
    return slots_.key_count();
  }

  /// Appends the JSON of `key`'s live value, or null; expires nothing.
  void render_json(std::string_view key, std::string& out) const {
    auto i = slots_.values().find(key);
    if (i == slots_.values().end() || slots_.expired(i->second.written, reg().now()))
      out += "null";
    else
      json_writer{out}.write(i->second.value);
  }

  /// Erases the values expired at `now` among the next `budget` keys and
  /// logs an `erase` for each.
  cleanup_result cleanup_expired(int64_t now, size_t budget) {
    return slots_.sweep(budget, [&](std::string_view key, stamped_value<T>& s, cleanup_result& r) {
      if (!slots_.expired(s.written, now))
        return true;
      reg().log(id_, state_op::erase, key);
      ++r.erased;
      return false;
    });
  }

private:
  state_registry& reg() const noexcept {
    return slots_.registry();
  }

  ttl_slots<stamped_value<T>> slots_;
  uint32_t id_;
};

} // namespace eddy::detail
