#include "eddy/side_output.hpp"

#include <atomic>

namespace eddy::detail {

uint32_t next_side_output_id() {
  static std::atomic<uint32_t> next{1};
  return next++;
}

} // namespace eddy::detail
