#include "partition/recovery.hpp"

#include <algorithm>
#include <memory>

#include "eddy/codec.hpp"
#include "records_codec.hpp"

namespace eddy::actors {

namespace {

/// The output side as the journal describes it, gathered before the outbox
/// is restored: entries may raise what the snapshot says.
class output_replay {
public:
  explicit output_replay(uint32_t channels)
    : batches_(channels), next_(channels, 1), acked_(channels, 0) {
  }

  void output(target_batch& tb) {
    if (tb.target >= next_.size())
      throw decode_error("output to consumer " + std::to_string(tb.target) + " of "
                         + std::to_string(next_.size()));
    next_[tb.target] = std::max(next_[tb.target], tb.batch.last_seq() + 1);
    batches_[tb.target].push_back(std::move(tb.batch));
  }
  void next_seq(const position& p) {
    if (p.peer >= next_.size())
      throw decode_error("next seq of consumer " + std::to_string(p.peer));
    next_[p.peer] = std::max(next_[p.peer], p.seq);
  }
  void acked(const position& p) {
    if (p.peer >= next_.size())
      throw decode_error("ack of consumer " + std::to_string(p.peer));
    acked_[p.peer] = std::max(acked_[p.peer], p.seq);
  }

  /// Restores `outputs` and returns the batches not acknowledged.
  std::vector<flat_batch> restore(outbox& outputs) {
    std::vector<flat_batch> unacked;
    for (uint32_t t = 0; t < next_.size(); ++t) {
      outputs.restore(t, next_[t], acked_[t]);
      for (auto& b : batches_[t]) {
        if (b.last_seq() <= acked_[t])
          continue;
        auto ptr = std::make_shared<const dataflow::record_batch>(std::move(b));
        outputs.sent(t, ptr);
        unacked.push_back({t, std::move(ptr)});
      }
    }
    return unacked;
  }

private:
  std::vector<std::vector<dataflow::record_batch>> batches_; ///< by consumer, in seq order
  std::vector<uint64_t> next_;
  std::vector<uint64_t> acked_;
};

} // namespace

std::vector<flat_batch> replay(dataflow::partition_logic& logic, const std::string& snapshot,
                               const std::vector<std::string>& entries, input_channels& inputs,
                               outbox& outputs) {
  output_replay out{outputs.channels()};
  // A snapshot and an entry hold the same channel lists; a snapshot adds
  // the next seqs, an entry's outputs raise them.
  auto channels = [&](const std::vector<position>& ins, std::vector<target_batch>& batches,
                      const std::vector<position>& acked) {
    for (auto& p : ins)
      inputs.restore(p);
    for (auto& tb : batches)
      out.output(tb);
    for (auto& p : acked)
      out.acked(p);
  };
  if (!snapshot.empty()) {
    auto s = decode_snapshot(snapshot);
    logic.restore(s.state);
    for (auto& p : s.next_seqs)
      out.next_seq(p);
    channels(s.inputs, s.outbox, s.acked);
  }
  for (auto& body : entries) {
    auto e = decode_entry(body);
    logic.apply_log(e.state_log);
    channels(e.inputs, e.outputs, e.acked);
  }
  return out.restore(outputs);
}

} // namespace eddy::actors
