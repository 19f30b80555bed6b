#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "eddy/codec.hpp"
#include "eddy/detail/json_writer.hpp"
#include "eddy/detail/state_registry.hpp"

namespace eddy::detail {

/// The per-key storage of a handle without a TTL: one `V` per key in a key
/// map, with a cache of the current key's slot so repeated access does one
/// lookup per record. Snapshot: `varint n, (key, value) * n`.
/// Owned by its handle; used only by the partition actor.
template <class V>
class keyed_slots : public state_base {
protected:
  /// The current key's slot, or nullptr if the key has none.
  V* find() const {
    auto& reg = registry();
    if (cache_generation_ != reg.key_generation()) {
      auto i = values_.find(reg.current_key());
      cache_ = i == values_.end() ? nullptr : const_cast<V*>(&i->second);
      cache_generation_ = reg.key_generation();
    }
    return cache_;
  }
  V& find_or_add() {
    if (auto* v = find())
      return *v;
    auto [i, added] = values_.try_emplace(std::string{registry().current_key()});
    cache_ = &i->second;
    return i->second;
  }
  void erase_current() {
    values_.erase(std::string{registry().current_key()});
    cache_ = nullptr;
    cache_generation_ = registry().key_generation();
  }
  /// For replay: the slot of `key`, added if missing.
  V& slot_of(std::string_view key) {
    cache_generation_ = 0;
    return slot_in(values_, key);
  }
  void erase_key(std::string_view key) {
    cache_generation_ = 0;
    values_.erase(std::string{key});
  }

public:
  void snapshot(writer& w) const override {
    w.varint(values_.size());
    for (const auto& [k, v] : values_) {
      w.write(k);
      w.write(v);
    }
  }
  void restore(reader& r) override {
    values_.clear();
    cache_generation_ = 0;
    auto n = r.varint();
    values_.reserve(n);
    for (uint64_t i = 0; i < n; ++i) {
      auto k = r.read<std::string>();
      r.read(values_.try_emplace(std::move(k)).first->second);
    }
  }
  size_t key_count() const override {
    return values_.size();
  }
  std::string schema() const override {
    return schema_of<V>();
  }
  bool render_json(std::string_view key, std::string& out) const override {
    auto i = values_.find(key);
    if (i == values_.end())
      out += "null";
    else
      json_writer{out}.write(i->second);
    return true;
  }

private:
  key_map<V> values_;
  mutable V* cache_ = nullptr;
  mutable uint64_t cache_generation_ = 0;
};

} // namespace eddy::detail
