#include "node_system.hpp"

#include <thread>

#include <caf/io/middleman.hpp>

#include "cluster/cluster_messages.hpp"
#include "link_types.hpp"

namespace eddy::actors {

std::unique_ptr<caf::actor_system_config> node_system_config(const job_config& cfg) {
  auto sys_cfg = std::make_unique<caf::actor_system_config>();
  add_link_message_types(*sys_cfg);
  auto threads = cfg.threads ? cfg.threads : std::max(2u, std::thread::hardware_concurrency());
  sys_cfg->set("scheduler.max-threads", threads);
  if (cfg.role != node_role::local) {
    cluster::add_cluster_message_types(*sys_cfg);
    sys_cfg->load<caf::io::middleman>();
    sys_cfg->set("middleman.heartbeat-interval",
                 caf::timespan{std::chrono::milliseconds(cfg.heartbeat_ms)});
    sys_cfg->set("middleman.connection-timeout",
                 caf::timespan{std::chrono::milliseconds(cfg.peer_timeout_ms)});
  }
  return sys_cfg;
}

plan plan_of(const job& j, const job_layout& layout) {
  auto& cfg = j.config();
  return plan::of(j.graph(), cfg.max_key_groups, cfg.parallelism,
                  static_cast<uint32_t>(layout.splits.size()), layout.sink_instances);
}

run_result bad_input(std::string what) {
  run_result r;
  r.exit_code = 2;
  r.error = std::move(what);
  return r;
}

} // namespace eddy::actors
