#include "partition/entry_builder.hpp"

#include <algorithm>

#include "records_codec.hpp"

namespace eddy::actors {

void entry_builder::acked(uint32_t flat) {
  if (std::find(acked_changed_.begin(), acked_changed_.end(), flat) == acked_changed_.end())
    acked_changed_.push_back(flat);
}

std::optional<entry_builder::entry> entry_builder::close(std::string&& state_log,
                                                         input_channels& inputs,
                                                         batch_port& port, outbox& outputs,
                                                         int64_t wm) {
  if (!inputs.acks_due() && port.empty() && state_log.empty())
    return std::nullopt;
  entry result;
  auto& f = result.held;
  f.watermark = wm;
  port.take([&](uint32_t target, dataflow::record_batch&& b) {
    outputs.assign(target, b);
    f.outputs.push_back({target, std::move(b)});
  });
  f.acks = inputs.take_acks();
  entry_record e;
  e.state_log = std::move(state_log);
  for (auto t : acked_changed_)
    e.acked.push_back({t, outputs.acked(t)});
  acked_changed_.clear();
  f.seq = ++seq_;
  if (journal_) {
    e.inputs = inputs.positions(f.acks);
    e.outputs = std::move(f.outputs); // encoded without a copy of the records
    result.body = encode(e);
    f.outputs = std::move(e.outputs);
  }
  return result;
}

} // namespace eddy::actors
