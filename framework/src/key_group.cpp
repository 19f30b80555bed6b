#include "eddy/key_group.hpp"

#include <xxhash.h>

namespace eddy {

uint64_t key_hash(std::string_view key_bytes) noexcept {
  return XXH64(key_bytes.data(), key_bytes.size(), 0);
}

} // namespace eddy
