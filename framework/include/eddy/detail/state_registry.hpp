#pragma once

// The machinery behind the state handles of `eddy/state.hpp`: the registry
// that owns a partition's handles, the current key and the change log, and
// the type-erased base of the handles. Users never name these; the partition
// logic (`eddy/dataflow/keyed_logic.hpp`) drives them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "eddy/codec.hpp"
#include "eddy/time.hpp"

namespace eddy::detail {

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

/// Per-key storage of state: canonical key bytes to `V`.
template <class V>
using key_map = std::unordered_map<std::string, V, key_hash_fn, key_equal_fn>;

/// The value of `key` in `map`, added if missing. A short key becomes a
/// string without allocating (SSO), so it takes one lookup; a long one is
/// looked up first and copied only to be added.
template <class V>
V& slot_in(key_map<V>& map, std::string_view key) {
  if (key.size() > std::string{}.capacity())
    if (auto i = map.find(key); i != map.end())
      return i->second;
  return map.try_emplace(std::string{key}).first->second;
}

} // namespace eddy::detail

#ifdef __GLIBCXX__
// libstdc++ stores each node's hash only for hashers it does not consider
// fast: std::hash of strings is marked slow, any hasher of ours counts as
// fast. Without the stored hash, a rehash hashes every key again and a
// lookup compares the key bytes of every node in its bucket (a quarter of a
// restart's CPU went to bucket walks and hashing; bench/RESULTS.md, "Issues
// 8, 9, 10: recovery CPU, a source hold, q5 at 50%").
template <>
struct std::__is_fast_hash<eddy::detail::key_hash_fn> : std::false_type {};
#endif

namespace eddy::detail {

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

/// What one incremental cleanup call did on one handle.
struct cleanup_result {
  size_t visited = 0; ///< entries (and empty hash buckets) examined
  size_t erased = 0;  ///< expired values and map entries erased (and journaled)
  bool wrapped = true; ///< the handle's cursor went past its last key
};

class state_base;

/// The keyed state of one partition: the handles of one user function
/// object, the current key, and the log of changes since the last take.
/// Owned by the partition's logic; used only by the partition actor (not
/// thread-safe).
class state_registry {
public:
  /// Registers a handle; called from handle constructors while this registry
  /// is `filling()`. Returns the handle's state id (its position).
  uint32_t add(state_base* handle);

  /// The registry that handle constructors on this thread register with, or
  /// nullptr outside a `scope`.
  static state_registry* filling() noexcept;

  /// Makes `r` the filling() registry on this thread while a user function
  /// object is built.
  class scope {
  public:
    explicit scope(state_registry* r);
    ~scope();

  private:
    state_registry* previous_;
  };

  /// Makes `key` current: the key every handle access refers to, until the
  /// next call. Each call starts a new key generation (one per record).
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

  /// Starts a log record for `op` on handle `state_id` and the current key;
  /// the caller appends the arguments with the returned writer.
  writer log(uint32_t state_id, state_op op) {
    return log(state_id, op, current_key_);
  }

  /// Like log(), for `key` rather than the current key (the cleanup of
  /// expired values visits keys that are not current).
  writer log(uint32_t state_id, state_op op, std::string_view key) {
    if (!logging_) {
      scratch_.clear(); // nobody reads the log: encode into a buffer reused each time
      return writer{scratch_};
    }
    last_start_ = log_.size();
    last_id_ = state_id;
    last_op_ = op;
    last_key_.assign(key);
    last_has_entry_ = false;
    writer w{log_};
    w.varint(state_id);
    w.write(static_cast<uint8_t>(op));
    w.varint(key.size());
    w.bytes(key.data(), key.size());
    return w;
  }

  /// Like log(), for an operation that makes the previous one pointless if
  /// that was the same operation on the same handle and key (a value set
  /// again): the previous record is dropped. A hot key written by several
  /// records in a row then costs the journal one record.
  writer log_replacing(uint32_t state_id, state_op op) {
    if (repeats(state_id, op))
      log_.resize(last_start_);
    return log(state_id, op);
  }

