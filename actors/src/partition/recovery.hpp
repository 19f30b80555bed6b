#pragma once

// Recovery of a keyed partition (DESIGN.md invariant 6): its latest
// snapshot, then the entries after it, in order. What comes out is what the
// partition had made durable before it stopped: user state, input marks,
// output positions, and the outputs its consumers had not acknowledged,
// which go to its exchange again (invariant 3).

#include <string>
#include <vector>

#include "eddy/dataflow/partition_logic.hpp"
#include "partition/input_channels.hpp"
#include "protocol.hpp"
#include "transport/outbox.hpp"

namespace eddy::actors {

/// Replays `snapshot` (empty: none) and the `entries` after it into a new
/// incarnation: the user state into `logic`, the input marks into `inputs`,
/// the output positions into `outputs`, where the unacknowledged outputs
/// are kept as sent. Returns those outputs, in seq order per channel, to
/// hand to the exchange. Throws decode_error on bodies that do not decode
/// or name channels the partition does not have; user code may throw too.
std::vector<flat_batch> replay(dataflow::partition_logic& logic, const std::string& snapshot,
                               const std::vector<std::string>& entries, input_channels& inputs,
                               outbox& outputs);

} // namespace eddy::actors
