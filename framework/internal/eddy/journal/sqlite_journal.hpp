#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/error.hpp"

namespace eddy::journal {

/// Identifies one journaled participant of a node: a partition
/// (operator, key group), a source or a sink. See partition_id_of().
using partition_id = uint64_t;

/// The partition id of key group `kg` of operator number `op`.
inline constexpr partition_id partition_id_of(uint32_t op, uint32_t kg) noexcept {
  return (partition_id{op} << 32) | kg;
}

/// The operator (stage) number of a partition id: the inverse of partition_id_of.
inline constexpr uint32_t stage_of(partition_id p) noexcept {
  return static_cast<uint32_t>(p >> 32);
}

/// The key group (index within its stage) of a partition id.
inline constexpr uint32_t index_of(partition_id p) noexcept {
  return static_cast<uint32_t>(p & 0xffffffffu);
}

/// One durable journal entry of a partition.
struct entry {
  partition_id partition = 0;
  uint64_t seq = 0;   ///< per partition, strictly increasing, starts at 1
  uint64_t epoch = 0; ///< incarnation that wrote it
  std::string body;   ///< opaque bytes (a Cap'n Proto message for the runtime)
};

/// The latest snapshot of a partition: its whole state as of entry `seq`.
struct snapshot {
  partition_id partition = 0;
  uint64_t seq = 0;
  uint64_t epoch = 0;
  std::string body;
};

/// Outcome of one staged write after commit().
enum class write_status : uint8_t {
  written,        ///< durable
  fenced,         ///< refused: its epoch is older than the partition's current epoch
  seq_conflict,   ///< refused: an append whose seq is not above the highest stored seq
};

/// What replay() and the entry deletes of snapshots have read since the
/// journal was opened, as counts: how their cost grows. For tests,
/// benchmarks and metrics.
struct read_stats {
  uint64_t segments_searched = 0; ///< seeks of the run index, one per segment (1024 ids)
  uint64_t runs_read = 0;         ///< runs read by id
  uint64_t rows_read = 0;         ///< entry rows read
};

/// Options for opening a journal file.
struct open_options {
  bool create = true;          ///< create the file when missing
  bool synchronous_full = true; ///< PRAGMA synchronous=FULL (durable against power loss)
  bool verify = false;          ///< read every page before anything is written (quick_check)
};

/// The per-node durable log of partition entries and latest snapshots: one
/// SQLite database in WAL mode. The on-disk format is in FORMAT.md beside the
/// source.
///
/// Writes are staged and then committed as one group in one transaction
/// (group commit), so fsync is paid once per group. Epoch fencing (DESIGN.md
/// invariant 7): acquire() starts a new incarnation of a partition; a staged
/// write carrying an older epoch is refused at commit().
///
/// Owned by one journal actor; not thread-safe. The file is opened in
/// exclusive locking mode, so a second process cannot use the same file.
class sqlite_journal {
public:
  ~sqlite_journal();
  sqlite_journal(const sqlite_journal&) = delete;
  sqlite_journal& operator=(const sqlite_journal&) = delete;

  /// Opens (or creates) the journal at `file`. Fails with errc::corrupt naming
  /// the file when it is not an SQLite database or not an Eddy journal, and
  /// with errc::io when it cannot be opened, and with errc::unavailable when
  /// another process has it open.
  [[nodiscard]] static expected<std::unique_ptr<sqlite_journal>>
  open(const std::filesystem::path& file, open_options options = {});

  /// The file this journal writes.
  const std::filesystem::path& file() const noexcept;

  /// Reads a value of the node's metadata (job name, max key groups, ...).
  [[nodiscard]] expected<std::optional<std::string>> meta(std::string_view key);

  /// Writes a value of the node's metadata durably, at once.
  [[nodiscard]] error meta(std::string_view key, std::string_view value);

  /// Starts a new incarnation of `p`: durably stores and returns an epoch
  /// greater than any returned before for `p`.
  [[nodiscard]] expected<uint64_t> acquire(partition_id p);

  /// Starts new incarnations of several partitions in one transaction (one
  /// fsync for a node's start); returns their epochs in order.
  [[nodiscard]] expected<std::vector<uint64_t>> acquire(const std::vector<partition_id>& ps);

  /// The current epoch of `p` (0 if it was never acquired).
  [[nodiscard]] uint64_t epoch(partition_id p) const;

  /// Stages an entry for the next commit().
  void stage_append(partition_id p, uint64_t epoch, uint64_t seq, std::string_view body);

  /// Stages a snapshot for the next commit(). It replaces the partition's
  /// previous snapshot, and the same transaction deletes the partition's
  /// entries with seq <= `seq`.
  void stage_snapshot(partition_id p, uint64_t epoch, uint64_t seq, std::string_view body);

  /// Number of writes staged since the last commit().
  size_t staged() const noexcept;

  /// Commits all staged writes in one transaction. Returns one status per
  /// staged write, in staging order. On error nothing of the group is stored.
  [[nodiscard]] expected<std::vector<write_status>> commit();

  /// The latest snapshot of `p`, if any.
  [[nodiscard]] expected<std::optional<snapshot>> load_snapshot(partition_id p);

  /// Calls `fn` for each entry of `p` with `from_seq <= seq <= to_seq`, in seq
  /// order; stops at and returns the first error `fn` returns.
  [[nodiscard]] error replay(partition_id p, uint64_t from_seq, uint64_t to_seq,
                             const std::function<error(const entry&)>& fn);

  /// The highest seq stored for `p` by an entry or its snapshot (0 if none).
  /// Never decreases, not even when a snapshot deletes older entries.
  [[nodiscard]] expected<uint64_t> highest_seq(partition_id p);

  /// Every partition id with an entry, a snapshot or an epoch.
  [[nodiscard]] expected<std::vector<partition_id>> partitions();

  /// What replays and snapshot deletes have read since open. Both visit
  /// only the segments from their partition's first live entry on, so their
  /// cost does not grow with other partitions' entries, not even when a
  /// quiet partition keeps an old entry alive.
  const read_stats& stats() const noexcept;

private:
  struct impl;
  explicit sqlite_journal(std::unique_ptr<impl> pimpl);
  std::unique_ptr<impl> impl_;
};

} // namespace eddy::journal
