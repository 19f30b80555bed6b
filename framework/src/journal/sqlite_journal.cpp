#include "eddy/journal/sqlite_journal.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <unordered_map>
#include <utility>

// The on-disk format is described in FORMAT.md beside this file.

namespace eddy::journal {

namespace {

constexpr std::string_view format_key = "format";
constexpr std::string_view format_value = "eddy-journal-1";
// Meta key: every `partitions.highest_seq` counts all entries with id <= it.
constexpr std::string_view through_key = "highest_through_id";

// A run is the entries one group appends to one partition; they get adjacent
// ids. Only the first entry of a run is indexed, under its segment
// (id >> segment_shift): a group then adds one index row per partition it
// touches, all in the newest segment's few pages, instead of one row per
// entry on one page per partition. Replay seeks once per segment and then
// reads each run by id. See FORMAT.md.
constexpr int segment_shift = 10;

// Writing every changed highest seq with every group would cost one row
// update per partition per group; it is written every this many groups or
// entries instead, and open() recovers the rest from the entries after it.
constexpr uint64_t checkpoint_every_groups = 256;
constexpr uint64_t checkpoint_every_entries = 16384;

// first_id of a partition with no live entry: it bounds neither replay nor
// the dead prefix.
constexpr int64_t no_live_entry = std::numeric_limits<int64_t>::max();

// SQLite integers are signed 64-bit; seqs above this cannot be compared in SQL.
constexpr uint64_t max_sql_seq = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

constexpr const char* schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value BLOB);
CREATE TABLE IF NOT EXISTS partitions(
  partition INTEGER PRIMARY KEY,
  epoch INTEGER NOT NULL,
  highest_seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS entries(
  id INTEGER PRIMARY KEY,
  segment INTEGER,
  partition INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  epoch INTEGER NOT NULL,
  body BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS runs ON entries(segment, partition, seq) WHERE segment IS NOT NULL;
CREATE TABLE IF NOT EXISTS snapshots(
  partition INTEGER PRIMARY KEY,
  seq INTEGER NOT NULL,
  epoch INTEGER NOT NULL,
  body BLOB NOT NULL);
)sql";

int64_t to_sql(uint64_t x) noexcept {
  return static_cast<int64_t>(x);
}

uint64_t from_sql(sqlite3_int64 x) noexcept {
  return static_cast<uint64_t>(x);
}

/// Owns one prepared statement; reset after each use so it holds no locks.
class statement {
public:
  statement() = default;
  statement(statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), bind_rc_(other.bind_rc_) {
  }
  statement& operator=(statement&& other) noexcept {
    std::swap(stmt_, other.stmt_);
    std::swap(bind_rc_, other.bind_rc_);
    return *this;
  }
  ~statement() {
    sqlite3_finalize(stmt_);
  }

  sqlite3_stmt* get() const noexcept {
    return stmt_;
  }
  sqlite3_stmt** out() noexcept {
    return &stmt_;
  }

  // A failed bind (a blob over SQLite's length limit, say) is kept and
  // returned by the next step(), so that callers check one result code.
  void bind(int index, int64_t value) {
    keep(sqlite3_bind_int64(stmt_, index, value));
  }
  void bind(int index, std::string_view value) {
    // SQLITE_STATIC: the caller keeps `value` alive until the statement is
    // reset. A null pointer would bind NULL rather than an empty blob.
    keep(sqlite3_bind_blob64(stmt_, index, value.data() ? value.data() : "", value.size(),
                             SQLITE_STATIC));
  }
  void bind_text(int index, std::string_view value) {
    keep(sqlite3_bind_text64(stmt_, index, value.data() ? value.data() : "", value.size(),
                             SQLITE_STATIC, SQLITE_UTF8));
  }
  int step() {
    return bind_rc_ != SQLITE_OK ? bind_rc_ : sqlite3_step(stmt_);
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    bind_rc_ = SQLITE_OK;
  }
  int64_t column_int(int i) const {
    return sqlite3_column_int64(stmt_, i);
  }
  std::string_view column_blob(int i) const {
    auto data = static_cast<const char*>(sqlite3_column_blob(stmt_, i));
    auto size = static_cast<size_t>(sqlite3_column_bytes(stmt_, i));
    return data ? std::string_view{data, size} : std::string_view{};
  }

private:
  void keep(int rc) {
    if (bind_rc_ == SQLITE_OK)
      bind_rc_ = rc;
  }

  sqlite3_stmt* stmt_ = nullptr;
  int bind_rc_ = SQLITE_OK;
};

/// Resets a statement when leaving a scope, whatever the path.
class reset_guard {
public:
  explicit reset_guard(statement& s) : s_(s) {
  }
  ~reset_guard() {
    s_.reset();
  }
  reset_guard(const reset_guard&) = delete;
  reset_guard& operator=(const reset_guard&) = delete;

private:
  statement& s_;
};

struct staged_write {
  bool is_snapshot;
  partition_id partition;
  uint64_t epoch;
  uint64_t seq;
  std::string body;
};

/// What a scan of one run reports: the last seq it read, and whether the
/// caller has seen all it wants.
struct scan_result {
  uint64_t last_seq;
  bool stop;
};

/// What the journal knows of one partition.
struct partition_state {
  uint64_t epoch = 0;
  uint64_t highest_seq = 0;
  uint64_t stored_highest_seq = 0; ///< as in its `partitions` row
  /// No live entry of the partition has a lower id: its first live entry
  /// when the journal was opened, raised by each snapshot to the first entry
  /// it left (or to no_live_entry when it left none, until the next
  /// append). Replay and snapshot deletes start here, not at the oldest
  /// entry of any partition; the dead prefix ends at the lowest of them.
  int64_t first_id = 1;
};

/// What one group commit does to one partition it touches.
struct touched {
  partition_id partition;
  uint64_t highest;       ///< its highest seq, raised by the group's writes
  int64_t first_id;       ///< no live entry of it has a lower id, after the group
  bool write_row = false; ///< its `partitions` row must be written in this group
  bool run_open = false;  ///< an earlier entry of this group started its run
};

/// One group commit in progress.
struct group {
  std::vector<staged_write> writes;  ///< in staging order
  std::vector<uint32_t> order;       ///< indexes into `writes`, by partition (stable)
  std::vector<write_status> result;  ///< per write, in staging order
  std::vector<touched> parts;        ///< per touched partition, in partition order
  int64_t first_id = 0;              ///< id of the group's first entry
  int64_t next_id = 0;               ///< id of its next entry
  bool checkpoint = false;           ///< it also writes every changed highest seq
  int64_t dead_below = 0;            ///< it deleted every entry below this id (0: none)
};

} // namespace

struct sqlite_journal::impl {
  // -- set by open(), constant afterwards ------------------------------------
  std::filesystem::path file;
  sqlite3* db = nullptr;

