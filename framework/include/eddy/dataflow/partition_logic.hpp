#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eddy/dataflow/batch.hpp"
#include "eddy/dataflow/output_port.hpp"

namespace eddy::dataflow {

/// The user logic of one partition, type-erased for the partition actor:
/// the user's function object, its keyed state and the stateless steps after
/// it. Owned and used only by its partition actor.
class partition_logic {
public:
  virtual ~partition_logic() = default;

  /// Processes one record. State changes go to the change log, outputs to the
  /// port the logic was built with. Exceptions from user code propagate.
  virtual void process(const record_view& r) = 0;

  /// The operator's watermark moved to `wm`: fires the event-time timers at
  /// or before it (their changes and outputs join the current group).
  virtual void advance_watermark(int64_t wm) = 0;

  /// Fires the processing-time timers at or before `now`.
  virtual void fire_processing_timers(int64_t now) = 0;

  /// The earliest processing-time timer, or max_time if none.
  virtual int64_t next_processing_timer() const = 0;

  /// Moves the state change log accumulated since the last call into `out`.
  virtual void take_log(std::string& out) = 0;

  /// Turns the change log off when nothing journals it (journal off).
  virtual void logging(bool on) = 0;

  /// Applies a change log taken from an earlier incarnation (recovery).
  virtual void apply_log(std::string_view log) = 0;

  /// Appends the whole state to `out`.
  virtual void snapshot(std::string& out) const = 0;

  /// Replaces the whole state with a snapshot.
  virtual void restore(std::string_view bytes) = 0;

  /// Number of keys holding state, for logs and metrics.
  virtual size_t key_count() const = 0;

  /// Records dropped as late (a window operator's, with no late output)
  /// since this logic was built; 0 for logics that drop none.
  virtual uint64_t late_dropped() const {
    return 0;
  }

  /// What the state is made of: (name, schema) per state, in a fixed order
  /// (eddy/detail/evolution.hpp); savepoints record it to check upgrades.
  virtual std::vector<std::pair<std::string, std::string>> states() const = 0;

  /// The state of the key whose canonical bytes are `key`, as a JSON
  /// object with one member per state (named as in states(), but without
  /// the timers; null where the key has no value), for a query of the
  /// running job (actors/src/query/). Only reads: changes no state, logs
  /// nothing, expires nothing.
  virtual std::string state_json(std::string_view key) const = 0;

  /// Incremental cleanup of expired TTL state (Flink's incremental cleanup):
  /// examines at most about `budget` state entries, continuing round-robin
  /// where the previous call stopped, and erases the values and map entries
  /// whose TTL has passed at processing time `now`. The erasures go to the
  /// change log like a record's changes, so the runtime journals them with
  /// the next take_log() and a replay reaches the same state. Returns the
  /// number erased. Call between records and timers (never from inside
  /// process() or a timer callback). Logics without TTL state return 0.
  virtual size_t cleanup_expired(int64_t now, size_t budget) {
    (void) now;
    (void) budget;
    return 0;
  }
};

/// Builds the logic of one partition delivering its outputs to `port`.
using logic_factory = std::function<std::unique_ptr<partition_logic>(output_port& port)>;

} // namespace eddy::dataflow
