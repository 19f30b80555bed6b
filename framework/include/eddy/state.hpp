#pragma once

// Managed keyed state handles (Flink style). Declare them as members of a
// keyed process function; each access reads or writes the state of the key
// of the record being processed. The framework journals every change and
// restores the state after a crash.
//
//   struct word_count {
//     eddy::value_state<int64_t> count;
//     void on_record(const std::string& word, eddy::context<std::pair<std::string, int64_t>>& ctx) {
//       count = count.value_or(0) + 1;
//       ctx.emit({word, *count});
//     }
//   };
//
// value_state and map_state take an optional `eddy::ttl`: their values (map
// entries) expire that long after their last write, see `ttl` below.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "eddy/codec.hpp"
#include "eddy/time.hpp"

namespace eddy {

/// Time to live of a value_state's values or a map_state's entries, given to
/// the handle's constructor: `value_state<T> v{ttl{std::chrono::minutes(30)}}`.
/// Semantics of Flink's StateTtlConfig defaults: processing time; the clock
/// of a value (map entry) restarts when it is created or written, not when it
/// is read; an expired value is never returned and reads as absent. Whether a
/// value has expired is decided once per record (when its key becomes
/// current), so it cannot vanish between two reads in one `on_record`.
/// Expired values are dropped when read and left out of snapshots; the write
/// times are journaled, so recovery expires them at the same moments.
/// Adding or removing the TTL of a handle whose state is already stored is a
/// state schema change the journal refuses (like Flink).
struct ttl {
  std::chrono::milliseconds duration;
};

namespace detail {

/// Hash and equality for std::string keys that also take string_views.
struct key_hash_fn {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};
struct key_equal_fn {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept {
    return a == b;
  }
};

template <class V>
using key_map = std::unordered_map<std::string, V, key_hash_fn, key_equal_fn>;

/// The state operations of a partition, as journaled: `varint state id,
/// u8 op, varint key size, key bytes, op arguments (codec encoded)`.
enum class state_op : uint8_t {
  set = 1,
  erase = 2,
  map_put = 3,
  map_erase = 4,
  list_add = 5,
  timer_add = 6,
  timer_remove = 7,
  set_stamped = 8,     ///< set by a handle with TTL: `i64 write time, value`
  map_put_stamped = 9, ///< map_put with TTL: `i64 write time, k, v`
};

class state_base;

/// The keyed state of one partition: the handles of one user function
/// object, the current key, and the log of changes since the last take.
/// Owned by the partition's logic; used only by the partition actor.
class state_registry {
public:
  /// Registers a handle; called from handle constructors while this registry
  /// is `current()`.
  uint32_t add(state_base* handle);

  /// The registry being filled by constructors on this thread, or nullptr.
  static state_registry* current() noexcept;

  /// Makes `r` current on this thread while a user function object is built.
  class scope {
  public:
    explicit scope(state_registry* r);
    ~scope();

  private:
    state_registry* previous_;
  };

  void current_key(std::string_view key) noexcept {
    current_key_ = key;
    ++key_generation_;
  }
  std::string_view current_key() const noexcept {
    return current_key_;
  }
  uint64_t key_generation() const noexcept {
    return key_generation_;
  }

  /// Starts a log record for `op` on `handle` and the current key; the caller
  /// appends the arguments with the returned writer.
  writer log(uint32_t state_id, state_op op) {
    if (!logging_) {
      scratch_.clear(); // nobody reads the log: encode into a buffer reused each time
      return writer{scratch_};
    }
    last_start_ = log_.size();
    last_id_ = state_id;
    last_op_ = op;
    last_key_.assign(current_key_);
    writer w{log_};
    w.varint(state_id);
    w.write(static_cast<uint8_t>(op));
    w.varint(current_key_.size());
    w.bytes(current_key_.data(), current_key_.size());
    return w;
  }

  /// Like log(), for an operation that makes the previous one pointless if
  /// that was the same operation on the same handle and key (a value set
  /// again): the previous record is dropped. A hot key written by several
  /// records in a row then costs the journal one record.
  writer log_replacing(uint32_t state_id, state_op op) {
    if (logging_ && last_start_ != no_record && last_id_ == state_id && last_op_ == op
        && last_key_ == current_key_)
      log_.resize(last_start_);
    return log(state_id, op);
  }

  /// Moves the change log accumulated since the last call into `out`.
  void take_log(std::string& out) {
    out.swap(log_);
    log_.clear();
    last_start_ = no_record;
  }
  bool log_empty() const noexcept {
    return log_.empty();
  }

