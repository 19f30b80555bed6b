#include "query/asking.hpp"

#include <memory>

#include <caf/all.hpp>

#include "protocol.hpp"
#include "savepoint/requests.hpp"

namespace eddy::actors::query {

std::string error_text(caf::actor_system& sys, const caf::error& e) {
  auto& ctx = e.context();
  if (ctx.match_elements<std::string>())
    return ctx.get_as<std::string>(0);
  if (e == caf::sec::request_timeout)
    return "no answer within " + std::to_string(answer_timeout.count()) + " s";
  return sys.render(e);
}

void ask(caf::actor_system& sys, const caf::actor& whom, target t, std::string answer_file, std::string who) {
  using savepoint::answer_status;
  if (!whom) {
    savepoint::answer(answer_file, answer_status::error,
                      who + " runs no partition of " + t.op + " key group " + std::to_string(t.key_group) + " now; try again");
    return;
  }
  sys.spawn([whom, t = std::move(t), file = std::move(answer_file), who = std::move(who)](caf::event_based_actor* self) {
    // Answers once, whichever comes first: the reply, its timeout, the down message.
    auto done = std::make_shared<bool>(false);
    auto reply = [=](answer_status status, const std::string& text) {
      if (*done)
        return;
      *done = true;
      savepoint::answer(file, status, text);
      self->quit();
    };
    self->monitor(whom);
    self->set_down_handler([=](caf::down_msg&) { reply(answer_status::error, who + " was lost before it answered; try again"); });
    // Nobody else holds this actor, and CAF 0.17 ends one nobody holds:
    // the handlers hold it until one of them ran (or it quit).
    auto keep = caf::actor_cast<caf::actor>(self);
    self->request(whom, answer_timeout, query_atom::value, t.stage, t.key_group, t.key_bytes)
      .then([=](const std::string& states) { reply(answer_status::ok, answer_json(t, states)); (void) keep; },
            [=](caf::error& e) {
              (void) keep;
              reply(answer_status::error, "query of " + t.op + " key group " + std::to_string(t.key_group) + " on " + who
                                            + " failed: " + error_text(self->system(), e));
            });
  });
}

} // namespace eddy::actors::query