  // -- prepared statements, reused -------------------------------------------
  statement begin, commit, rollback;
  statement insert_entry, delete_entries, delete_prefix, upsert_snapshot, select_snapshot,
    select_snapshot_seq;
  statement set_highest, set_epoch, select_partitions, select_tail, select_ids;
  statement select_runs, select_from, mark_run, select_first_ids;
  statement get_meta, set_meta;

  // -- caches of the database; the journal is the file's only writer ---------
  std::unordered_map<partition_id, partition_state> partitions;
  int64_t next_id = 1; ///< id of the next entry; above every id ever checkpointed
  int64_t dead_below = 0; ///< no entry has a lower id (a dead prefix deleted); 0 at open
  uint64_t groups_since_checkpoint = 0;
  uint64_t entries_since_checkpoint = 0;

  // -- writes staged for the next commit() -----------------------------------
  std::vector<staged_write> staged;
  bool replaying = false;
  read_stats stats; ///< what replays and snapshot deletes read, since open
  bool wal_existed = false; ///< the WAL file was there before we opened the journal

  ~impl() {
    // Statements must be finalized before the connection closes.
    for (auto* s : {&begin, &commit, &rollback, &insert_entry, &delete_entries, &delete_prefix,
                    &select_snapshot_seq, &upsert_snapshot, &select_snapshot, &set_highest, &set_epoch,
                    &select_partitions, &select_tail, &select_ids, &select_runs,
                    &select_from, &mark_run, &select_first_ids, &get_meta, &set_meta})
      *s = statement{};
    // Fold the WAL into the main file on close only if this connection wrote:
    // a journal that was opened and then refused stays byte for byte.
    if (!db)
      return;
    bool wrote = sqlite3_total_changes64(db) > 0;
    if (wrote)
      sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, nullptr);
    sqlite3_close_v2(db);
    // Reading a WAL-mode file creates an empty WAL; leave none behind then.
    std::error_code ec;
    auto wal = std::filesystem::path{file.string() + "-wal"};
    if (!wrote && !wal_existed && std::filesystem::exists(wal, ec)
        && std::filesystem::file_size(wal, ec) == 0)
      std::filesystem::remove(wal, ec);
  }

