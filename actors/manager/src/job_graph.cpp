#include "job_graph.hpp"

#include <algorithm>
#include <cmath>

namespace eddy::manager {

using nlohmann::json;

namespace {

/// Sums the samples of `name` for one operator instance (an instance runs
/// on one node, but its series may be split by other labels).
std::optional<double> value_of(const scrape& s, const std::string& name, const std::string& op, uint32_t instance) {
  std::optional<double> sum;
  auto inst = std::to_string(instance);
  for (auto& m : s.samples) {
    if (m.name != name)
      continue;
    auto o = m.labels.find("operator");
    auto i = m.labels.find("instance");
    if (o != m.labels.end() && o->second == op && i != m.labels.end() && i->second == inst)
      sum = sum.value_or(0) + m.value;
  }
  return sum;
}

json number_or_null(std::optional<double> v) {
  return v && std::isfinite(*v) ? json(*v) : json(nullptr);
}

} // namespace

json job_graph(const json& plan, const scrape& before, const scrape& now) {
  double dt = std::chrono::duration<double>(now.at - before.at).count();
  auto rate = [&](const std::string& name, const std::string& op, uint32_t i) -> std::optional<double> {
    auto a = value_of(before, name, op, i), b = value_of(now, name, op, i);
    if (!a || !b || dt <= 0)
      return std::nullopt;
    return std::max(0.0, (*b - *a) / dt); // a restarted node counts from 0 again
  };
  json operators = json::array();
  for (auto& st : plan.at("stages")) {
    auto name = st.at("name").get<std::string>();
    json instances = json::array();
    double in = 0, out = 0, pressed = 0, restarts = 0;
    std::optional<double> watermark, lag;
    for (auto& inst : st.at("instances")) {
      auto i = inst.at("instance").get<uint32_t>();
      auto r_in = rate("eddy_records_in_total", name, i), r_out = rate("eddy_records_out_total", name, i);
      auto bp = rate("eddy_backpressured_seconds_total", name, i);
      auto wm = value_of(now, "eddy_watermark_seconds", name, i), wl = value_of(now, "eddy_watermark_lag_seconds", name, i);
      auto rs = value_of(now, "eddy_partition_restarts_total", name, i);
      in += r_in.value_or(0);
      out += r_out.value_or(0);
      pressed = std::max(pressed, bp.value_or(0));
      restarts += rs.value_or(0);
      if (wm && std::isfinite(*wm))
        watermark = watermark ? std::min(*watermark, *wm) : *wm; // the operator is as far as its slowest instance
      if (wl && std::isfinite(*wl))
        lag = lag ? std::max(*lag, *wl) : *wl;
      instances.push_back({{"instance", i},
                           {"node", inst.at("node")},
                           {"first", inst.at("first")},
                           {"last", inst.at("last")},
                           {"records_in_per_s", number_or_null(r_in)},
                           {"records_out_per_s", number_or_null(r_out)},
                           {"backpressured_ratio", number_or_null(bp ? std::optional{std::min(1.0, *bp)} : std::nullopt)},
                           {"watermark_s", number_or_null(wm)},
                           {"watermark_lag_s", number_or_null(wl)},
                           {"restarts", rs ? json(static_cast<int64_t>(*rs)) : json(nullptr)}});
    }
    operators.push_back({{"stage", st.at("stage")},
                         {"name", name},
                         {"uid", st.at("uid")},
                         {"kind", st.at("kind")},
                         {"producer", st.at("producer")},
                         {"parallelism", instances.size()},
                         {"records_in_per_s", in},
                         {"records_out_per_s", out},
                         {"backpressured_ratio", std::min(1.0, pressed)},
                         {"watermark_s", number_or_null(watermark)},
                         {"watermark_lag_s", number_or_null(lag)},
                         {"restarts", static_cast<int64_t>(restarts)},
                         {"instances", instances}});
  }
  json nodes = json::array();
  for (auto& [name, up] : now.up)
    nodes.push_back({{"name", name}, {"up", up}});
  return {{"generation", plan.value("generation", 0)}, {"operators", operators}, {"nodes", nodes},
          {"interval_s", dt}};
}

} // namespace eddy::manager
