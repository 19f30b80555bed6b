#pragma once

// The read position of a source that the source actor reads as several
// splits, packed into the one position string of its checkpoint record
// (format in FORMAT.md, "Split positions"). A stopgap of the single source
// actor: with one actor per split each split gets its own checkpoint.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eddy::actors {

/// The positions of every split of a source, with the hint they were
/// enumerated for (so a restart enumerates the same list) and the state of
/// the round-robin over them (so a restart reads them in the same order and
/// every channel seq stands for the same value again: all splits share the
/// source actor's channels).
struct split_positions {
  uint32_t desired = 1;
  uint64_t turn = 0;  ///< values read from one split before the next one's turn
  uint64_t next = 0;  ///< the split whose turn is next
  std::vector<std::pair<std::string, std::string>> splits; ///< (descriptor, position)
};

/// True if `text` is in the split-positions format (by its tag), rather
/// than one split's plain position from before splits existed.
bool is_split_positions(std::string_view text);

std::string encode(const split_positions& x);

/// The split positions in `text`, or nullopt if it is malformed.
std::optional<split_positions> decode_split_positions(std::string_view text);

} // namespace eddy::actors
