#pragma once

#include <chrono>
#include <string>

#include <caf/fwd.hpp>

#include "query/target.hpp"

namespace eddy::actors::query {

/// How long a query waits for the partition's answer.
inline constexpr std::chrono::seconds answer_timeout{10};

/// Asks `whom` (the operator supervisor of `t`'s instance in this process,
/// or the agent of the worker that runs it) for the state of `t`'s key and
/// answers the request file `answer_file` with "ok JSON" (answer_json) or
/// "error TEXT". Runs in an actor of its own, so the caller's loop never
/// waits for it; gives up after answer_timeout, and at once when `whom`
/// goes down (it monitors it: a lost worker's request would otherwise wait
/// out the timeout). `who` names `whom` in errors ("worker 2").
void ask(caf::actor_system& sys, const caf::actor& whom, target t, std::string answer_file, std::string who);

/// The text of an error a query got back: the string a supervisor, worker
/// or partition put in it, else CAF's rendering.
std::string error_text(caf::actor_system& sys, const caf::error& e);

} // namespace eddy::actors::query
