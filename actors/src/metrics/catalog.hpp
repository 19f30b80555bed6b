#pragma once

// Eddy's metrics, each with its name, help and labels in one place (the
// table in README.md lists them). Actors look their series up once, when
// they start, and keep the references: adding to a series is one relaxed
// atomic operation.

#include <cstdint>
#include <string>

#include "metrics/registry.hpp"

namespace eddy::actors::metrics {

namespace detail {
/// Where the series of an actor built without instance_of() go (tests).
inline counter unlabeled_counter;
inline gauge unlabeled_gauge;
} // namespace detail

/// The series of one operator instance (a source, keyed or sink instance;
/// `op` is the stage's name).
struct instance_metrics {
  counter* records_in = &detail::unlabeled_counter;
  counter* records_out = &detail::unlabeled_counter;
  counter* backpressured_seconds = &detail::unlabeled_counter; ///< paused for lack of credit
  gauge* watermark_seconds = &detail::unlabeled_gauge; ///< event time; unset until it has one
  counter* late_dropped = &detail::unlabeled_counter;
  counter* restarts = &detail::unlabeled_counter; ///< partitions of the instance restarted
};

/// What an instance is: it decides which series it has (a sink waits for
/// no credit and has no watermark; only keyed ones drop late records or
/// restart partitions), so no series shows a number nothing measures.
enum class instance_role { source, keyed, sink };

/// The series of operator `op`'s instance `instance` in the process
/// registry, created (with the watermark's lag gauge) on first use; those
/// its role lacks go nowhere.
instance_metrics instance_of(const std::string& op, uint32_t instance, instance_role role);

/// Sets `m`'s watermark gauge to event time `wm_ms` (ms); min_time (no
/// watermark yet) and max_time (input ended) leave it as it is.
void watermark(const instance_metrics& m, int64_t wm_ms) noexcept;

/// Record bytes in frames this node sent to / received from exchanges on other nodes.
counter& sent_bytes();
counter& received_bytes();

/// Journal group commits, their latency.
histogram& journal_commit_seconds();

/// Snapshots of operator `op`'s partitions: time to take one, and its size.
histogram& snapshot_seconds(const std::string& op);
histogram& snapshot_bytes(const std::string& op);

/// Time from a partition's spawn until it recovered its state.
histogram& recovery_seconds(const std::string& op);

/// Coordinator: from a worker's loss or join until every key group that
/// moved for it recovered where it went.
histogram& move_recovery_seconds();

/// Key groups of operator `op` whose partitions run on this node.
gauge& partitions(const std::string& op);

/// Coordinator: workers joined and alive.
gauge& workers_up();

} // namespace eddy::actors::metrics
