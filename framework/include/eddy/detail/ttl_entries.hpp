#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/codec.hpp"
#include "eddy/detail/json_writer.hpp"
#include "eddy/detail/state_registry.hpp"
#include "eddy/detail/ttl_slots.hpp"

namespace eddy::detail {

/// A map_state slot with a TTL: the entries, each entry's last write time,
/// and a lower bound of those times so that a slot with nothing expired is
/// recognized without a scan.
template <class K, class V>
struct stamped_map {
  std::map<K, V> values;
  std::map<K, int64_t> written;
  int64_t oldest = 0;

  void put(const K& k, const V& v, int64_t at) {
    if (values.empty() || at < oldest)
      oldest = at;
    values[k] = v;
    written[k] = at;
  }
  /// Removes `k`; whether it was there.
  bool remove(const K& k) {
    written.erase(k);
    return values.erase(k) > 0;
  }
  /// Drops the entries expired at `now`, calling `on_drop(k)` for each;
  /// whether any are left.
  template <class OnDrop>
  bool drop_expired(int64_t now, int64_t ttl_ms, OnDrop&& on_drop) {
    if (!expired(oldest, now, ttl_ms))
      return !values.empty();
    oldest = now;
    for (auto i = written.begin(); i != written.end();) {
      if (expired(i->second, now, ttl_ms)) {
        on_drop(i->first);
        values.erase(i->first);
        i = written.erase(i);
      } else {
        oldest = std::min(oldest, i->second);
        ++i;
      }
    }
    return !values.empty();
  }
  bool drop_expired(int64_t now, int64_t ttl_ms) {
    return drop_expired(now, ttl_ms, [](const K&) {});
  }
};

/// The entries of a map_state with a TTL: what the handle does when it was
/// given an `eddy::ttl`; each entry expires on its own. Journal ops:
/// `map_put_stamped(i64 write time, k, v)`, `map_erase(k)` and `erase`.
/// Snapshot: `varint n, (key, varint m, (k, v, i64 write time) * m) * n`,
/// live entries only, keys with none left out.
/// Owned by its handle; used only by the partition actor.
template <class K, class V>
class ttl_entries {
public:
  using map_type = std::map<K, V>;

  ttl_entries(state_registry& reg, uint32_t state_id, std::chrono::milliseconds ttl)
    : slots_(reg, ttl), id_(state_id) {
  }

  /// The current key's live entries, or nullptr. Dropping expired entries
  /// changes nothing a reader can see.
  const map_type* find() {
    auto* s = slots_.find();
    return s ? &s->values : nullptr;
  }

  void put(const K& k, const V& v) {
    auto now = reg().now();
    slots_.find_or_add().put(k, v, now);
    reg().log(id_, state_op::map_put_stamped)(now, k, v);
  }

  void remove(const K& k) {
    auto* s = slots_.find();
    if (!s || !s->remove(k))
      return;
    if (s->values.empty())
      slots_.erase_current();
    reg().log(id_, state_op::map_erase).write(k);
  }

  void clear() {
    if (!slots_.find())
      return;
    slots_.erase_current();
    reg().log(id_, state_op::erase);
  }

  /// Appends the JSON of `key`'s live entries, or null if none is left;
  /// expires nothing.
  void render_json(std::string_view key, std::string& out) const {
    map_type live;
    if (auto i = slots_.values().find(key); i != slots_.values().end())
      for (auto& [k, at] : i->second.written)
        if (!slots_.expired(at, reg().now()))
          live.emplace(k, i->second.values.at(k));
    if (live.empty())
      out += "null";
    else
      json_writer{out}.write(live);
  }

  /// Replays an operation with the rule of live reads: a put already expired
  /// at replay time leaves its entry absent.
  void apply(state_op op, std::string_view key, reader& r) {
    switch (op) {
      case state_op::map_put_stamped: {
        auto at = r.read<int64_t>();
        auto k = r.read<K>();
        auto v = r.read<V>();
        if (!slots_.expired(at, reg().now()))
          slots_.slot_of(key).put(k, v, at);
        else
          remove_replayed(key, k);
        break;
      }
      case state_op::map_erase:
        remove_replayed(key, r.read<K>());
        break;
      case state_op::erase:
        slots_.erase_key(key);
        break;
      case state_op::map_put:
        throw decode_error("map_state: the journal holds entries without a TTL, the handle has one");
      default:
        throw decode_error("map_state: unexpected operation in journal");
    }
  }

  void snapshot(writer& w) const {
    auto now = reg().now();
    auto live = [&](const stamped_map<K, V>& s) {
      uint64_t m = 0;
      for (const auto& [k, at] : s.written)
        m += slots_.expired(at, now) ? 0 : 1;
      return m;
    };
    uint64_t n = 0;
    for (const auto& [key, s] : slots_.values())
      n += live(s) > 0 ? 1 : 0;
    w.varint(n);
    for (const auto& [key, s] : slots_.values()) {
      auto m = live(s);
      if (m == 0)
        continue;
      w.write(key);
      w.varint(m);
      for (const auto& [k, at] : s.written)
        if (!slots_.expired(at, now))
          w(k, s.values.at(k), at);
    }
  }

  void restore(reader& r) {
    slots_.clear();
    auto now = reg().now();
    auto n = r.varint();
    K k{};
    V v{};
    int64_t at = 0;
    for (uint64_t i = 0; i < n; ++i) {
      auto key = r.read<std::string>();
      auto m = r.varint();
      for (uint64_t j = 0; j < m; ++j) {
        r(k, v, at);
        if (!slots_.expired(at, now))
          slots_.slot_of(key).put(k, v, at);
      }
    }
  }

  size_t key_count() const noexcept {
    return slots_.key_count();
  }

  /// Erases the entries expired at `now` among the next `budget` keys' and
  /// logs them: one `erase` for a key whose entries all expired (it needs no
  /// more), else one `map_erase` per expired entry.
  cleanup_result cleanup_expired(int64_t now, size_t budget) {
    return slots_.sweep(budget, [&](std::string_view key, stamped_map<K, V>& s, cleanup_result& r) {
      r.visited += s.values.empty() ? 0 : s.values.size() - 1; // sweep counted one
      dropped_.clear();
      bool left = s.drop_expired(now, slots_.ttl_ms(), [&](const K& k) { dropped_.push_back(k); });
      r.erased += dropped_.size();
      if (!left) {
        reg().log(id_, state_op::erase, key);
        return false;
      }
      for (const auto& k : dropped_)
        reg().log(id_, state_op::map_erase, key).write(k);
      return true;
    });
  }

private:
  state_registry& reg() const noexcept {
    return slots_.registry();
  }
  void remove_replayed(std::string_view key, const K& k) {
    auto* s = slots_.at(key);
    if (!s)
      return;
    s->remove(k);
    if (s->values.empty())
      slots_.erase_key(key);
  }

  ttl_slots<stamped_map<K, V>> slots_;
  uint32_t id_;
  std::vector<K> dropped_; // reused by cleanup_expired()
};

} // namespace eddy::detail