  /// Turns the change log off (journal off: snapshots only) or on.
  void logging(bool on) noexcept {
    logging_ = on;
  }

  /// Applies a change log written by this registry's handles (recovery).
  void apply_log(std::string_view log);

  /// Encodes all state of all handles.
  void snapshot(std::string& out) const;

  /// Replaces all state with a snapshot.
  void restore(std::string_view bytes);

  /// Number of keys with any state, summed over handles.
  size_t key_count() const;

  /// Processing time as the handles with a TTL see it: processing_time_now(),
  /// or the time a test set.
  int64_t now() const {
    return now_for_testing_ ? *now_for_testing_ : processing_time_now();
  }
  /// Test only: fixes now() at `t` (nullopt: the wall clock again).
  void now_for_testing(std::optional<int64_t> t) noexcept {
    now_for_testing_ = t;
  }

private:
  std::vector<state_base*> handles_;
  std::string_view current_key_;
  uint64_t key_generation_ = 1;
  std::string log_;
  std::string scratch_;
  bool logging_ = true;
  static constexpr size_t no_record = SIZE_MAX;
  size_t last_start_ = no_record; ///< where the last record of log_ starts
  uint32_t last_id_ = 0;          ///< ... its handle, operation and key
  state_op last_op_{};
  std::string last_key_;
  std::optional<int64_t> now_for_testing_;
};

/// Common base of the state handles; type-erased access for the registry.
class state_base {
public:
  state_base();
  state_base(const state_base&) = delete;
  state_base& operator=(const state_base&) = delete;
  virtual ~state_base() = default;

  /// Applies one logged operation for `key`, reading its arguments from `r`.
  virtual void apply(state_op op, std::string_view key, reader& r) = 0;
  virtual void snapshot(writer& w) const = 0;
  virtual void restore(reader& r) = 0;
  virtual size_t key_count() const = 0;

protected:
  state_registry& registry() const {
    return *registry_;
  }
  uint32_t id() const noexcept {
    return id_;
  }

private:
  state_registry* registry_;
  uint32_t id_;
};

/// State that holds one value (per key) in a key map, with a cache of the
/// current key's slot so repeated access does one lookup per record.
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
  V& slot_of(std::string_view key) {
    cache_generation_ = 0;
    return values_.try_emplace(std::string{key}).first->second;
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
    for (uint64_t i = 0; i < n; ++i) {
      auto k = r.read<std::string>();
      r.read(values_[k]);
    }
  }
  size_t key_count() const override {
    return values_.size();
  }

private:
  key_map<V> values_;
  mutable V* cache_ = nullptr;
  mutable uint64_t cache_generation_ = 0;
};

/// Whether a value written at `written` has expired at `now` (Flink's rule:
/// expired from write time + ttl on).
inline bool expired(int64_t written, int64_t now, int64_t ttl_ms) noexcept {
  return now - written >= ttl_ms;
}

/// A value_state slot with a TTL: the value and its last write time.
template <class T>
struct stamped_value {
  T value{};
  int64_t written = 0;

  /// Whether the slot still holds a live value at `now`.
  bool purge(int64_t now, int64_t ttl_ms) const noexcept {
    return !expired(written, now, ttl_ms);
  }
};

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
  void remove(const K& k) {
    values.erase(k);
    written.erase(k);
  }
  /// Drops the entries expired at `now`; whether any are left.
  bool purge(int64_t now, int64_t ttl_ms) {
    if (!expired(oldest, now, ttl_ms))
      return !values.empty();
    oldest = now;
    for (auto i = written.begin(); i != written.end();) {
      if (expired(i->second, now, ttl_ms)) {
        values.erase(i->first);
        i = written.erase(i);
      } else {
        oldest = std::min(oldest, i->second);
        ++i;
      }
    }
    return !values.empty();
  }
};

