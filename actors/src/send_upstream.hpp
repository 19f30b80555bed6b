#pragma once

#include <vector>

#include <caf/all.hpp>

#include "message_counters.hpp"
#include "transport/inbound.hpp"

namespace eddy::actors {

/// Sends the greetings and acks that consuming side `in` of stage `stage`
/// gathered to the producing instances' exchanges, counting them. Shared by
/// the keyed exchanges and the sinks, the two consuming ends.
template <class Actor>
void send_upstream(Actor* self, inbound& in, const std::vector<caf::actor>& exchanges,
                   message_counters& counters, uint32_t stage) {
  in.take_greetings([&](uint32_t ex, greeting_msg&& g) {
    counters.sent(message_counters::greeting, stage);
    self->send(exchanges[ex], std::move(g));
  });
  in.take_acks([&](uint32_t ex, frame_ack_msg&& a) {
    counters.sent(message_counters::frame_ack, stage);
    self->send(exchanges[ex], std::move(a));
  });
}

} // namespace eddy::actors
