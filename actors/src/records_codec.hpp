#pragma once

// Encoding of what the runtime journals (actors/schema/records.capnp) to and
// from plain structs, so that only records_codec.cpp sees Cap'n Proto.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/dataflow/batch.hpp"

namespace eddy::actors {

/// One logical channel's position as one of its ends keeps it: `peer` names
/// the channel by its other end (a producer's partition id or index for an
/// input, a consumer's flat index for an output), `seq` the channel's seq.
struct position {
  uint64_t peer = 0;
  uint64_t seq = 0;
};

struct target_batch {
  uint32_t target = 0;
  dataflow::record_batch batch;
};

/// One journal entry of a keyed partition.
struct entry_record {
  std::string state_log;
  std::vector<position> inputs;
  std::vector<target_batch> outputs;
  std::vector<position> acked;
};

/// A keyed partition's snapshot.
struct snapshot_record {
  std::string state;
  std::vector<position> inputs;
  std::vector<position> next_seqs;
  std::vector<position> acked;
  std::vector<target_batch> outbox;
};

/// A source's or a sink's checkpoint.
struct checkpoint_record {
  std::string position;
  std::vector<eddy::actors::position> channels;
};

std::string encode(const entry_record& x);
std::string encode(const snapshot_record& x);
std::string encode(const checkpoint_record& x);

/// Decoders throw eddy::decode_error on malformed bytes.
entry_record decode_entry(std::string_view bytes);
snapshot_record decode_snapshot(std::string_view bytes);
checkpoint_record decode_checkpoint(std::string_view bytes);

} // namespace eddy::actors
