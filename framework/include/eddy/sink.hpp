#pragma once

#include <string>
#include <string_view>

#include "eddy/error.hpp"

namespace eddy {

/// An exactly-once sink of values of type `T` (DESIGN.md invariant 5).
///
/// Owned and driven by one sink actor, from one thread; not thread-safe.
/// Lifecycle: check() before the job starts, open(committed) once, then any
/// number of write() calls, each group closed by commit(). The runtime stores
/// the position commit() returns in the same journal transaction as the
/// channel high-water marks of what was written, and passes the last stored
/// one to open() after a crash: open() must then discard everything written
/// after it. An empty position means nothing was ever committed.
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

  /// Opens the sink and discards whatever was written after `committed`.
  [[nodiscard]] virtual error open(std::string_view committed) = 0;

  /// Writes one value; it becomes durable with the next commit().
  [[nodiscard]] virtual error write(const T& value) = 0;

  /// Makes every write so far durable and returns the position that covers them.
  [[nodiscard]] virtual expected<std::string> commit() = 0;
};

} // namespace eddy
