#include "partition/input_channels.hpp"

#include <algorithm>
#include <string>

#include "eddy/codec.hpp"
#include "eddy/journal/sqlite_journal.hpp"

namespace eddy::actors {

input_channels::input_channels(uint32_t producer_stage, uint32_t producers)
  : producer_stage_(producer_stage),
    channels_(producers),
    durable_(producers, 0),
    resend_asked_(producers, 0) {
}

input_channels::verdict input_channels::admit(uint32_t producer,
                                              const dataflow::record_batch& b) {
  if (producer >= size())
    return {verdict::foreign};
  auto& in = channels_[producer];
  auto v = in.check(b.first_seq, b.count);
  if (v.apply)
    return {verdict::apply, v.skip};
  if (b.first_seq > in.hw() + 1) {
    // Something before this batch was lost: its producer redelivers from
    // the mark, so later batches of the same gap need no request of their own.
    if (resend_asked_[producer] == in.hw() + 1)
      return {verdict::drop};
    resend_asked_[producer] = in.hw() + 1;
    return {verdict::ask_resend, 0, in.hw()};
  }
  // A duplicate the producer may not know we have: ack what is durable.
  if (durable_[producer] >= b.last_seq())
    return {verdict::ack_durable, 0, durable_[producer]};
  return {verdict::drop};
}

void input_channels::applied(uint32_t producer, uint64_t last_seq) {
  channels_.at(producer).hw(last_seq);
  acks_due_.push_back({producer, last_seq});
}

std::vector<input_seq> input_channels::take_acks() {
  auto acks = std::move(acks_due_);
  acks_due_.clear();
  return acks;
}

void input_channels::durable(const std::vector<input_seq>& acks) {
  for (auto& a : acks)
    durable_[a.producer] = std::max(durable_[a.producer], a.seq);
}

std::vector<position> input_channels::positions(const std::vector<input_seq>& acks) const {
  std::vector<position> result;
  for (auto& a : acks)
    result.push_back({journal::partition_id_of(producer_stage_, a.producer), a.seq});
  return result;
}

std::vector<position> input_channels::positions() const {
  std::vector<position> result;
  for (uint32_t i = 0; i < size(); ++i)
    if (channels_[i].hw() > 0)
      result.push_back({journal::partition_id_of(producer_stage_, i), channels_[i].hw()});
  return result;
}

void input_channels::restore(const position& p) {
  auto i = journal::index_of(p.peer);
  if (i >= size())
    throw decode_error("input from producer " + std::to_string(i));
  channels_[i].hw(std::max(channels_[i].hw(), p.seq));
}

std::vector<input_seq> input_channels::recovered() {
  std::vector<input_seq> marks;
  for (uint32_t i = 0; i < size(); ++i) {
    durable_[i] = channels_[i].hw();
    if (durable_[i] > 0)
      marks.push_back({i, durable_[i]});
  }
  return marks;
}

} // namespace eddy::actors
