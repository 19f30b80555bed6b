#pragma once

// The input side of a keyed partition: one logical channel from each
// producer index of the stage before, deduplicated by its high-water mark
// (DESIGN.md invariant 1), and what of it is durable, so that a duplicate
// is answered with an ack and a gap with one request for redelivery.

#include <cstdint>
#include <vector>

#include "eddy/dataflow/batch.hpp"
#include "protocol.hpp"
#include "records_codec.hpp"
#include "transport/channel.hpp"

namespace eddy::actors {

/// The input channels of one partition, by producer index. Tracks the
/// applied high-water marks (journaled as positions named by the
/// producer's partition id), the durable ones (acknowledged upstream) and
/// the acks that wait for the next journal entry. Plain C++, owned by one
/// partition actor; not thread-safe.
class input_channels {
public:
  /// What a partition does with an arriving batch.
  struct verdict {
    enum kind {
      apply,       ///< apply it after its first `skip` records
      drop,        ///< seen already, or a gap already asked about
      ask_resend,  ///< a gap: ask for redelivery after `seq`
      ack_durable, ///< a duplicate: ack `seq`, the durable mark, again
      foreign,     ///< no such producer
    };
    kind what = drop;
    uint32_t skip = 0;
    uint64_t seq = 0;
  };

  /// `producers` channels from stage `producer_stage`.
  input_channels(uint32_t producer_stage = 0, uint32_t producers = 0);

  uint32_t size() const noexcept {
    return static_cast<uint32_t>(channels_.size());
  }
  uint64_t hw(uint32_t producer) const {
    return channels_.at(producer).hw();
  }

  /// Decides on batch `b` of `producer`. A gap is asked about once per
  /// position: the redelivery it asks for comes in order after it.
  verdict admit(uint32_t producer, const dataflow::record_batch& b);

  /// `producer`'s records up to `last_seq` were applied: the next journal
  /// entry holds the new mark, and its ack leaves once that entry is durable.
  void applied(uint32_t producer, uint64_t last_seq);

  /// True while applied inputs wait for a journal entry.
  bool acks_due() const noexcept {
    return !acks_due_.empty();
  }
  /// The acks applied since the last call, for the next journal entry.
  std::vector<input_seq> take_acks();

  /// The journal entry holding these acks is durable.
  void durable(const std::vector<input_seq>& acks);

  /// The journal's positions of `acks`: (producer partition id, seq).
  std::vector<position> positions(const std::vector<input_seq>& acks) const;
  /// Every channel's mark, for a snapshot (channels at 0 left out).
  std::vector<position> positions() const;

  /// Recovery: raises a channel's mark to a journaled position. Throws
  /// decode_error if it names no producer of this partition.
  void restore(const position& p);
  /// Recovery is done: the marks are durable. Returns them (those above
  /// 0), for the hello to the exchange.
  std::vector<input_seq> recovered();

private:
  uint32_t producer_stage_;
  std::vector<channel_in> channels_;
  std::vector<uint64_t> durable_;      ///< acknowledged upstream
  std::vector<uint64_t> resend_asked_; ///< the position a redelivery was asked for
  std::vector<input_seq> acks_due_;    ///< applied since the last journal entry
};

} // namespace eddy::actors
