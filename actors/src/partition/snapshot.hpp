#pragma once

// What a keyed partition's snapshot holds (FORMAT.md, Snapshot): its whole
// state at its newest entry, so recovery needs nothing before it.

#include "eddy/dataflow/partition_logic.hpp"
#include "partition/in_flight.hpp"
#include "partition/input_channels.hpp"
#include "records_codec.hpp"
#include "transport/outbox.hpp"

namespace eddy::actors {

/// The snapshot of a partition as of its newest entry: the user state of
/// `logic`, every input mark, the position of every output channel that
/// assigned a seq, and every output not acknowledged: released ones still
/// in `outputs`, and those its entries `in_flight` hold back.
snapshot_record snapshot_of(const dataflow::partition_logic& logic, const input_channels& inputs,
                            const outbox& outputs, const in_flight_entries& entries);

} // namespace eddy::actors
