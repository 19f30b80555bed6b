#include "metrics/serve.hpp"

#include "cluster/endpoint.hpp"
#include "logging.hpp"
#include "savepoint/durable_file.hpp"

namespace eddy::actors::metrics {

namespace {

const char* node_of(node_role role) {
  switch (role) {
    case node_role::local:
      return "local";
    case node_role::coordinator:
      return "coordinator";
    case node_role::worker:
      return "worker";
  }
  return "local";
}

} // namespace

void node_label(const std::string& node) {
  process_registry().constant_label("node", node);
}

expected<std::unique_ptr<http_endpoint>> serve(const job_config& cfg) {
  process_registry().constant_label("job", cfg.name);
  node_label(node_of(cfg.role));
  if (cfg.metrics_listen.empty())
    return std::unique_ptr<http_endpoint>{};
  auto where = cluster::parse_endpoint(cfg.metrics_listen, "--metrics-listen");
  if (!where)
    return where.error();
  auto ep = http_endpoint::start(where->host, where->port, process_registry());
  if (!ep)
    return ep.error();
  auto file = cfg.state_dir / "metrics.address";
  if (auto err = savepoint::write_durably(file, (*ep)->address() + "\n"))
    return error{errc::io, "cannot write " + file.string() + ": " + err.message()};
  log::runtime()->info("metrics on {}", (*ep)->address());
  return std::move(*ep);
}

} // namespace eddy::actors::metrics
