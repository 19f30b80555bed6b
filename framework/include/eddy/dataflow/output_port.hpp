#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace eddy::dataflow {

/// Where the chains of one producing instance deliver their records: the
/// runtime's per-consumer batch builders. A producer has output edges: edge 0
/// is its main output, the others its side outputs; `target` is the
/// consumer's index on that edge (the key group for a keyed consumer, 0 for a
/// sink). Owned by the producing actor; not thread-safe.
class output_port {
public:
  /// Delivers a value of a side output, type-erased.
  using side_fn = std::function<void(const void* value, int64_t time)>;

  virtual ~output_port() = default;

  virtual void push(uint32_t edge, uint32_t target, std::string_view key, int64_t time,
                    std::string_view payload) = 0;

  /// A timestamp assigner proposes a watermark (a source uses the highest;
  /// keyed operators keep their own, the minimum of their inputs).
  virtual void propose_watermark(int64_t wm) = 0;

  /// Sends `value` (of the tag's type) to side output `id`, if the job continues it.
  void emit_side(uint32_t id, const void* value, int64_t time) const {
    if (id < sides_.size() && sides_[id])
      sides_[id](value, time);
  }

  /// Installs the chain that continues side output `id`.
  void side(uint32_t id, side_fn fn) {
    if (sides_.size() <= id)
      sides_.resize(id + 1);
    sides_[id] = std::move(fn);
  }

private:
  std::vector<side_fn> sides_;
};

/// Feeds one value of `T` with its event time into a chain.
template <class T>
using push_fn = std::function<void(const T&, int64_t)>;

/// Builds a chain that ends in `port`: called once per producing instance.
template <class T>
using chain_factory = std::function<push_fn<T>(output_port&)>;

} // namespace eddy::dataflow
