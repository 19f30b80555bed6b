#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/error.hpp"

namespace eddy {

/// A replayable source of values of type `T` (DESIGN.md invariant 4).
///
/// Owned and driven by one source actor, from one thread; not thread-safe.
/// Lifecycle: check() before the job starts, then open(position) once, then
/// read() until finished(). The runtime stores position() durably with the
/// batches it emits and passes it to open() after a restart, so a source must
/// deliver exactly the same values after a position as it did the first time.
///
/// Splits (after Flink's FLIP-27, without its enumerator/reader protocol): a
/// source may cut its input into independent splits (byte ranges of files,
/// strides of a generator, partitions of a stream). splits(desired) names
/// them; reader(split) makes a source that reads just that split, with its
/// own open/read/finished/position, and the runtime stores one position per
/// split. The split list must be a pure function of the configuration, the
/// input and `desired`: the same input and the same `desired` give the same
/// list in the same order, because a restarted job reopens each stored
/// position in the reader of the split it was stored for. A source without
/// splits overrides neither: it is one split, "", read by the object itself.
/// Readers are made and used on the source actor's thread; splits() and
/// reader() are const and must not change the source. The runtime fixes the
/// list at a job's first start and gives every split its own channels and
/// checkpoint, so splits may be read by any instance and in any order.
template <class T>
class source {
public:
  using value_type = T;

  virtual ~source() = default;

  /// Names what the source reads, for logs and error messages.
  virtual std::string name() const = 0;

  /// Checks the configuration before anything runs (e.g. that a file exists).
  [[nodiscard]] virtual error check() const {
    return {};
  }

  /// Returns the descriptors of this source's splits, at least one, for a
  /// hint of `desired` splits (e.g. the source's parallelism; the list may be
  /// longer or shorter). Deterministic: see the class comment. The default
  /// is one split, "", meaning the whole source.
  [[nodiscard]] virtual expected<std::vector<std::string>> splits(uint32_t desired) const {
    (void) desired;
    return std::vector<std::string>{std::string{}};
  }

  /// Returns a new, unopened source that reads only `split` (one of the
  /// descriptors splits() returned), or nullptr when this object reads it
  /// itself: the default, right for a source with the single split "".
  /// Readers of different splits are independent of each other and of this
  /// object; each is opened, read and positioned on its own.
  [[nodiscard]] virtual expected<std::unique_ptr<source<T>>> reader(const std::string& split) const {
    if (!split.empty())
      return error{errc::invalid_argument, name() + " has no split '" + split + "'"};
    return std::unique_ptr<source<T>>{};
  }

  /// Opens the source at `position` as returned by position(), or at the
  /// beginning when `position` is empty.
  [[nodiscard]] virtual error open(std::string_view position) = 0;

  /// Calls `fn` for up to `max` next values and returns how many it delivered.
  /// A value passed to `fn` is valid only during that call. Fewer than `max`
  /// means the source has caught up with its input for now: the runtime
  /// reads it again after one watermark interval, not at once. Never block
  /// long here: the source's acknowledgements wait behind the call.
  [[nodiscard]] virtual expected<size_t> read(size_t max,
                                              const std::function<void(const T&)>& fn) = 0;

  /// Returns true once a bounded input has delivered its last value.
  virtual bool finished() const = 0;

  /// The position just after the last value delivered by read().
  virtual std::string position() const = 0;
};

} // namespace eddy
