#pragma once

#include <cstdint>
#include <string>
#include <utility>

namespace eddy {

namespace detail {

/// A fresh id for a side output tag (process-wide, starting at 1).
uint32_t next_side_output_id();

} // namespace detail

/// Names a side output of type `T` (Flink's OutputTag): a keyed function
/// writes to it with `ctx.output(tag, value)`, a flat_map step with
/// `out.output(tag, value)`, and `stream.side_output(tag)` on the stream of
/// that step or function continues it like any stream. Values written to a
/// side output nobody continues are dropped. Immutable; cheap to copy.
template <class T>
class side_output {
public:
  using value_type = T;

  explicit side_output(std::string name)
    : name_(std::move(name)), id_(detail::next_side_output_id()) {
  }

  const std::string& name() const noexcept {
    return name_;
  }
  uint32_t id() const noexcept {
    return id_;
  }

private:
  std::string name_;
  uint32_t id_;
};

} // namespace eddy