  /// An eddy::error for SQLite result `rc` of `operation`.
  error fail(int rc, std::string_view operation) const {
    auto code = errc::io;
    auto primary = rc & 0xff;
    std::string msg = "journal " + file.string();
    if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT) {
      code = errc::corrupt;
    } else if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
      code = errc::unavailable; // a cluster worker waits for it to be free
      msg += " is in use by another process";
      msg += " (";
      msg += operation;
      msg += ": ";
      msg += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
      msg += ")";
      return error{code, std::move(msg)};
    }
    msg += ": ";
    msg += operation;
    msg += " failed: ";
    // sqlite3_errmsg is more specific, but only describes `rc` if the
    // connection's last error is `rc`.
    msg += db && sqlite3_extended_errcode(db) == rc ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    return error{code, std::move(msg)};
  }

  error fail(int rc, std::string_view operation, partition_id p) const {
    return fail(rc, std::string{operation} + " of partition " + std::to_string(p));
  }

  error exec(const char* sql, std::string_view operation) {
    char* err = nullptr;
    auto rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
    sqlite3_free(err);
    return rc == SQLITE_OK ? error{} : fail(rc, operation);
  }

  error prepare(statement& s, const char* sql) {
    auto rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, s.out(), nullptr);
    return rc == SQLITE_OK ? error{} : fail(rc, std::string{"prepare "} + sql);
  }

  /// Runs a statement that returns no rows. The message of a failure names
  /// `operation` and, if given, the partition (built only on failure).
  error run(statement& s, std::string_view operation,
            std::optional<partition_id> p = std::nullopt) {
    reset_guard guard{s};
    auto rc = s.step();
    if (rc == SQLITE_DONE)
      return {};
    if (!p)
      return fail(rc, operation);
    return fail(rc, std::string{operation} + " of partition " + std::to_string(*p));
  }

  /// Rebuilds the caches from the database: the `partitions` rows, raised by
  /// the entries written after the last checkpoint of highest seqs.
  error load_state() {
    std::unordered_map<partition_id, partition_state> fresh;
    int rc;
    {
      reset_guard guard{select_partitions};
      while ((rc = select_partitions.step()) == SQLITE_ROW) {
        auto high = from_sql(select_partitions.column_int(2));
        fresh[from_sql(select_partitions.column_int(0))]
          = partition_state{from_sql(select_partitions.column_int(1)), high, high};
      }
      if (rc != SQLITE_DONE)
        return fail(rc, "read partitions");
    }
    int64_t through = 0;
    {
      reset_guard guard{get_meta};
      get_meta.bind_text(1, through_key);
      rc = get_meta.step();
      if (rc == SQLITE_ROW)
        through = get_meta.column_int(0);
      else if (rc != SQLITE_DONE)
        return fail(rc, "read meta");
    }
    {
      reset_guard guard{select_tail};
      select_tail.bind(1, through);
      while ((rc = select_tail.step()) == SQLITE_ROW) {
        auto& state = fresh[from_sql(select_tail.column_int(0))];
        state.highest_seq = std::max(state.highest_seq, from_sql(select_tail.column_int(1)));
      }
      if (rc != SQLITE_DONE)
        return fail(rc, "read recent entries");
    }
    next_id = through + 1;
    if (auto err = load_ids())
      return err;
    // A partition's first live entry is a run start (a snapshot marks the
    // first entry it leaves of a cut run), so the `runs` index has them all.
    for (auto& [p, state] : fresh)
      state.first_id = no_live_entry;
    {
      reset_guard guard{select_first_ids};
      while ((rc = select_first_ids.step()) == SQLITE_ROW)
        fresh[from_sql(select_first_ids.column_int(0))].first_id = select_first_ids.column_int(1);
      if (rc != SQLITE_DONE)
        return fail(rc, "read first entries");
    }
    partitions = std::move(fresh);
    groups_since_checkpoint = 0;
    entries_since_checkpoint = 0;
    return {};
  }

  /// Reads the highest entry id. New ids must stay above the checkpointed
  /// `highest_through_id`, even when a snapshot deleted the entries that had
  /// the highest ids.
  error load_ids() {
    reset_guard guard{select_ids};
    auto rc = select_ids.step();
    if (rc != SQLITE_ROW)
      return fail(rc, "read entry ids");
    next_id = std::max(next_id, select_ids.column_int(0) + 1);
    return {};
  }

  /// The cached state of `p`, added (with no live entries) if unknown.
  partition_state& state_of(partition_id p) {
    return partitions.try_emplace(p, partition_state{.first_id = next_id}).first->second;
  }

  /// No live entry of `p` has an id below this one.
  int64_t first_id_of(partition_id p) const {
    auto i = partitions.find(p);
    return i == partitions.end() ? next_id : i->second.first_id;
  }

  /// Calls `scan(first_id)` for each run of `p` with ids in [from_id,
  /// end_id) that may hold seqs in [from, to], in seq order. `scan` reads the run (and whatever entries of
  /// `p` follow it by id) and returns the last seq it saw and whether to
  /// stop, or an error.
  template <class Scan>
  error for_each_run(partition_id p, int64_t from_id, uint64_t from, uint64_t to, int64_t end_id,
                     Scan&& scan) {
    uint64_t seen = 0; // runs that start at or below this were read already
    std::optional<int64_t> pending; // the last run starting at or below `from`
    auto visit = [&](int64_t first_id) -> expected<bool> {
      ++stats.runs_read;
      auto r = scan(first_id);
      if (!r)
        return r.error();
      seen = std::max(seen, r->last_seq);
      return r->stop;
    };
    for (auto seg = from_id >> segment_shift; seg <= (end_id - 1) >> segment_shift; ++seg) {
      ++stats.segments_searched;
      reset_guard guard{select_runs};
      select_runs.bind(1, seg);
      select_runs.bind(2, to_sql(p));
      select_runs.bind(3, to_sql(to));
      int rc;
      while ((rc = select_runs.step()) == SQLITE_ROW) {
        auto seq = from_sql(select_runs.column_int(0));
        auto id = select_runs.column_int(1);
        if (seq <= seen || id < from_id) // below from_id: dead, not yet deleted
          continue;
        if (seq <= from) {
          pending = id;
          continue;
        }
        if (pending) {
          auto stop = visit(*std::exchange(pending, std::nullopt));
          if (!stop || *stop)
            return stop ? error{} : stop.error();
          if (seq <= seen)
            continue;
        }
        auto stop = visit(id);
        if (!stop || *stop)
          return stop ? error{} : stop.error();
      }
      if (rc != SQLITE_DONE)
        return fail(rc, "find runs", p);
    }
    if (pending)
      if (auto stop = visit(*pending); !stop)
        return stop.error();
    return {};
  }

  /// Deletes the entries of `p` with seq <= `seq`, all with ids from
  /// `from_id` on, inside a group's transaction that has used ids up to
  /// `end_id` (exclusive). Returns the id no entry of `p` left is below.
  expected<int64_t> delete_through(partition_id p, uint64_t seq, int64_t from_id,
                                   int64_t end_id) {
    std::vector<std::pair<int64_t, int64_t>> ranges; // of ids
    std::vector<int64_t> new_runs; // first entries left of a cut run
    auto err = for_each_run(p, from_id, 0, seq, end_id,
                            [&](int64_t first_id) -> expected<scan_result> {
      reset_guard guard{select_from};
      select_from.bind(1, first_id);
      uint64_t last_seq = 0;
      int64_t last_id = -1;
      int rc;
      while ((rc = select_from.step()) == SQLITE_ROW
             && from_sql(select_from.column_int(1)) == p) {
        ++stats.rows_read;
        last_seq = from_sql(select_from.column_int(2));
        if (last_seq > seq) {
          new_runs.push_back(select_from.column_int(0));
          break;
        }
        last_id = select_from.column_int(0);
      }
      if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return fail(rc, "find entries", p);
      if (last_id >= first_id)
        ranges.emplace_back(first_id, last_id);
      return scan_result{last_seq, last_seq > seq};
    });
    if (err)
      return err;
    // The scan read every entry between a range's first and last id, and
    // all were the partition's.
    for (auto [first, last] : ranges) {
      delete_entries.bind(1, first);
      delete_entries.bind(2, last);
      if (auto err = run(delete_entries, "delete entries", p))
        return err;
    }
    for (auto id : new_runs) {
      mark_run.bind(1, id);
      mark_run.bind(2, id >> segment_shift);
      if (auto err = run(mark_run, "mark run", p))
        return err;
    }
    // Seqs grow with ids: what is left lies after what was deleted, and
    // starts at a cut run's first survivor if there is one.
    if (!new_runs.empty())
      return *std::min_element(new_runs.begin(), new_runs.end());
    for (auto [first, last] : ranges)
      from_id = std::max(from_id, last + 1);
    return from_id;
  }

  // -- the steps of commit() -------------------------------------------------

  /// The current epoch of `p` as cached (0 if never acquired).
  uint64_t epoch_of(partition_id p) const {
    auto i = partitions.find(p);
    return i == partitions.end() ? 0 : i->second.epoch;
  }

  /// Takes the staged writes as a group, ordered partition by partition
  /// (stable, so staging order holds within one partition): a partition's
  /// entries of one group get adjacent ids, which makes replay read fewer
  /// pages. Fencing and seq checks are per partition, so the outcome equals
  /// that of writing in staging order.
  group take_group() {
    group g;
    g.writes = std::move(staged);
    staged.clear();
    g.result.resize(g.writes.size(), write_status::written);
    g.order.resize(g.writes.size());
    std::iota(g.order.begin(), g.order.end(), 0u);
    std::stable_sort(g.order.begin(), g.order.end(), [&](uint32_t a, uint32_t b) {
      return g.writes[a].partition < g.writes[b].partition;
    });
    g.first_id = g.next_id = next_id;
    return g;
  }

  /// Writes the whole group inside the open transaction and commits it.
  error write_group(group& g) {
    for (auto i : g.order)
      if (auto err = write_staged(g, i))
        return err;
    if (auto err = write_partition_rows(g))
      return err;
    g.checkpoint = checkpoint_due(g);
    if (g.checkpoint) {
      if (auto err = write_checkpoint(g))
        return err;
      if (auto err = delete_dead_prefix(g))
        return err;
    }
    return run(commit, "commit");
  }

  /// Deletes the entries below every partition's first live one: dead,
  /// each covered by its partition's snapshot. A snapshot that covers all
  /// of its partition's entries leaves them to this (their ids are spread
  /// over the file, one page each, since groups interleave partitions:
  /// deleting them at once cost 5–20 ms per snapshot); a prefix of ids is
  /// contiguous pages. Runs with the checkpoint of highest seqs.
  error delete_dead_prefix(group& g) {
    // Each partition's first live id after the group: the group's own
    // figure for those it touched (g.parts, sorted), the cached one else.
    int64_t floor = g.next_id;
    for (auto& part : g.parts)
      floor = std::min(floor, part.first_id);
    for (auto& [p, state] : partitions) {
      auto in_group = std::lower_bound(g.parts.begin(), g.parts.end(), p,
                                       [](const touched& t, partition_id x) {
                                         return t.partition < x;
                                       });
      if (in_group == g.parts.end() || in_group->partition != p)
        floor = std::min(floor, state.first_id);
    }
    if (floor <= dead_below)
      return {};
    delete_prefix.bind(1, floor);
    if (auto err = run(delete_prefix, "delete dead entries"))
      return err;
    g.dead_below = floor;
    return {};
  }

  /// The group's record of `p`, added when the group reaches a new
  /// partition (writes come in partition order).
  touched& touch(group& g, partition_id p) {
    if (g.parts.empty() || g.parts.back().partition != p) {
      auto it = partitions.find(p);
      if (it == partitions.end())
        g.parts.push_back(touched{p, 0, g.next_id});
      else
        g.parts.push_back(touched{p, it->second.highest_seq, it->second.first_id});
    }
    return g.parts.back();
  }

  /// Writes staged write `i`, or records why it is refused.
  error write_staged(group& g, uint32_t i) {
    auto& w = g.writes[i];
    auto& part = touch(g, w.partition);
    if (w.epoch < epoch_of(w.partition)) {
      g.result[i] = write_status::fenced;
      return {};
    }
    if (w.is_snapshot)
      return write_snapshot(g, w, part);
    if (w.seq <= part.highest || w.seq > max_sql_seq) {
      g.result[i] = write_status::seq_conflict;
      return {};
    }
    return write_append(g, w, part);
  }

  /// Replaces the partition's snapshot; the entries it covers are dead, and
  /// deleted now or with the next dead prefix.
  error write_snapshot(group& g, const staged_write& w, touched& part) {
    auto seq = std::min(w.seq, max_sql_seq);
    auto previous = snapshot_seq(w.partition);
    if (!previous)
      return previous.error();
    upsert_snapshot.bind(1, to_sql(w.partition));
    upsert_snapshot.bind(2, to_sql(seq));
    upsert_snapshot.bind(3, to_sql(w.epoch));
    upsert_snapshot.bind(4, w.body);
    if (auto err = run(upsert_snapshot, "write snapshot", w.partition))
      return err;
    if (seq >= part.highest && seq >= *previous) {
      // It covers every entry (the group's own too): they are dead from
      // here on and go with the next dead prefix, which the partition no
      // longer holds back until it appends again.
      part.first_id = no_live_entry;
    } else {
      // It cuts the partition's entries, or it is lower than the snapshot it
      // replaces, whose dead entries would come back into view at the next
      // open (which finds a partition's live entries above its snapshot):
      // the entries the higher of the two covers go now. A lower snapshot
      // (not done by the runtime) searches from the oldest entry left.
      bool lower = seq < *previous;
      auto first_left = delete_through(w.partition, lower ? *previous : seq,
                                       lower ? std::max<int64_t>(dead_below, 1) : part.first_id,
                                       g.next_id);
      if (!first_left)
        return first_left.error();
      part.first_id = *first_left;
    }
    part.run_open = false; // its next entry in this group starts a run
    part.highest = std::max(part.highest, seq);
    part.write_row = true; // deleting must not lower the stored highest seq
    return {};
  }

  /// The seq of the partition's stored snapshot, 0 if none.
  expected<uint64_t> snapshot_seq(partition_id p) {
    reset_guard guard{select_snapshot_seq};
    select_snapshot_seq.bind(1, to_sql(p));
    switch (auto rc = select_snapshot_seq.step()) {
      case SQLITE_ROW:
        return from_sql(select_snapshot_seq.column_int(0));
      case SQLITE_DONE:
        return uint64_t{0};
      default:
        return fail(rc, "read snapshot seq", p);
    }
  }

  /// Appends one entry; the first of the partition in this group starts a run.
  error write_append(group& g, const staged_write& w, touched& part) {
    auto id = g.next_id;
    part.first_id = std::min(part.first_id, id);
    insert_entry.bind(1, id);
    if (!part.run_open)
      insert_entry.bind(2, id >> segment_shift); // else NULL: not the first of a run
    part.run_open = true;
    insert_entry.bind(3, to_sql(w.partition));
    insert_entry.bind(4, to_sql(w.seq));
    insert_entry.bind(5, to_sql(w.epoch));
    insert_entry.bind(6, w.body);
    if (auto err = run(insert_entry, "append", w.partition))
      return err;
    ++g.next_id;
    part.highest = w.seq;
    if (!partitions.contains(w.partition))
      part.write_row = true; // a new partition gets its row at once
    return {};
  }

  /// Writes the `partitions` row of `p` with highest seq `high`.
  error write_row(partition_id p, uint64_t high) {
    set_highest.bind(1, to_sql(p));
    set_highest.bind(2, to_sql(epoch_of(p)));
    set_highest.bind(3, to_sql(high));
    return run(set_highest, "update highest seq", p);
  }

  /// Writes the rows the group must write: new partitions and snapshotted ones.
  error write_partition_rows(group& g) {
    for (auto& part : g.parts)
      if (part.write_row)
        if (auto err = write_row(part.partition, part.highest))
          return err;
    return {};
  }

  /// Whether this group also checkpoints the highest seqs: every so often,
  /// which bounds the entries open() has to read.
  bool checkpoint_due(const group& g) const {
    return groups_since_checkpoint + 1 >= checkpoint_every_groups
           || entries_since_checkpoint + (g.next_id - g.first_id) >= checkpoint_every_entries;
  }

  /// Writes every changed highest seq, the group's and the ones cached from
  /// earlier groups, and the id they count up to.
  error write_checkpoint(group& g) {
    for (auto& part : g.parts) {
      auto it = partitions.find(part.partition);
      if (!part.write_row && it != partitions.end()
          && part.highest != it->second.stored_highest_seq)
        if (auto err = write_row(part.partition, part.highest))
          return err;
    }
    for (auto& [p, state] : partitions) {
      if (state.highest_seq == state.stored_highest_seq)
        continue;
      auto in_group = std::lower_bound(g.parts.begin(), g.parts.end(), p,
                                       [](const touched& t, partition_id x) {
                                         return t.partition < x;
                                       });
      if (in_group == g.parts.end() || in_group->partition != p)
        if (auto err = write_row(p, state.highest_seq))
          return err;
    }
    auto through = std::to_string(g.next_id - 1);
    set_meta.bind_text(1, through_key);
    set_meta.bind_text(2, through);
    return run(set_meta, "checkpoint highest seqs");
  }

  /// The group is durable: brings the caches up to date.
  void remember_group(const group& g) {
    for (auto& part : g.parts) {
      auto it = partitions.find(part.partition);
      if (it == partitions.end()) {
        if (!part.write_row)
          continue; // every write was refused: the partition stays unknown
        it = partitions.emplace(part.partition, partition_state{}).first;
      }
      it->second.highest_seq = part.highest;
      it->second.first_id = part.first_id;
      if (part.write_row)
        it->second.stored_highest_seq = part.highest;
    }
    if (g.checkpoint) {
      dead_below = std::max(dead_below, g.dead_below);
      for (auto& [p, state] : partitions)
        state.stored_highest_seq = state.highest_seq;
      groups_since_checkpoint = 0;
      entries_since_checkpoint = 0;
    } else {
      groups_since_checkpoint += 1;
      entries_since_checkpoint += g.next_id - g.first_id;
    }
    next_id = g.next_id;
  }

  /// Ends a failed transaction and brings the caches back in line with the
  /// database (a failed COMMIT may or may not have rolled back by itself).
  void abort_transaction() {
    if (!sqlite3_get_autocommit(db))
      (void) run(rollback, "rollback");
    (void) load_state();
  }

  /// Checks that an opened file is empty or an Eddy journal, without writing.
  error check_format() {
    // BEGIN EXCLUSIVE takes the file lock that exclusive locking mode then
    // keeps, and reads the header: a non-SQLite file fails here.
    if (auto err = exec("BEGIN EXCLUSIVE", "open"))
      return err;
    auto err = check_format_locked();
    if (err) {
      (void) exec("ROLLBACK", "rollback");
      return err;
    }
    return exec("COMMIT", "check format");
  }

  /// Reads every page (PRAGMA quick_check), so damage is found before the
  /// journal is written rather than in the middle of a run.
  error verify() {
    statement check;
    if (auto err = prepare(check, "PRAGMA quick_check"))
      return err;
    auto rc = check.step();
    if (rc != SQLITE_ROW)
      return error{errc::corrupt, "journal " + file.string() + " is damaged: "
                                    + sqlite3_errmsg(db)};
    auto first = std::string{check.column_blob(0)};
    if (first != "ok") {
      // quick_check reports one problem per row, some over several lines.
      std::replace(first.begin(), first.end(), '\n', ' ');
      return error{errc::corrupt, "journal " + file.string() + " is damaged: " + first};
    }
    return {};
  }

  error check_format_locked() {
    statement count;
    if (auto err = prepare(count, "SELECT count(*) FROM sqlite_schema"))
      return err;
    auto rc = count.step();
    if (rc != SQLITE_ROW)
      return fail(rc, "read schema");
    if (count.column_int(0) == 0)
      return {}; // A new or empty database: ours to initialize.
    auto not_ours = [&](std::string why) {
      return error{errc::corrupt,
                   "journal " + file.string() + " is not an Eddy journal (" + why + ")"};
    };
    statement fmt;
    rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'format'", -1, fmt.out(),
                            nullptr);
    if (rc != SQLITE_OK)
      return not_ours(sqlite3_errmsg(db));
    rc = fmt.step();
    if (rc == SQLITE_DONE)
      return not_ours("no format in table meta");
    if (rc != SQLITE_ROW)
      return fail(rc, "read format");
    auto value = std::string{fmt.column_blob(0)};
    if (value != format_value)
      return not_ours("unsupported format '" + value + "'");
    return {};
  }
};

