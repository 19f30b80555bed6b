#pragma once

#include <vector>

#include <caf/all.hpp>

#include "actor_support.hpp"
#include "logging.hpp"
#include "message_counters.hpp"
#include "protocol.hpp"
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

/// Takes in frame `f` on consuming side `in`. A new incarnation's first
/// frame makes its sender that producer instance's exchange: the greeting
/// it is owed goes there.
template <class Actor>
void take_frame(Actor* self, inbound& in, std::vector<caf::actor>& exchanges, const plan& p,
                frame_msg&& f) {
  auto stage = f.producer_stage;
  auto instance = f.producer_instance;
  if (in.frame(std::move(f), steady_ms()))
    take_sender_as_exchange(self, exchanges, p, stage, instance);
}

/// Greets again, with a warning, the producer instances that left a
/// greeting of `in` unanswered for regreet_after_ms; the caller sends.
inline void regreet_overdue(inbound& in, const std::string& who) {
  if (auto n = in.regreet(steady_ms(), regreet_after_ms))
    log::runtime()->warn("{} sent {} greetings again: unanswered for {} ms", who, n, regreet_after_ms);
}

} // namespace eddy::actors
