#pragma once

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/detail/state_registry.hpp"

namespace eddy::detail {

/// Whether a value written at `written` has expired at `now` (Flink's rule:
/// expired from write time + ttl on).
inline bool expired(int64_t written, int64_t now, int64_t ttl_ms) noexcept {
  return now - written >= ttl_ms;
}

/// The per-key slots of a handle with a TTL, kept apart from keyed_slots so
/// that handles without one run exactly the code they ran before. `S` is a
/// slot type with `bool drop_expired(int64_t now, int64_t ttl_ms)`: drops
/// what expired inside the slot and says whether anything is left.
///
/// Like keyed_slots it caches the current key's slot; on each new key
/// generation (each record) it asks the slot to drop what expired and
/// forgets the key if nothing is left. Such drops on read are not journaled:
/// the journal carries the write times, and replay and restore apply the same
/// rule. sweep() visits the keys that are not read, for the incremental
/// cleanup; its handle journals what it erases.
/// Owned by its handle; used only by the partition actor.
template <class S>
class ttl_slots {
public:
  ttl_slots(state_registry& reg, std::chrono::milliseconds ttl) : reg_(reg), ttl_ms_(ttl.count()) {
    if (ttl_ms_ <= 0)
      throw std::invalid_argument("eddy::ttl must be positive");
  }

  state_registry& registry() const noexcept {
    return reg_;
  }
  bool expired(int64_t written, int64_t now) const noexcept {
    return detail::expired(written, now, ttl_ms_);
  }
  int64_t ttl_ms() const noexcept {
    return ttl_ms_;
  }

  /// The current key's slot with what expired dropped, or nullptr.
  S* find() {
    if (cache_generation_ != reg_.key_generation()) {
      cache_generation_ = reg_.key_generation();
      auto i = values_.find(reg_.current_key());
      if (i == values_.end()) {
        cache_ = nullptr;
      } else if (i->second.drop_expired(reg_.now(), ttl_ms_)) {
        cache_ = &i->second;
      } else {
        values_.erase(i);
        cache_ = nullptr;
      }
    }
    return cache_;
  }
  S& find_or_add() {
    if (auto* s = find())
      return *s;
    cache_ = &values_.try_emplace(std::string{reg_.current_key()}).first->second;
    return *cache_;
  }
  void erase_current() {
    values_.erase(std::string{reg_.current_key()});
    cache_ = nullptr;
  }
  /// For replay: the slot of `key`, added if missing, without dropping.
  S& slot_of(std::string_view key) {
    cache_generation_ = 0;
    return slot_in(values_, key);
  }
  /// For replay: the slot of `key`, or nullptr.
  S* at(std::string_view key) {
    auto i = values_.find(key);
    return i == values_.end() ? nullptr : &i->second;
  }
  void erase_key(std::string_view key) {
    cache_generation_ = 0;
    values_.erase(std::string{key});
  }
  void clear() {
    cache_generation_ = 0;
    values_.clear();
  }
  const key_map<S>& values() const noexcept {
    return values_;
  }
  size_t key_count() const noexcept {
    return values_.size();
  }

  /// Visits the slots from where the previous sweep stopped, walking the
  /// hash buckets in order, until about `budget` steps are spent (one per
  /// slot and per empty bucket, plus what `visit` adds to `visited`) or the
  /// last bucket is passed (then `wrapped`, and the next sweep starts over).
  /// `visit(key, slot, result)` counts its erasures in `result` and returns
  /// whether to keep the slot; slots it refuses are erased. A key added or
  /// rehashed between two sweeps may be visited twice or wait a round.
  template <class Visit>
  cleanup_result sweep(size_t budget, Visit&& visit) {
    cleanup_result r;
    r.wrapped = false;
    cache_generation_ = 0; // the current key's slot may go
    while (r.visited < budget) {
      if (sweep_bucket_ >= values_.bucket_count()) {
        sweep_bucket_ = 0;
        sweep_kept_ = 0;
        r.wrapped = true;
        break;
      }
      auto i = values_.begin(sweep_bucket_);
      auto end = values_.end(sweep_bucket_);
      if (i == end)
        ++r.visited;
      for (size_t skip = sweep_kept_; skip > 0 && i != end; --skip)
        ++i; // kept by the previous sweep, which stopped inside this bucket
      for (; i != end && r.visited < budget; ++i) {
        ++r.visited;
        if (visit(std::string_view{i->first}, i->second, r))
          ++sweep_kept_;
        else
          doomed_.push_back(i->first);
      }
      bool bucket_done = i == end;
      // Erasing does not rehash, so the bucket numbers stay valid.
      for (const auto& key : doomed_)
        values_.erase(key);
      doomed_.clear();
      if (bucket_done) {
        ++sweep_bucket_;
        sweep_kept_ = 0;
      }
    }
    return r;
  }

private:
  state_registry& reg_;
  int64_t ttl_ms_;
  key_map<S> values_;
  S* cache_ = nullptr;
  uint64_t cache_generation_ = 0;

  // The cleanup cursor: the bucket the next sweep() continues in, and how
  // many slots at its front the last one kept.
  size_t sweep_bucket_ = 0;
  size_t sweep_kept_ = 0;
  std::vector<std::string> doomed_; // reused by sweep()
};

} // namespace eddy::detail