sqlite_journal::sqlite_journal(std::unique_ptr<impl> pimpl) : impl_(std::move(pimpl)) {
}

sqlite_journal::~sqlite_journal() = default;

expected<std::unique_ptr<sqlite_journal>>
sqlite_journal::open(const std::filesystem::path& file, open_options options) {
  auto self = std::make_unique<impl>();
  self->file = file;
  auto flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  if (options.create)
    flags |= SQLITE_OPEN_CREATE;
  std::error_code ec;
  if (!options.create && !std::filesystem::exists(file, ec))
    return error{errc::io, "journal " + file.string() + " does not exist"};
  {
    std::error_code ec;
    self->wal_existed = std::filesystem::exists(file.string() + "-wal", ec);
  }
  if (auto rc = sqlite3_open_v2(file.c_str(), &self->db, flags, nullptr); rc != SQLITE_OK)
    return self->fail(rc, "open");
  // Fail at once rather than wait for another process to let go of the file.
  sqlite3_busy_timeout(self->db, 0);
  // Closing must not write unless we wrote (see ~impl): a journal refused
  // after it was opened (by the runtime's checks) stays as it was, WAL included.
  sqlite3_db_config(self->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  // Exclusive locking mode: no other process may open the file while we hold
  // it, and WAL then needs no shared-memory file.
  if (auto err = self->exec("PRAGMA locking_mode=EXCLUSIVE", "set locking mode"))
    return err;
  if (auto err = self->check_format())
    return err;
  if (options.verify)
    if (auto err = self->verify())
      return err;
  // The file is empty or ours; from here on it may be written.
  {
    statement mode;
    if (auto err = self->prepare(mode, "PRAGMA journal_mode=WAL"))
      return err;
    auto rc = mode.step();
    if (rc != SQLITE_ROW)
      return self->fail(rc, "set journal mode");
    if (mode.column_blob(0) != "wal")
      return error{errc::io, "journal " + file.string() + ": cannot switch to WAL mode (got "
                               + std::string{mode.column_blob(0)} + ")"};
  }
  if (auto err = self->exec(options.synchronous_full ? "PRAGMA synchronous=FULL"
                                                     : "PRAGMA synchronous=NORMAL",
                            "set synchronous"))
    return err;
  auto create_sql = std::string{"BEGIN IMMEDIATE;"} + schema_sql
                    + "INSERT OR IGNORE INTO meta(key, value) VALUES('format', CAST('"
                    + std::string{format_value} + "' AS BLOB));COMMIT;";
  if (auto err = self->exec(create_sql.c_str(), "create schema")) {
    (void) self->exec("ROLLBACK", "rollback");
    return err;
  }
  auto& s = *self;
  for (auto [stmt, sql] : std::initializer_list<std::pair<statement*, const char*>>{
         {&s.begin, "BEGIN IMMEDIATE"},
         {&s.commit, "COMMIT"},
         {&s.rollback, "ROLLBACK"},
         {&s.insert_entry,
          "INSERT INTO entries(id, segment, partition, seq, epoch, body) "
          "VALUES(?1, ?2, ?3, ?4, ?5, ?6)"},
         {&s.delete_entries, "DELETE FROM entries WHERE id BETWEEN ?1 AND ?2"},
         {&s.mark_run, "UPDATE entries SET segment = ?2 WHERE id = ?1"},
         {&s.upsert_snapshot,
          "INSERT OR REPLACE INTO snapshots(partition, seq, epoch, body) "
          "VALUES(?1, ?2, ?3, ?4)"},
         {&s.select_snapshot, "SELECT seq, epoch, body FROM snapshots WHERE partition = ?1"},
         {&s.select_snapshot_seq, "SELECT seq FROM snapshots WHERE partition = ?1"},
         {&s.set_highest,
          "INSERT INTO partitions(partition, epoch, highest_seq) VALUES(?1, ?2, ?3) "
          "ON CONFLICT(partition) DO UPDATE SET highest_seq = excluded.highest_seq"},
         {&s.set_epoch,
          "INSERT INTO partitions(partition, epoch, highest_seq) VALUES(?1, ?2, 0) "
          "ON CONFLICT(partition) DO UPDATE SET epoch = excluded.epoch"},
         {&s.select_partitions, "SELECT partition, epoch, highest_seq FROM partitions"},
         {&s.select_tail,
          "SELECT partition, max(seq) FROM entries WHERE id > ?1 GROUP BY partition"},
         {&s.select_ids, "SELECT max(id) FROM entries"},
         {&s.delete_prefix, "DELETE FROM entries WHERE id < ?1"},
         {&s.select_first_ids, // run starts above the partition's snapshot: the others are dead
          "SELECT e.partition, min(e.id) FROM entries e LEFT JOIN snapshots s "
          "ON s.partition = e.partition WHERE e.segment IS NOT NULL "
          "AND e.seq > coalesce(s.seq, -1) GROUP BY e.partition"},
         {&s.select_runs,
          "SELECT seq, id FROM entries "
          "WHERE segment = ?1 AND partition = ?2 AND seq <= ?3 ORDER BY seq"},
         {&s.select_from, "SELECT id, partition, seq, epoch, body FROM entries WHERE id >= ?1"},
         {&s.get_meta, "SELECT value FROM meta WHERE key = ?1"},
         {&s.set_meta, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)"},
       }) {
    if (auto err = self->prepare(*stmt, sql))
      return err;
  }
  if (auto err = self->load_state())
    return err;
  return std::unique_ptr<sqlite_journal>{new sqlite_journal(std::move(self))};
}

const std::filesystem::path& sqlite_journal::file() const noexcept {
  return impl_->file;
}

expected<std::optional<std::string>> sqlite_journal::meta(std::string_view key) {
  auto& s = impl_->get_meta;
  reset_guard guard{s};
  s.bind_text(1, key);
  switch (auto rc = s.step()) {
    case SQLITE_ROW:
      return std::optional<std::string>{std::string{s.column_blob(0)}};
    case SQLITE_DONE:
      return std::optional<std::string>{};
    default:
      return impl_->fail(rc, "read meta '" + std::string{key} + "'");
  }
}

error sqlite_journal::meta(std::string_view key, std::string_view value) {
  if (key == format_key || key == through_key)
    return error{errc::invalid_argument, "journal " + impl_->file.string() + ": meta key '"
                                           + std::string{key} + "' is reserved"};
  auto& s = impl_->set_meta;
  s.bind_text(1, key);
  s.bind(2, value);
  return impl_->run(s, "write meta '" + std::string{key} + "'");
}

expected<uint64_t> sqlite_journal::acquire(partition_id p) {
  auto next = epoch(p) + 1;
  auto& s = impl_->set_epoch;
  s.bind(1, to_sql(p));
  s.bind(2, to_sql(next));
  if (auto err = impl_->run(s, "acquire epoch", p))
    return err;
  impl_->state_of(p).epoch = next;
  return next;
}

expected<std::vector<uint64_t>> sqlite_journal::acquire(const std::vector<partition_id>& ps) {
  auto& s = *impl_;
  if (auto err = s.run(s.begin, "begin acquire"))
    return err;
  std::vector<uint64_t> epochs;
  epochs.reserve(ps.size());
  for (auto p : ps) {
    auto next = epoch(p) + 1;
    for (size_t i = 0; i < epochs.size(); ++i) // a partition named twice gets two epochs
      if (ps[i] == p)
        next = std::max(next, epochs[i] + 1);
    s.set_epoch.bind(1, to_sql(p));
    s.set_epoch.bind(2, to_sql(next));
    if (auto err = s.run(s.set_epoch, "acquire epoch", p)) {
      (void) s.run(s.rollback, "roll back acquire");
      return err;
    }
    epochs.push_back(next);
  }
  if (auto err = s.run(s.commit, "commit acquire")) {
    (void) s.run(s.rollback, "roll back acquire");
    return err;
  }
  for (size_t i = 0; i < ps.size(); ++i)
    s.state_of(ps[i]).epoch = std::max(s.state_of(ps[i]).epoch, epochs[i]);
  return epochs;
}

uint64_t sqlite_journal::epoch(partition_id p) const {
  auto i = impl_->partitions.find(p);
  return i == impl_->partitions.end() ? 0 : i->second.epoch;
}

void sqlite_journal::stage_append(partition_id p, uint64_t epoch, uint64_t seq,
                                  std::string_view body) {
  impl_->staged.push_back(staged_write{false, p, epoch, seq, std::string{body}});
}

void sqlite_journal::stage_snapshot(partition_id p, uint64_t epoch, uint64_t seq,
                                    std::string_view body) {
  impl_->staged.push_back(staged_write{true, p, epoch, seq, std::string{body}});
}

size_t sqlite_journal::staged() const noexcept {
  return impl_->staged.size();
}

expected<std::vector<write_status>> sqlite_journal::commit() {
  auto& s = *impl_;
  if (s.staged.empty())
    return std::vector<write_status>{};
  // Replay's statements read `entries`; a group must not change it under them.
  if (s.replaying)
    return error{errc::invalid_argument,
                 "journal " + s.file.string() + ": commit called from a replay callback"};
  // The group is consumed whether or not it commits; the caller learns the
  // outcome of every staged write from the result (or the error).
  auto g = s.take_group();
  if (auto err = s.run(s.begin, "begin commit"))
    return err;
  if (auto err = s.write_group(g)) {
    s.abort_transaction();
    return err;
  }
  s.remember_group(g);
  return std::move(g.result);
}

expected<std::optional<snapshot>> sqlite_journal::load_snapshot(partition_id p) {
  auto& s = impl_->select_snapshot;
  reset_guard guard{s};
  s.bind(1, to_sql(p));
  switch (auto rc = s.step()) {
    case SQLITE_ROW:
      return std::optional<snapshot>{snapshot{p, from_sql(s.column_int(0)),
                                              from_sql(s.column_int(1)),
                                              std::string{s.column_blob(2)}}};
    case SQLITE_DONE:
      return std::optional<snapshot>{};
    default:
      return impl_->fail(rc, "load snapshot of partition " + std::to_string(p));
  }
}

error sqlite_journal::replay(partition_id p, uint64_t from_seq, uint64_t to_seq,
                             const std::function<error(const entry&)>& fn) {
  // The statement is shared; a nested replay from `fn` would reset it.
  if (impl_->replaying)
    return error{errc::invalid_argument,
                 "journal " + impl_->file.string() + ": replay called from a replay callback"};
  if (from_seq > to_seq || from_seq > max_sql_seq)
    return {};
  auto last = std::min(to_seq, max_sql_seq);
  auto& s = *impl_;
  s.replaying = true;
  auto& rows = s.select_from;
  entry e;
  e.partition = p;
  auto result = s.for_each_run(p, s.first_id_of(p), from_seq, last, s.next_id,
                               [&](int64_t first_id) -> expected<scan_result> {
    reset_guard guard{rows};
    rows.bind(1, first_id);
    int rc;
    uint64_t seq = 0;
    while ((rc = rows.step()) == SQLITE_ROW && from_sql(rows.column_int(1)) == p) {
      ++s.stats.rows_read;
      seq = from_sql(rows.column_int(2));
      if (seq < from_seq)
        continue;
      if (seq > last)
        return scan_result{seq, true};
      e.seq = seq;
      e.epoch = from_sql(rows.column_int(3));
      e.body.assign(rows.column_blob(4));
      if (auto err = fn(e))
        return err;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
      return s.fail(rc, "replay", p);
    return scan_result{seq, seq == last};
  });
  s.replaying = false;
  return result;
}

const read_stats& sqlite_journal::stats() const noexcept {
  return impl_->stats;
}

expected<uint64_t> sqlite_journal::highest_seq(partition_id p) {
  auto i = impl_->partitions.find(p);
  return i == impl_->partitions.end() ? uint64_t{0} : i->second.highest_seq;
}

expected<std::vector<partition_id>> sqlite_journal::partitions() {
  // Every append, snapshot and acquire writes the partition's row, so the
  // cache of the `partitions` table lists them all.
  std::vector<partition_id> result;
  result.reserve(impl_->partitions.size());
  for (auto& [p, state] : impl_->partitions)
    result.push_back(p);
  std::sort(result.begin(), result.end());
  return result;
}

} // namespace eddy::journal
