#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace eddy::dataflow {

/// Where a chain of stateless steps delivers its records: the runtime's
/// per-consumer batch builders. `target` is the consumer's index: the key
/// group for a keyed consumer, 0 for a sink. Owned by the producing actor.
class output_port {
public:
  virtual ~output_port() = default;
  virtual void push(uint32_t target, std::string_view key, int64_t time,
                    std::string_view payload) = 0;

  /// A timestamp assigner proposes a watermark (a source uses the highest;
  /// keyed operators keep their own, the minimum of their inputs).
  virtual void propose_watermark(int64_t wm) = 0;
};

/// Feeds one value of `T` with its event time into a chain.
template <class T>
using push_fn = std::function<void(const T&, int64_t)>;

/// Builds a chain that ends in `port`: called once per producing instance.
template <class T>
using chain_factory = std::function<push_fn<T>(output_port&)>;

} // namespace eddy::dataflow
