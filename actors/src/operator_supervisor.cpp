#include "operator_supervisor.hpp"

#include <chrono>
#include <deque>

#include "actor_support.hpp"
#include "logging.hpp"
#include "metrics/catalog.hpp"
#include "protocol.hpp"

namespace eddy::actors {

namespace {

using clock = std::chrono::steady_clock;

struct child {
  std::shared_ptr<const partition_config> cfg;
  caf::actor handle;                 ///< strong: a parent keeps its children alive
  std::deque<clock::time_point> restarts; ///< within the window
  std::string last_failure;
  bool recovered = false; ///< once, by any incarnation
};

struct supervisor_state {
  std::vector<child> children;
  restart_policy policy;
  caf::actor job;
  bool escalated = false;
  size_t recovered = 0; ///< children that recovered at least once
  static inline const char* name = "operator_supervisor";
};

using supervisor_t = caf::stateful_actor<supervisor_state>;

child* find_child(supervisor_t* self, uint32_t key_group) {
  for (auto& c : self->state.children)
    if (c.cfg->key_group == key_group)
      return &c;
  return nullptr;
}

void start(supervisor_t* self, child& c) {
  c.handle = spawn_partition(self->system(), c.cfg, caf::actor_cast<caf::actor>(self));
  self->monitor(c.handle);
  self->link_to(c.handle); // a killed supervisor takes its partitions with it
}

void on_down(supervisor_t* self, const caf::down_msg& dm) {
  auto& st = self->state;
  for (auto& c : st.children) {
    if (c.handle.address() != dm.source)
      continue;
    c.handle = nullptr;
    if (st.escalated)
      return;
    auto now = clock::now();
    auto window = std::chrono::milliseconds(st.policy.window_ms);
    while (!c.restarts.empty() && now - c.restarts.front() > window)
      c.restarts.pop_front();
    auto what = c.last_failure.empty() ? self->system().render(dm.reason) : c.last_failure;
    auto name = c.cfg->op_name + " key group " + std::to_string(c.cfg->key_group);
    if (c.restarts.size() >= st.policy.budget) {
      st.escalated = true;
      auto text = "operator " + name + " failed " + std::to_string(c.restarts.size() + 1)
                  + " times within " + std::to_string(st.policy.window_ms / 1000)
                  + " s, giving up: " + what;
      log::runtime()->error("{}", text);
      self->send(st.job, failed_atom::value, text);
      return;
    }
    c.restarts.push_back(now);
    c.cfg->series.restarts->add();
    uint64_t backoff = st.policy.backoff_ms << std::min<size_t>(c.restarts.size() - 1, 16);
    backoff = std::min<uint64_t>(backoff, 2000);
    log::runtime()->warn("operator {} failed ({}); restart {} in {} ms", name, what,
                         c.restarts.size(), backoff);
    self->delayed_send(self, std::chrono::milliseconds(backoff), restart_atom::value,
                       c.cfg->key_group);
    return;
  }
}

caf::behavior supervisor_behavior(supervisor_t* self,
                                  std::vector<std::shared_ptr<const partition_config>> cfgs,
                                  restart_policy policy, caf::actor job) {
  auto& st = self->state;
  install_handlers(self, "operator supervisor " + (cfgs.empty() ? std::string{} : cfgs.front()->op_name));
  st.policy = policy;
  st.job = std::move(job);
  for (auto& cfg : cfgs)
    st.children.push_back({std::move(cfg), nullptr, {}, {}, false});
  for (auto& c : st.children)
    start(self, c);
  if (!st.children.empty()) {
    // The node runs these key groups for as long as their supervisor lives.
    auto& running = metrics::partitions(st.children.front().cfg->op_name);
    auto n = static_cast<double>(st.children.size());
    running.add(n);
    self->attach_functor([&running, n] { running.add(-n); });
  }
  if (st.children.empty())
    self->send(st.job, recovered_atom::value, uint32_t{0});
  self->set_down_handler([=](caf::down_msg& dm) { on_down(self, dm); });
  // A child's exit arrives as a down message too; only kill (untrappable) stops the supervisor.
  self->set_exit_handler([](caf::exit_msg&) {});
  return {
    [=](failed_atom, uint32_t key_group, const std::string& what) {
      if (auto* c = find_child(self, key_group))
        c->last_failure = what;
    },
    [=](recovered_atom, uint32_t key_group) {
      auto& st = self->state;
      auto* c = find_child(self, key_group);
      if (!c || c->recovered)
        return;
      c->recovered = true;
      if (++st.recovered == st.children.size())
        self->send(st.job, recovered_atom::value, static_cast<uint32_t>(st.children.size()));
    },
    [=](query_atom, uint32_t stage, uint32_t key_group, std::string& key) -> caf::result<std::string> {
      auto* c = find_child(self, key_group);
      if (!c)
        return caf::make_error(caf::sec::runtime_error, "key group " + std::to_string(key_group) + " is not this instance's");
      if (!c->handle)
        return caf::make_error(caf::sec::runtime_error, "partition " + c->cfg->op_name + "/" + std::to_string(key_group)
                                                          + " is restarting after a failure; try again");
      auto rp = self->make_response_promise();
      rp.delegate(c->handle, query_atom::value, stage, key_group, std::move(key));
      return rp;
    },
    [=](restart_atom, uint32_t key_group) {
      if (auto* c = find_child(self, key_group); c && !self->state.escalated)
        start(self, *c);
    },
  };
}

} // namespace

caf::actor spawn_operator_supervisor(caf::actor_system& sys,
                                     std::vector<std::shared_ptr<const partition_config>> cfgs,
                                     restart_policy policy, caf::actor job) {
  return sys.spawn(supervisor_behavior, std::move(cfgs), policy, std::move(job));
}

} // namespace eddy::actors
