#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "eddy/error.hpp"

namespace eddy {

/// A replayable source of values of type `T` (DESIGN.md invariant 4).
///
/// Owned and driven by one source actor, from one thread; not thread-safe.
/// Lifecycle: check() before the job starts, then open(position) once, then
/// read() until finished(). The runtime stores position() durably with the
/// batches it emits and passes it to open() after a restart, so a source must
/// deliver exactly the same values after a position as it did the first time.
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

  /// Opens the source at `position` as returned by position(), or at the
  /// beginning when `position` is empty.
  [[nodiscard]] virtual error open(std::string_view position) = 0;

  /// Calls `fn` for up to `max` next values and returns how many it delivered.
  /// A value passed to `fn` is valid only during that call.
  [[nodiscard]] virtual expected<size_t> read(size_t max,
                                              const std::function<void(const T&)>& fn) = 0;

  /// Returns true once a bounded input has delivered its last value.
  virtual bool finished() const = 0;

  /// The position just after the last value delivered by read().
  virtual std::string position() const = 0;
};

} // namespace eddy
