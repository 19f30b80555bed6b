#include "cluster_messages.hpp"

namespace eddy::actors::cluster {

// The same GCC 12 false positive as in link_types.cpp.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
#pragma GCC diagnostic ignored "-Wstringop-overflow"
void add_cluster_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<join_msg>("eddy.join");
  cfg.add_message_type<refused_msg>("eddy.refused");
  cfg.add_message_type<welcome_msg>("eddy.welcome");
  cfg.add_message_type<exchanges_msg>("eddy.exchanges");
  cfg.add_message_type<peers_msg>("eddy.peers");
}
#pragma GCC diagnostic pop

} // namespace eddy::actors::cluster