  /// Like log_replacing(), for an operation on one entry of a map (`entry`,
  /// the encoded map key, is written here; the caller appends the value):
  /// the previous record is dropped if it was the same operation on the
  /// same handle, key and entry. Bids on a hot auction counted in a row
  /// then cost the journal one record per group, not one per bid.
  writer log_replacing_entry(uint32_t state_id, state_op op, std::string_view entry) {
    if (repeats(state_id, op) && last_has_entry_ && last_entry_ == entry)
      log_.resize(last_start_);
    auto w = log(state_id, op);
    w.bytes(entry.data(), entry.size());
    last_entry_.assign(entry);
    last_has_entry_ = true;
    return w;
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

  /// Each handle's name (its own, or "#i" for the i-th declared) and the
  /// schema of what it stores (eddy/detail/evolution.hpp), in declaration
  /// order: what a savepoint records to check an upgrade.
  std::vector<std::pair<std::string, std::string>> states() const;

  /// The state of `key` in every handle but the timers, as a JSON object
  /// named like states(): `{"count": 3, "#1": null}` (null: the key has no
  /// value there; eddy/detail/json_writer.hpp renders the values). Only
  /// reads: logs nothing, expires nothing, keeps the current key.
  std::string state_json(std::string_view key) const;

  /// Incremental cleanup of expired TTL state (Flink's incremental cleanup):
  /// examines at most about `budget` entries, continuing round-robin over the
  /// handles and their keys where the previous call stopped, erases the
  /// values and map entries expired at `now` and logs each erasure, so a
  /// replay of the log reaches the same state whatever its clock. Returns the
  /// number erased. Call between records (never inside on_record or
  /// on_timer), and journal the log afterwards like a record's.
  size_t cleanup_expired(int64_t now, size_t budget);

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
  size_t cleanup_handle_ = 0; ///< the handle the next cleanup continues with

  // The change log, and what log_replacing() needs to know of its last record.
  std::string log_;
  std::string scratch_;
  bool logging_ = true;
  /// Whether the last record of the log is `op` on handle `state_id` and
  /// the current key.
  bool repeats(uint32_t state_id, state_op op) const noexcept {
    return logging_ && last_start_ != no_record && last_id_ == state_id && last_op_ == op
           && last_key_ == current_key_;
  }

  static constexpr size_t no_record = SIZE_MAX;
  size_t last_start_ = no_record; ///< where the last record of log_ starts
  uint32_t last_id_ = 0;          ///< ... its handle, operation and key
  state_op last_op_{};
  std::string last_key_;
  std::string last_entry_;      ///< the map entry of the last record, if last_has_entry_
  bool last_has_entry_ = false;

  std::optional<int64_t> now_for_testing_;
};

/// Common base of the state handles: registers the handle with the filling()
/// registry on construction and gives the registry type-erased access.
/// A handle lives as long as its user function object; not copyable.
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
  /// The schema of what the handle stores, with "ttl " before it for a
  /// handle with a TTL (whose snapshot differs).
  virtual std::string schema() const = 0;

  /// Appends the JSON of `key`'s value (null if it has none, or it
  /// expired) and returns true; false for a handle that holds no user
  /// state (the timers), which appends nothing.
  virtual bool render_json(std::string_view key, std::string& out) const {
    (void) key;
    (void) out;
    return false;
  }

  /// The handle's stable name, empty if it was given none.
  const std::string& name() const noexcept {
    return name_;
  }

  /// Erases what expired at `now`, examining at most about `budget` entries
  /// from where the last call stopped (see state_registry::cleanup_expired).
  /// Handles without a TTL have nothing to erase.
  virtual cleanup_result cleanup_expired(int64_t now, size_t budget) {
    (void) now;
    (void) budget;
    return {};
  }

protected:
  void name(std::string n) {
    name_ = std::move(n);
  }
  state_registry& registry() const {
    return *registry_;
  }
  uint32_t id() const noexcept {
    return id_;
  }

private:
  state_registry* registry_;
  uint32_t id_;
  std::string name_;
};

} // namespace eddy::detail
