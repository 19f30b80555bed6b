#pragma once

// A user function's state handles bound to a registry of their own, built
// the way the runtime builds them, for tests of state without a partition.

#include <optional>
#include <string_view>

#include "eddy/state.hpp"

namespace eddy::test {

/// `Fn` (a struct of state handles) constructed inside a registry scope.
template <class Fn>
struct state_harness {
  eddy::detail::state_registry registry;
  std::optional<Fn> fn;

  state_harness() {
    eddy::detail::state_registry::scope scope{&registry};
    fn.emplace();
  }

  /// The handles, reading and writing the state of `key`.
  Fn& at(std::string_view key) {
    registry.current_key(key);
    return *fn;
  }
};

} // namespace eddy::test
