#include "metrics/registry.hpp"

#include <stdexcept>

namespace eddy::actors::metrics {

family& registry::family_of(const std::string& name, const std::string& help, kind k) {
  auto [it, fresh] = families_.try_emplace(name);
  if (fresh) {
    it->second.type = k;
    it->second.help = help;
  } else if (it->second.type != k) {
    throw std::logic_error("metric " + name + " registered with two types");
  }
  return it->second;
}

counter& registry::counter_of(const std::string& name, const std::string& help, const labels& l) {
  std::lock_guard guard{mutex_};
  auto& slot = family_of(name, help, kind::counter).counters[l];
  if (!slot)
    slot = std::make_unique<counter>();
  return *slot;
}

gauge& registry::gauge_of(const std::string& name, const std::string& help, const labels& l) {
  std::lock_guard guard{mutex_};
  auto& slot = family_of(name, help, kind::gauge).gauges[l];
  if (!slot)
    slot = std::make_unique<gauge>();
  return *slot;
}

void registry::gauge_fn_of(const std::string& name, const std::string& help, const labels& l,
                           gauge_fn fn) {
  std::lock_guard guard{mutex_};
  family_of(name, help, kind::gauge).gauge_fns[l] = std::move(fn);
}

histogram& registry::histogram_of(const std::string& name, const std::string& help,
                                  const std::vector<double>& bounds, const labels& l) {
  std::lock_guard guard{mutex_};
  auto& f = family_of(name, help, kind::histogram);
  if (f.histograms.empty() && f.bounds.empty())
    f.bounds = bounds;
  auto& slot = f.histograms[l];
  if (!slot)
    slot = std::make_unique<histogram>(f.bounds);
  return *slot;
}

void registry::constant_label(const std::string& name, const std::string& value) {
  std::lock_guard guard{mutex_};
  for (auto& [n, v] : constant_)
    if (n == name) {
      v = value;
      return;
    }
  constant_.emplace_back(name, value);
}

void registry::collect(
  const std::function<void(const std::string&, const family&, const labels&)>& fn) const {
  std::lock_guard guard{mutex_};
  for (auto& [name, f] : families_)
    fn(name, f, constant_);
}

registry& process_registry() {
  static registry r;
  return r;
}

} // namespace eddy::actors::metrics
