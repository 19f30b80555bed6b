#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/error.hpp"

namespace eddy {

/// The high-water mark of one input channel of a sink: every value the
/// channel carried up to and including `seq` is in the sink's committed
/// output. `channel` is the runtime's name for the channel, opaque to the
/// sink: store it and give it back verbatim.
struct sink_mark {
  uint64_t channel = 0;
  uint64_t seq = 0;

  friend bool operator==(const sink_mark&, const sink_mark&) = default;
};

/// The marks of every input channel that delivered something, by channel.
using sink_marks = std::vector<sink_mark>;

/// An exactly-once sink of values of type `T` (DESIGN.md invariant 5).
///
/// Owned and driven by one sink actor, from one thread; not thread-safe.
/// Lifecycle: check() before the job starts, open(committed) once, then any
/// number of write() calls, each group closed by commit(marks). After
/// commit() returns, the runtime stores the position it returned together
/// with the same marks in its journal, and after a restart passes the last
/// stored position to open(), which must discard everything written after
/// it. An empty position means nothing was ever committed (a fresh job).
///
/// Two ways to be exactly-once, chosen per sink:
/// - **Marks in the journal** (files): commit() makes the data durable and
///   returns a position that lets open() cut back to it (a file length);
///   open() returns std::nullopt and the runtime takes the marks from its
///   journal. What commit() made durable after the last journaled position
///   is output the restarted job produces again, so open() discards it.
/// - **Marks in the target** (transactional targets: SQLite, PostgreSQL,
///   Redis MULTI): commit(marks) stores the data and `marks` in one
///   transaction; open() returns the marks of the last committed transaction
///   (an empty list if there was none). The runtime then takes those as
///   authoritative over its journal's: the sink's transaction commits before
///   the journal records its checkpoint, so a crash in between leaves the
///   target ahead of the journal, and the runtime must drop what the target
///   already holds. Uncommitted writes vanish with their transaction.
///
/// Instances: a sink may run as several instances (part files, one
/// transaction per instance). max_instances() says how many it supports and
/// instance(i, n) makes instance `i` of `n`; each instance has its own
/// lifecycle, position and marks, and the runtime keeps `n` the same across
/// restarts of a job.
template <class T>
class sink {
public:
  using value_type = T;

  virtual ~sink() = default;

  /// Names where the sink writes, for logs and error messages.
  virtual std::string name() const = 0;

  /// Checks the configuration before anything runs (e.g. that a file is writable).
  [[nodiscard]] virtual error check() const {
    return {};
  }

  /// The most instances this sink can run as; 1 (the default) for a sink
  /// that writes one target, such as a single file.
  virtual uint32_t max_instances() const {
    return 1;
  }

  /// Returns a new, unopened sink that is instance `index` of `count`
  /// (`index < count <= max_instances()`), or nullptr when this object is
  /// that instance itself: the default, for a sink of one instance. Const:
  /// it must not change this object.
  [[nodiscard]] virtual expected<std::unique_ptr<sink<T>>> instance(uint32_t index,
                                                                    uint32_t count) const {
    if (index != 0 || count != 1)
      return error{errc::invalid_argument, name() + " runs as one instance, not "
                                             + std::to_string(count)};
    return std::unique_ptr<sink<T>>{};
  }

  /// Opens the sink and discards whatever was written after `committed`.
  /// Returns the marks stored with the last committed transaction if the
  /// sink keeps marks in its target (an empty list if nothing was committed
  /// yet), or std::nullopt if the runtime's journal keeps them.
  [[nodiscard]] virtual expected<std::optional<sink_marks>> open(std::string_view committed) = 0;

  /// Writes one value; it becomes durable with the next commit().
  [[nodiscard]] virtual error write(const T& value) = 0;

  /// Makes every write so far durable, together with `marks` (the marks of
  /// all channels, covering exactly those writes) if the sink keeps marks,
  /// and returns the position that covers them.
  [[nodiscard]] virtual expected<std::string> commit(const sink_marks& marks) = 0;
};

} // namespace eddy
