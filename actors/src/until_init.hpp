#pragma once

#include <caf/all.hpp>

#include "protocol.hpp"

namespace eddy::actors {

/// The link messages an exchange, source or sink may get before its
/// init_atom: in a cluster, nodes start in two steps and a peer that
/// already runs may send. They stay in the mailbox until init (CAF's skip),
/// instead of reaching the default handler.
inline caf::message_handler kept_until_init() {
  return {
    [](frame_msg&) -> caf::result<void> { return caf::skip; },
    [](frame_ack_msg&) -> caf::result<void> { return caf::skip; },
    [](greeting_msg&) -> caf::result<void> { return caf::skip; },
  };
}

} // namespace eddy::actors
