#include "plan_file.hpp"

#include <fstream>

#include <nlohmann/json.hpp>

#include "eddy/job.hpp"
#include "logging.hpp"

namespace eddy::actors {

void write_plan_file(const std::filesystem::path& dir, const job& j, const plan& p, const placement& where,
                     uint32_t generation) {
  static const char* kinds[] = {"source", "keyed", "sink"};
  auto& g = j.graph();
  nlohmann::json stages = nlohmann::json::array();
  for (uint32_t s = 0; s < p.stages().size(); ++s) {
    auto& st = p.stage(s);
    nlohmann::json instances = nlohmann::json::array();
    for (uint32_t i = 0; i < st.instances; ++i) {
      auto r = p.indexes_of(s, i);
      instances.push_back({{"instance", i}, {"first", r.first}, {"last", r.last}, {"node", where.node_of(p, s, i)}});
    }
    stages.push_back({{"stage", s},
                      {"kind", kinds[st.kind]},
                      {"name", st.name},
                      {"uid", st.kind == stage_plan::keyed ? nlohmann::json(g.keyed[s - 1].id()) : nlohmann::json(nullptr)},
                      {"producer", st.producer},
                      {"indexes", st.indexes},
                      {"instances", instances}});
  }
  nlohmann::json file = {{"job", j.config().name},
                         {"max_key_groups", j.config().max_key_groups},
                         {"generation", generation},
                         {"stages", stages}};
  auto tmp = dir / "plan.json.tmp";
  std::error_code ec;
  {
    std::ofstream out{tmp};
    out << file.dump(2) << "\n";
    if (!out)
      ec = std::make_error_code(std::errc::io_error);
  }
  if (!ec)
    std::filesystem::rename(tmp, dir / "plan.json", ec);
  if (ec)
    log::runtime()->warn("cannot write {}: {}", (dir / "plan.json").string(), ec.message());
}

} // namespace eddy::actors
