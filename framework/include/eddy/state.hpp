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
//
// This header holds what a user writes; the registry, the per-key storage
// and the TTL bookkeeping behind the handles are in `eddy/detail/`.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "eddy/codec.hpp"
#include "eddy/detail/keyed_slots.hpp"
#include "eddy/detail/state_registry.hpp"
#include "eddy/detail/ttl_entries.hpp"
#include "eddy/detail/ttl_values.hpp"
#include "eddy/timer_service.hpp"

namespace eddy {

/// Time to live of a value_state's values or a map_state's entries, given to
/// the handle's constructor: `value_state<T> v{ttl{std::chrono::minutes(30)}}`.
/// Semantics of Flink's StateTtlConfig defaults: processing time; the clock
/// of a value (map entry) restarts when it is created or written, not when it
/// is read; an expired value is never returned and reads as absent. Whether a
/// value has expired is decided once per record (when its key becomes
/// current), so it cannot vanish between two reads in one `on_record`.
/// Expired values are dropped when read, by the runtime's incremental
/// cleanup between records, and left out of snapshots; the write times and
/// the cleanup's erasures are journaled, so recovery expires them at the
/// same moments. Adding or removing the TTL of a handle whose state is
/// already stored is a state schema change the journal refuses (like Flink).
struct ttl {
  std::chrono::milliseconds duration;
};

/// One value of type `T` per key, or none. Reads like std::optional<T>.
/// Constructed with an `eddy::ttl`, values expire that long after their last
/// write (see `ttl`); without, the handle runs the plain keyed_slots path.
template <class T>
class value_state : public detail::keyed_slots<T> {
  using base = detail::keyed_slots<T>;

public:
  value_state() = default;
  /// A handle with a stable name (`value_state<T> count{"count"}`), by which
  /// savepoints and their errors know it.
  explicit value_state(const char* name) {
    this->name(name);
  }
  /// A handle whose values expire `t.duration` after their last write.
  explicit value_state(ttl t)
    : expiring_(std::make_unique<detail::ttl_values<T>>(this->registry(), this->id(), t.duration)) {
  }
  value_state(const char* name, ttl t) : value_state(t) {
    this->name(name);
  }
  std::string schema() const override {
    return (expiring_ ? "ttl " : "") + base::schema();
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
    if (expiring_) [[unlikely]] {
      expiring_->set(x);
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
    if (expiring_) [[unlikely]]
      return expiring_->clear();
    if (!this->find())
      return;
    this->erase_current();
    this->registry().log(this->id(), detail::state_op::erase);
  }

  // -- for the registry ------------------------------------------------------

  void apply(detail::state_op op, std::string_view key, reader& r) override {
    if (expiring_) [[unlikely]]
      return expiring_->apply(op, key, r);
    if (op == detail::state_op::set)
      r.read(this->slot_of(key));
    else if (op == detail::state_op::erase)
      this->erase_key(key);
    else if (op == detail::state_op::set_stamped)
      throw decode_error("value_state: the journal holds values with a TTL, the handle has none");
    else
      throw decode_error("value_state: unexpected operation in journal");
  }
  void snapshot(writer& w) const override {
    expiring_ ? expiring_->snapshot(w) : base::snapshot(w);
  }
  bool render_json(std::string_view key, std::string& out) const override {
    if (!expiring_)
      return base::render_json(key, out);
    expiring_->render_json(key, out);
    return true;
  }
  void restore(reader& r) override {
    expiring_ ? expiring_->restore(r) : base::restore(r);
  }
  size_t key_count() const override {
    return expiring_ ? expiring_->key_count() : base::key_count();
  }
  detail::cleanup_result cleanup_expired(int64_t now, size_t budget) override {
    return expiring_ ? expiring_->cleanup_expired(now, budget) : detail::cleanup_result{};
  }

private:
  /// The current key's live value, or nullptr.
  const T* current() const {
    if (expiring_) [[unlikely]]
      return expiring_->find();
    return this->find();
  }

  std::unique_ptr<detail::ttl_values<T>> expiring_; // only for a handle with a TTL
};

/// A map from user keys `K` to values `V` per key. Constructed with an
/// `eddy::ttl`, each entry expires that long after its last write (see `ttl`).
template <class K, class V>
class map_state : public detail::keyed_slots<std::map<K, V>> {
  using map_type = std::map<K, V>;
  using base = detail::keyed_slots<map_type>;

public:
  map_state() = default;
  explicit map_state(const char* name) {
    this->name(name);
  }
  /// A handle whose entries expire `t.duration` after their last write.
  explicit map_state(ttl t)
    : expiring_(
        std::make_unique<detail::ttl_entries<K, V>>(this->registry(), this->id(), t.duration)) {
  }
  map_state(const char* name, ttl t) : map_state(t) {
    this->name(name);
  }
  std::string schema() const override {
    return (expiring_ ? "ttl " : "") + detail::keyed_slots<std::map<K, V>>::schema();
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
  /// Number of entries under the current key.
  size_t size() const {
    auto* m = current();
    return m ? m->size() : 0;
  }
  bool empty() const {
    return size() == 0;
  }
  void put(const K& k, const V& v) {
    if (expiring_) [[unlikely]]
      return expiring_->put(k, v);
    this->find_or_add()[k] = v;
    entry_.clear();
    writer{entry_}(k);
    this->registry().log_replacing_entry(this->id(), detail::state_op::map_put, entry_).write(v);
  }
  void remove(const K& k) {
    if (expiring_) [[unlikely]]
      return expiring_->remove(k);
    auto* m = this->find();
    if (!m || m->erase(k) == 0)
      return;
    if (m->empty())
      this->erase_current();
    this->registry().log(this->id(), detail::state_op::map_erase).write(k);
  }
  void clear() {
    if (expiring_) [[unlikely]]
      return expiring_->clear();
    if (!this->find())
      return;
    this->erase_current();
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

  // -- for the registry ------------------------------------------------------

  void apply(detail::state_op op, std::string_view key, reader& r) override {
    if (expiring_) [[unlikely]]
      return expiring_->apply(op, key, r);
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
  void snapshot(writer& w) const override {
    expiring_ ? expiring_->snapshot(w) : base::snapshot(w);
  }
  bool render_json(std::string_view key, std::string& out) const override {
    if (!expiring_)
      return base::render_json(key, out);
    expiring_->render_json(key, out);
    return true;
  }
  void restore(reader& r) override {
    expiring_ ? expiring_->restore(r) : base::restore(r);
  }
  size_t key_count() const override {
    return expiring_ ? expiring_->key_count() : base::key_count();
  }
  detail::cleanup_result cleanup_expired(int64_t now, size_t budget) override {
    return expiring_ ? expiring_->cleanup_expired(now, budget) : detail::cleanup_result{};
  }

private:
  /// The current key's live entries, or nullptr.
  const map_type* current() const {
    if (expiring_) [[unlikely]]
      return expiring_->find();
    return this->find();
  }

  static inline const map_type empty_{};
  std::unique_ptr<detail::ttl_entries<K, V>> expiring_; // only for a handle with a TTL
  std::string entry_; // put()'s encoded map key, reused
};

/// A list of values of type `T` per key; appends are journaled as appends.
template <class T>
class list_state : public detail::keyed_slots<std::vector<T>> {
  using list_type = std::vector<T>;

public:
  list_state() = default;
  explicit list_state(const char* name) {
    this->name(name);
  }

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

  // -- for the registry ------------------------------------------------------

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

} // namespace eddy