/// The per-key slots of a handle with a TTL, kept apart from keyed_slots so
/// that handles without one run exactly the code they ran before. Like
/// keyed_slots it caches the current key's slot; on each new key generation
/// (each record) it asks the slot to purge what expired and forgets the key if
/// nothing is left. Such drops are not journaled: the journal carries the
/// write times, and replay and restore apply the same rule.
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
  int64_t ttl_ms() const noexcept {
    return ttl_ms_;
  }
  bool expired(int64_t written, int64_t now) const noexcept {
    return detail::expired(written, now, ttl_ms_);
  }

  /// The current key's slot with what expired dropped, or nullptr.
  S* find() {
    if (cache_generation_ != reg_.key_generation()) {
      cache_generation_ = reg_.key_generation();
      auto i = values_.find(reg_.current_key());
      if (i == values_.end()) {
        cache_ = nullptr;
      } else if (i->second.purge(reg_.now(), ttl_ms_)) {
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
  /// For replay: the slot of `key`, without purging.
  S& slot_of(std::string_view key) {
    cache_generation_ = 0;
    return values_.try_emplace(std::string{key}).first->second;
  }
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
  size_t size() const noexcept {
    return values_.size();
  }

private:
  state_registry& reg_;
  int64_t ttl_ms_;
  key_map<S> values_;
  S* cache_ = nullptr;
  uint64_t cache_generation_ = 0;
};

} // namespace detail

/// One value of type `T` per key, or none. Reads like std::optional<T>.
/// Constructed with an `eddy::ttl`, values expire that long after their last
/// write (see `ttl`); without, the handle runs the plain keyed_slots path.
template <class T>
class value_state : public detail::keyed_slots<T> {
  using base = detail::keyed_slots<T>;
  using ttl_slots = detail::ttl_slots<detail::stamped_value<T>>;

public:
  value_state() = default;
  /// A handle whose values expire `t.duration` after their last write.
  explicit value_state(ttl t) : ttl_(std::make_unique<ttl_slots>(this->registry(), t.duration)) {
  }

  explicit operator bool() const {
    return current() != nullptr;
  }
  bool has_value() const {
    return current() != nullptr;
  }
  /// The current key's value; throws std::logic_error if it has none.
  const T& value() const {
    if (auto* v = current())
      return *v;
    throw std::logic_error("value_state: the current key has no value");
  }
  const T& operator*() const {
    return value();
  }
  const T* operator->() const {
    return &value();
  }
  T value_or(T fallback) const {
    auto* v = current();
    return v ? *v : std::move(fallback);
  }

  value_state& operator=(const T& x) {
    if (ttl_) [[unlikely]] {
      auto now = this->registry().now();
      auto& s = ttl_->find_or_add();
      s.value = x;
      s.written = now;
      this->registry().log(this->id(), detail::state_op::set_stamped)(now, x);
      return *this;
    }
    this->find_or_add() = x;
    this->registry().log_replacing(this->id(), detail::state_op::set).write(x);
    return *this;
  }
  value_state& operator=(const std::optional<T>& x) {
    if (x)
      return *this = *x;
    clear();
    return *this;
  }
  value_state& operator=(std::nullopt_t) {
    clear();
    return *this;
  }
  void clear() {
    if (ttl_) [[unlikely]] {
      if (!ttl_->find())
        return; // absent or expired: the journal's write time expires it on replay too
      ttl_->erase_current();
    } else {
      if (!this->find())
        return;
      this->erase_current();
    }
    this->registry().log(this->id(), detail::state_op::erase);
  }

  void apply(detail::state_op op, std::string_view key, reader& r) override {
    if (ttl_) [[unlikely]]
      return apply_stamped(op, key, r);
    if (op == detail::state_op::set)
      r.read(this->slot_of(key));
    else if (op == detail::state_op::erase)
      this->erase_key(key);
    else if (op == detail::state_op::set_stamped)
      throw decode_error("value_state: the journal holds values with a TTL, the handle has none");
    else
      throw decode_error("value_state: unexpected operation in journal");
  }
  /// With a TTL: `varint n, (key, value, i64 write time) * n`, live values only.
  void snapshot(writer& w) const override {
    if (!ttl_)
      return base::snapshot(w);
    auto now = ttl_->registry().now();
    uint64_t n = 0;
    for (const auto& [k, s] : ttl_->values())
      n += ttl_->expired(s.written, now) ? 0 : 1;
    w.varint(n);
    for (const auto& [k, s] : ttl_->values())
      if (!ttl_->expired(s.written, now))
        w(k, s.value, s.written);
  }
  void restore(reader& r) override {
    if (!ttl_)
      return base::restore(r);
    ttl_->clear();
    auto now = ttl_->registry().now();
    auto n = r.varint();
    detail::stamped_value<T> s;
    for (uint64_t i = 0; i < n; ++i) {
      auto k = r.read<std::string>();
      r(s.value, s.written);
      if (!ttl_->expired(s.written, now))
        ttl_->slot_of(k) = s;
    }
  }
  size_t key_count() const override {
    return ttl_ ? ttl_->size() : base::key_count();
  }

private:
  /// The current key's live value, or nullptr.
  const T* current() const {
    if (ttl_) [[unlikely]] {
      // Dropping an expired value changes nothing a reader can see.
      auto* s = ttl_->find();
      return s ? &s->value : nullptr;
    }
    return this->find();
  }
  /// Replays an operation with the rule of live reads: a write already
  /// expired at replay time leaves the key absent.
  void apply_stamped(detail::state_op op, std::string_view key, reader& r) {
    if (op == detail::state_op::set_stamped) {
      detail::stamped_value<T> s;
      r(s.written, s.value);
      if (ttl_->expired(s.written, ttl_->registry().now()))
        ttl_->erase_key(key);
      else
        ttl_->slot_of(key) = std::move(s);
    } else if (op == detail::state_op::erase) {
      ttl_->erase_key(key);
    } else if (op == detail::state_op::set) {
      throw decode_error("value_state: the journal holds values without a TTL, the handle has one");
    } else {
      throw decode_error("value_state: unexpected operation in journal");
    }
  }

  std::unique_ptr<ttl_slots> ttl_; // only for a handle with a TTL
};

/// A map from user keys `K` to values `V` per key. Constructed with an
/// `eddy::ttl`, each entry expires that long after its last write (see `ttl`).
template <class K, class V>
class map_state : public detail::keyed_slots<std::map<K, V>> {
  using map_type = std::map<K, V>;
  using base = detail::keyed_slots<map_type>;
  using ttl_slots = detail::ttl_slots<detail::stamped_map<K, V>>;

public:
  map_state() = default;
  /// A handle whose entries expire `t.duration` after their last write.
  explicit map_state(ttl t) : ttl_(std::make_unique<ttl_slots>(this->registry(), t.duration)) {
  }

  /// The value for `k` under the current key, or nullptr.
  const V* get(const K& k) const {
    auto* m = current();
    if (!m)
      return nullptr;
    auto i = m->find(k);
    return i == m->end() ? nullptr : &i->second;
  }
  bool contains(const K& k) const {
    return get(k) != nullptr;
  }
  size_t size() const {
    auto* m = current();
    return m ? m->size() : 0;
  }
  bool empty() const {
    return size() == 0;
  }
  void put(const K& k, const V& v) {
    if (ttl_) [[unlikely]] {
      auto now = this->registry().now();
      ttl_->find_or_add().put(k, v, now);
      this->registry().log(this->id(), detail::state_op::map_put_stamped)(now, k, v);
      return;
    }
    this->find_or_add()[k] = v;
    this->registry().log(this->id(), detail::state_op::map_put)(k, v);
  }
  void remove(const K& k) {
    if (ttl_) [[unlikely]] {
      auto* s = ttl_->find();
      if (!s || s->values.erase(k) == 0)
        return;
      s->written.erase(k);
      if (s->values.empty())
        ttl_->erase_current();
    } else {
      auto* m = this->find();
      if (!m || m->erase(k) == 0)
        return;
      if (m->empty())
        this->erase_current();
    }
    this->registry().log(this->id(), detail::state_op::map_erase).write(k);
  }
  void clear() {
    if (ttl_) [[unlikely]] {
      if (!ttl_->find())
        return;
      ttl_->erase_current();
    } else {
      if (!this->find())
        return;
      this->erase_current();
    }
    this->registry().log(this->id(), detail::state_op::erase);
  }
  /// The current key's entries, ordered by user key.
  const map_type& entries() const {
    auto* m = current();
    return m ? *m : empty_;
  }
  auto begin() const {
    return entries().begin();
  }
  auto end() const {
    return entries().end();
  }

  void apply(detail::state_op op, std::string_view key, reader& r) override {
    if (ttl_) [[unlikely]]
      return apply_stamped(op, key, r);
    switch (op) {
      case detail::state_op::map_put: {
        auto k = r.read<K>();
        r.read(this->slot_of(key)[k]);
        break;
      }
      case detail::state_op::map_erase: {
        auto k = r.read<K>();
        auto& m = this->slot_of(key);
        m.erase(k);
        if (m.empty())
          this->erase_key(key);
        break;
      }
      case detail::state_op::erase:
        this->erase_key(key);
        break;
      case detail::state_op::map_put_stamped:
        throw decode_error("map_state: the journal holds entries with a TTL, the handle has none");
      default:
        throw decode_error("map_state: unexpected operation in journal");
    }
  }
  /// With a TTL: `varint n, (key, varint m, (k, v, i64 write time) * m) * n`,
  /// live entries only, keys with none left out.
  void snapshot(writer& w) const override {
    if (!ttl_)
      return base::snapshot(w);
    auto now = ttl_->registry().now();
    auto live = [&](const detail::stamped_map<K, V>& s) {
      uint64_t m = 0;
      for (const auto& [k, at] : s.written)
        m += ttl_->expired(at, now) ? 0 : 1;
      return m;
    };
    uint64_t n = 0;
    for (const auto& [key, s] : ttl_->values())
      n += live(s) > 0 ? 1 : 0;
    w.varint(n);
    for (const auto& [key, s] : ttl_->values()) {
      auto m = live(s);
      if (m == 0)
        continue;
      w.write(key);
      w.varint(m);
      for (const auto& [k, at] : s.written)
        if (!ttl_->expired(at, now))
          w(k, s.values.at(k), at);
    }
  }
  void restore(reader& r) override {
    if (!ttl_)
      return base::restore(r);
    ttl_->clear();
    auto now = ttl_->registry().now();
    auto n = r.varint();
    K k{};
    V v{};
    int64_t at = 0;
    for (uint64_t i = 0; i < n; ++i) {
      auto key = r.read<std::string>();
      auto m = r.varint();
      for (uint64_t j = 0; j < m; ++j) {
        r(k, v, at);
        if (!ttl_->expired(at, now))
          ttl_->slot_of(key).put(k, v, at);
      }
    }
  }
  size_t key_count() const override {
    return ttl_ ? ttl_->size() : base::key_count();
  }

private:
  /// The current key's live entries, or nullptr.
  const map_type* current() const {
    if (ttl_) [[unlikely]] {
      // Dropping expired entries changes nothing a reader can see.
      auto* s = ttl_->find();
      return s ? &s->values : nullptr;
    }
    return this->find();
  }
  /// Replays an operation with the rule of live reads: a put already expired
  /// at replay time leaves its entry absent.
  void apply_stamped(detail::state_op op, std::string_view key, reader& r) {
    switch (op) {
      case detail::state_op::map_put_stamped: {
        auto at = r.read<int64_t>();
        auto k = r.read<K>();
        auto v = r.read<V>();
        if (!ttl_->expired(at, ttl_->registry().now()))
          ttl_->slot_of(key).put(k, v, at);
        else
          remove_replayed(key, k);
        break;
      }
      case detail::state_op::map_erase:
        remove_replayed(key, r.read<K>());
        break;
      case detail::state_op::erase:
        ttl_->erase_key(key);
        break;
      case detail::state_op::map_put:
        throw decode_error("map_state: the journal holds entries without a TTL, the handle has one");
      default:
        throw decode_error("map_state: unexpected operation in journal");
    }
  }
  void remove_replayed(std::string_view key, const K& k) {
    auto* s = ttl_->at(key);
    if (!s)
      return;
    s->remove(k);
    if (s->values.empty())
      ttl_->erase_key(key);
  }

  static inline const map_type empty_{};
  std::unique_ptr<ttl_slots> ttl_; // only for a handle with a TTL
};

/// A list of values of type `T` per key; appends are journaled as appends.
template <class T>
class list_state : public detail::keyed_slots<std::vector<T>> {
  using list_type = std::vector<T>;

public:
  list_state() = default;

  void add(const T& x) {
    this->find_or_add().push_back(x);
    this->registry().log(this->id(), detail::state_op::list_add).write(x);
  }
  /// Replaces the current key's list.
  void update(const list_type& xs) {
    clear();
    for (const auto& x : xs)
      add(x);
  }
  void clear() {
    if (!this->find())
      return;
    this->erase_current();
    this->registry().log(this->id(), detail::state_op::erase);
  }
  const list_type& values() const {
    auto* l = this->find();
    return l ? *l : empty_;
  }
  size_t size() const {
    return values().size();
  }
  bool empty() const {
    return values().empty();
  }
  auto begin() const {
    return values().begin();
  }
  auto end() const {
    return values().end();
  }

  void apply(detail::state_op op, std::string_view key, reader& r) override {
    if (op == detail::state_op::list_add)
      r.read(this->slot_of(key).emplace_back());
    else if (op == detail::state_op::erase)
      this->erase_key(key);
    else
      throw decode_error("list_state: unexpected operation in journal");
  }

private:
  static inline const list_type empty_{};
};

/// The timers of a keyed function, event time and processing time, scoped to
/// the current key like the state handles, and as durable: adding, removing
/// and firing a timer are journaled, so a timer fires once across crashes.
/// The runtime fires event-time timers as the operator's watermark passes
/// them and processing-time timers by the wall clock, calling `on_timer`.
class timer_service : public detail::state_base {
public:
  timer_service() = default;

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
