#pragma once

// A partition journals each group of inputs as one entry (DESIGN.md
// invariant 2): what the group changed, the outputs it produced with their
// channel seqs, the new input positions and the output positions its
// consumers acknowledged since the entry before, written atomically.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "batch_port.hpp"
#include "partition/in_flight.hpp"
#include "partition/input_channels.hpp"
#include "transport/outbox.hpp"

namespace eddy::actors {

/// Numbers a partition's journal entries and builds each from its group.
/// Plain C++, owned by one partition actor; not thread-safe.
class entry_builder {
public:
  /// A closed group: what it releases once durable, and the journal body
  /// (empty when the partition journals nothing).
  struct entry {
    in_flight_entry held;
    std::string body;
  };

  /// `journal` false: entries are numbered and released, never written.
  explicit entry_builder(bool journal = true) : journal_(journal) {
  }

  /// The last entry written or being written.
  uint64_t seq() const noexcept {
    return seq_;
  }
  /// Recovery: the journal's last entry.
  void seq(uint64_t last) noexcept {
    seq_ = last;
  }

  /// The acknowledged position of consumer `flat` moved: the next entry
  /// records it, so recovery does not hand over what was acknowledged.
  void acked(uint32_t flat);

  /// Closes a group that changed `state_log`, applied the acks `inputs`
  /// holds, and left its outputs in `port`, at operator watermark `wm`.
  /// Gives the outputs their seqs from `outputs`. Returns nothing, and
  /// takes nothing, when the group has nothing to journal.
  std::optional<entry> close(std::string&& state_log, input_channels& inputs, batch_port& port,
                             outbox& outputs, int64_t wm);

private:
  bool journal_;
  uint64_t seq_ = 0;
  std::vector<uint32_t> acked_changed_; ///< consumers whose ack moved since the last entry
};

} // namespace eddy::actors
