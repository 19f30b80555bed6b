#pragma once

// Key groups, as in Flink's KeyGroupRangeAssignment: a key belongs to one of
// `max_key_groups` groups by a stable hash of its canonical bytes; a keyed
// operator with parallelism p gives contiguous ranges of groups to its p
// instances, so state saved at one parallelism restores at another.

#include <cstdint>
#include <string_view>

namespace eddy {

/// Default number of key groups per job, as DESIGN.md fixes it.
inline constexpr uint32_t default_max_key_groups = 128;

/// Upper bound for max_key_groups (Flink's limit as well).
inline constexpr uint32_t max_max_key_groups = 32768;

/// Stable 64-bit hash of canonical key bytes (xxHash64, seed 0).
uint64_t key_hash(std::string_view key_bytes) noexcept;

/// The key group of a key: `xxh64(key_bytes) % max_key_groups`.
inline uint32_t key_group_of(std::string_view key_bytes, uint32_t max_key_groups) noexcept {
  return static_cast<uint32_t>(key_hash(key_bytes) % max_key_groups);
}

/// The operator instance owning a key group: `kg * parallelism / max_key_groups`.
inline uint32_t instance_of(uint32_t key_group, uint32_t max_key_groups,
                            uint32_t parallelism) noexcept {
  return static_cast<uint32_t>(uint64_t{key_group} * parallelism / max_key_groups);
}

/// A contiguous, inclusive range of key groups `[first, last]`; empty when first > last.
struct key_group_range {
  uint32_t first = 0;
  uint32_t last = 0;

  uint32_t size() const noexcept {
    return last >= first ? last - first + 1 : 0;
  }
  bool contains(uint32_t kg) const noexcept {
    return kg >= first && kg <= last;
  }
  friend bool operator==(const key_group_range&, const key_group_range&) = default;
};

/// The key groups instance `index` of `parallelism` owns:
/// `[(i*max + p - 1)/p, ((i+1)*max - 1)/p]`.
inline key_group_range range_of(uint32_t index, uint32_t max_key_groups,
                                uint32_t parallelism) noexcept {
  uint64_t m = max_key_groups;
  uint64_t p = parallelism;
  return {static_cast<uint32_t>((index * m + p - 1) / p),
          static_cast<uint32_t>(((index + 1) * m - 1) / p)};
}

} // namespace eddy
