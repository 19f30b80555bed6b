#include "link_types.hpp"

#include <caf/actor_system_config.hpp>

#include "protocol.hpp"

namespace eddy::actors {

// GCC 12 sees a std::string move inlined from CAF's add_message_type run
// past its small-string buffer: a known false positive of GCC 12's
// -Warray-bounds and -Wstringop-overflow, not a bug here or in CAF.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
#pragma GCC diagnostic ignored "-Wstringop-overflow"
void add_link_message_types(caf::actor_system_config& cfg) {
  // Only top-level message types need a name; their fields travel through
  // their inspect overloads.
  cfg.add_message_type<frame_msg>("eddy.frame");
  cfg.add_message_type<frame_ack_msg>("eddy.frame_ack");
  cfg.add_message_type<greeting_msg>("eddy.greeting");
}
#pragma GCC diagnostic pop

} // namespace eddy::actors
