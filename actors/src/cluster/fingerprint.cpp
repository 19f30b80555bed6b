#include "fingerprint.hpp"

#include "state_dir.hpp"

namespace eddy::actors::cluster {

std::string job_fingerprint(const job& j) {
  auto& cfg = j.config();
  auto& g = j.graph();
  std::string ops;
  for (auto& k : g.keyed)
    ops += (ops.empty() ? "" : ", ") + k.name;
  std::string sinks;
  for (auto& s : g.sinks)
    sinks += (sinks.empty() ? "" : ", ") + s->name;
  return "job '" + cfg.name + "' (source " + g.source->name + "; operators " + ops + "; sinks "
         + sinks + "; " + shape_of(j) + ") with --max-key-groups "
         + std::to_string(cfg.max_key_groups) + ", --parallelism " + std::to_string(cfg.parallelism)
         + (cfg.journal ? "" : ", --no-journal");
}

} // namespace eddy::actors::cluster
