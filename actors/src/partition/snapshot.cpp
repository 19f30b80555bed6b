#include "partition/snapshot.hpp"

namespace eddy::actors {

snapshot_record snapshot_of(const dataflow::partition_logic& logic, const input_channels& inputs,
                            const outbox& outputs, const in_flight_entries& entries) {
  snapshot_record s;
  logic.snapshot(s.state);
  s.inputs = inputs.positions();
  for (uint32_t t = 0; t < outputs.channels(); ++t) {
    if (outputs.next_seq(t) > 1) {
      s.next_seqs.push_back({t, outputs.next_seq(t)});
      s.acked.push_back({t, outputs.acked(t)});
    }
  }
  outputs.for_each_unacked([&](uint32_t t, const batch_ptr& b) { s.outbox.push_back({t, *b}); });
  entries.for_each_output([&](const target_batch& tb) { s.outbox.push_back(tb); });
  return s;
}

} // namespace eddy::actors
