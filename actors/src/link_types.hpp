#pragma once

// Registration of the link messages (protocol.hpp) with CAF, for every
// actor system that may send or receive them across nodes.

#include <caf/fwd.hpp>

namespace eddy::actors {

/// Registers frame_msg, frame_ack_msg and greeting_msg under portable names
/// ("eddy.frame", "eddy.frame_ack", "eddy.greeting") so the middleman can
/// serialize them. Call it on every node's config before the actor system
/// is built: to or from a node without them, such messages arrive as empty
/// messages (CAF 0.17 reports no error). Local sends are unaffected: CAF
/// consults these names only when it serializes a message.
void add_link_message_types(caf::actor_system_config& cfg);

} // namespace eddy::actors
