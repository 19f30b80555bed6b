#pragma once

#include <chrono>
#include <string>

#include <caf/all.hpp>

#include "logging.hpp"
#include "plan.hpp"
#include "protocol.hpp"

namespace eddy::actors {

/// Milliseconds of the steady clock, for intervals measured inside one process.
inline int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

/// The handler of (moved_atom, exchanges) for an actor whose state keeps the
/// plan's exchanges in `exchanges`: takes the handles as they are now.
template <class Actor>
auto takes_moved_exchanges(Actor* self) {
  return [self](moved_atom, std::vector<caf::actor>& exchanges) {
    self->state.exchanges = std::move(exchanges);
  };
}

/// Makes the sender of the current message the exchange of instance
/// (stage, instance) in `exchanges`: a message that passed the epoch fence
/// comes from the newest incarnation, wherever it runs, even before this
/// node hears where it moved (or if what it heard is stale).
template <class Actor>
void take_sender_as_exchange(Actor* self, std::vector<caf::actor>& exchanges, const plan& p, uint32_t stage,
                             uint32_t instance) {
  auto sender = self->current_sender();
  if (!sender || stage >= p.stages().size() || instance >= p.stage(stage).instances)
    return;
  auto ex = p.exchange_id(stage, instance);
  if (ex < exchanges.size() && exchanges[ex].address() != caf::actor_cast<caf::actor_addr>(sender))
    exchanges[ex] = caf::actor_cast<caf::actor>(sender);
}

/// After a greeting or ack `m` that passed the epoch fence: its consumer
/// instance is where it came from (for a producer whose state keeps the
/// plan's exchanges and its config's plan).
template <class Actor, class Msg>
void follow_consumer(Actor* self, const Msg& m) {
  auto& st = self->state;
  take_sender_as_exchange(self, st.exchanges, *st.cfg.the_plan, m.consumer_stage, m.consumer_instance);
}

/// Installs what every runtime actor needs: an exception handler that puts
/// the actor's name and `what()` into its exit reason (CAF's default drops
/// the text), and a default handler that logs a message nobody expects
/// instead of silently keeping or dropping it. `who` names the actor in both.
template <class Actor>
void install_handlers(Actor* self, std::string who) {
  self->set_exception_handler([who](caf::scheduled_actor*, std::exception_ptr& eptr) {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(eptr);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    log::runtime()->error("{} threw: {}", who, what);
    return caf::make_error(caf::sec::runtime_error, who + " threw: " + what);
  });
  self->set_default_handler([who](caf::scheduled_actor*, caf::message_view& x) -> caf::result<caf::message> {
    log::runtime()->warn("{} dropped an unexpected message {}", who,
                         caf::to_string(x.copy_content_to_message()));
    return caf::sec::unexpected_message;
  });
}

} // namespace eddy::actors
