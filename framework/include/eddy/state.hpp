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

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "eddy/codec.hpp"

namespace eddy {

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
    writer w{log_};
    w.varint(state_id);
    w.write(static_cast<uint8_t>(op));
    w.varint(current_key_.size());
    w.bytes(current_key_.data(), current_key_.size());
    return w;
  }

  /// Moves the change log accumulated since the last call into `out`.
  void take_log(std::string& out) {
    out.swap(log_);
    log_.clear();
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

private:
  std::vector<state_base*> handles_;
  std::string_view current_key_;
  uint64_t key_generation_ = 1;
  std::string log_;
  std::string scratch_;
  bool logging_ = true;
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

} // namespace detail

/// One value of type `T` per key, or none. Reads like std::optional<T>.
template <class T>
class value_state : public detail::keyed_slots<T> {
  using base = detail::keyed_slots<T>;

public:
  value_state() = default;

  explicit operator bool() const {
    return this->find() != nullptr;
  }
  bool has_value() const {
    return this->find() != nullptr;
  }
  /// The current key's value; throws std::logic_error if it has none.
  const T& value() const {
    if (auto* v = this->find())
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
    auto* v = this->find();
    return v ? *v : std::move(fallback);
  }

  value_state& operator=(const T& x) {
    this->find_or_add() = x;
    this->registry().log(this->id(), detail::state_op::set).write(x);
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
    if (!this->find())
      return;
    this->erase_current();
    this->registry().log(this->id(), detail::state_op::erase);
  }

  void apply(detail::state_op op, std::string_view key, reader& r) override {
    if (op == detail::state_op::set)
      r.read(this->slot_of(key));
    else if (op == detail::state_op::erase)
      this->erase_key(key);
    else
      throw decode_error("value_state: unexpected operation in journal");
  }
};

/// A map from user keys `K` to values `V` per key.
template <class K, class V>
class map_state : public detail::keyed_slots<std::map<K, V>> {
  using map_type = std::map<K, V>;

public:
  map_state() = default;

  /// The value for `k` under the current key, or nullptr.
  const V* get(const K& k) const {
    auto* m = this->find();
    if (!m)
      return nullptr;
    auto i = m->find(k);
    return i == m->end() ? nullptr : &i->second;
  }
  bool contains(const K& k) const {
    return get(k) != nullptr;
  }
  size_t size() const {
    auto* m = this->find();
    return m ? m->size() : 0;
  }
  bool empty() const {
    return size() == 0;
  }
  void put(const K& k, const V& v) {
    this->find_or_add()[k] = v;
    this->registry().log(this->id(), detail::state_op::map_put)(k, v);
  }
  void remove(const K& k) {
    auto* m = this->find();
    if (!m || m->erase(k) == 0)
      return;
    if (m->empty())
      this->erase_current();
    this->registry().log(this->id(), detail::state_op::map_erase).write(k);
  }
  void clear() {
    if (!this->find())
      return;
    this->erase_current();
    this->registry().log(this->id(), detail::state_op::erase);
  }
  /// The current key's entries, ordered by user key.
  const map_type& entries() const {
    auto* m = this->find();
    return m ? *m : empty_;
  }
  auto begin() const {
    return entries().begin();
  }
  auto end() const {
    return entries().end();
  }

  void apply(detail::state_op op, std::string_view key, reader& r) override {
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
      default:
        throw decode_error("map_state: unexpected operation in journal");
    }
  }

private:
  static inline const map_type empty_{};
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
