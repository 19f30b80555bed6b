#include "worker.hpp"

#include <chrono>
#include <filesystem>

#include <caf/all.hpp>

#include "cluster_messages.hpp"
#include "endpoint.hpp"
#include "fingerprint.hpp"
#include "logging.hpp"
#include "node.hpp"
#include "node_system.hpp"
#include "protocol.hpp"
#include "shutdown.hpp"
#include "state_dir.hpp"

namespace eddy::actors::cluster {

namespace {

using namespace std::chrono_literals;

/// A worker's life: join, connect to its peers, start in the coordinator's
/// two steps, run until the coordinator says stop.
class worker {
public:
  worker(job& j, caf::scoped_actor& self, caf::actor coordinator, std::shared_ptr<journal::sqlite_journal> jn)
    : j_(j), self_(self), coordinator_(std::move(coordinator)), jn_(std::move(jn)) {
  }

  run_result run(const endpoint& listening) {
    auto& cfg = j_.config();
    std::error_code ec;
    auto dir = std::filesystem::weakly_canonical(std::filesystem::absolute(cfg.state_dir), ec).string();
    self_->monitor(coordinator_);
    self_->send(coordinator_, join_msg{job_fingerprint(j_), dir, listening.host, listening.port,
                                       caf::actor_cast<caf::actor>(self_)});
    run_result result;
    std::optional<welcome_msg> welcome;
    self_->receive_while([&] { return !welcome && result.error.empty(); })(
      [&](welcome_msg& w) { welcome = std::move(w); },
      [&](refused_msg& r) { result = bad_input("the coordinator refused this worker: " + r.why); },
      [&](stop_atom, int32_t code, const std::string& why) { stopped(result, code, why); },
      [&](caf::down_msg& dm) { lost_coordinator(result, dm); },
      caf::after(10s) >> [] { log::runtime()->info("waiting for the other workers to join"); });
    if (!welcome)
      return result;
    me_ = welcome->worker;
    log::node("worker " + std::to_string(me_ + 1));
    log::runtime()->info("joined job {} as worker {} of {}", cfg.name, me_ + 1, welcome->workers);
    if (!connect_peers(*welcome, result))
      return result;
    return run_tasks(*welcome);
  }

private:
  /// Connects to every worker numbered below this one, so that the two
  /// talk directly and not through the coordinator (CAF routes a message
  /// over a direct connection when there is one).
  bool connect_peers(const welcome_msg& w, run_result& result) {
    for (uint32_t peer = 0; peer < me_; ++peer) {
      endpoint at{w.hosts.at(peer), static_cast<uint16_t>(w.ports.at(peer))};
      auto got = connect(self_->system(), at, std::chrono::milliseconds(j_.config().connect_timeout_ms));
      if (!got) {
        result.exit_code = 1;
        result.error = "cannot reach worker " + std::to_string(peer + 1) + ": " + got.error().message();
        return false;
      }
      peers_.push_back(*got);
    }
    return true;
  }

  run_result run_tasks(const welcome_msg& w) {
    auto started = std::chrono::steady_clock::now();
    job_layout layout{w.split_hint, w.splits, w.sink_instances};
    auto the_plan = std::make_shared<const plan>(plan_of(j_, layout));
    node_setup setup{&j_,
                     the_plan,
                     placement::spread(*the_plan, w.workers),
                     me_,
                     std::move(layout),
                     jn_,
                     caf::actor_cast<caf::actor>(self_),
                     std::make_shared<message_counters>(static_cast<uint32_t>(the_plan->stages().size()))};
    auto counters = setup.counters;
    node_actors node{self_, std::move(setup)};
    self_->send(coordinator_, exchanges_msg{me_, node.exchanges()});
    std::vector<caf::actor> all;
    run_result result;
    bool running = true;
    auto merged = [&](std::vector<caf::actor> from_coordinator) {
      // This node's own exchanges as local handles, not as they came back.
      for (size_t i = 0; i < from_coordinator.size() && i < node.exchanges().size(); ++i)
        if (node.exchanges()[i])
          from_coordinator[i] = node.exchanges()[i];
      return from_coordinator;
    };
    self_->receive_while(running)(
      [&](peers_msg& p) {
        all = merged(std::move(p.exchanges));
        node.connect_keyed(self_, all);
        self_->send(coordinator_, ready_atom::value, me_);
      },
      [&](go_atom) {
        node.start(self_, all);
        log::runtime()->info("started its tasks");
      },
      [&](done_atom, uint64_t records) {
        result.records_out += records;
        self_->send(coordinator_, done_atom::value, records);
      },
      [&](progress_atom, uint32_t instance, uint64_t values) {
        self_->send(coordinator_, progress_atom::value, instance, values);
      },
      [&](failed_atom, const std::string& what) {
        self_->send(coordinator_, failed_atom::value, "worker " + std::to_string(me_ + 1) + ": " + what);
      },
      [&](stop_atom, int32_t code, const std::string& why) {
        stopped(result, code, why);
        running = false;
      },
      [&](caf::down_msg& dm) {
        if (dm.source == coordinator_.address()) {
          lost_coordinator(result, dm);
          running = false;
        } else if (dm.reason) {
          self_->send(coordinator_, failed_atom::value,
                      "worker " + std::to_string(me_ + 1)
                        + ": a runtime actor stopped: " + self_->system().render(dm.reason));
        }
      });
    node.stop(self_);
    result.messages = counters->snapshot();
    result.seconds = seconds_since(started);
    if (result.exit_code == 0)
      log::runtime()->info("done: its sinks wrote {} records", result.records_out);
    return result;
  }

  void stopped(run_result& result, int32_t code, const std::string& why) {
    result.exit_code = code;
    result.error = why;
    if (code != 0)
      log::runtime()->error("the coordinator stopped the job: {}", why);
  }

  void lost_coordinator(run_result& result, const caf::down_msg& dm) {
    result.exit_code = 1;
    result.error = "lost the coordinator at " + j_.config().coordinator + " ("
                   + self_->system().render(dm.reason) + ")";
  }

  job& j_;
  caf::scoped_actor& self_;
  caf::actor coordinator_;
  std::shared_ptr<journal::sqlite_journal> jn_;
  uint32_t me_ = 0;
  std::vector<caf::actor> peers_; ///< handles to the peers' agents keep their connections
};

/// The worker's life in actor system `sys`, which outlives every actor here.
run_result run_node(job& j, caf::actor_system& sys, const endpoint& coordinator_at,
                    const endpoint& listen_at, std::shared_ptr<journal::sqlite_journal> jn) {
  caf::scoped_actor self{sys};
  auto listening = listen(sys, caf::actor_cast<caf::actor>(self), listen_at);
  if (!listening)
    return bad_input(listening.error().message());
  auto coordinator = connect(sys, coordinator_at, std::chrono::milliseconds(j.config().connect_timeout_ms));
  if (!coordinator)
    return bad_input("cannot reach the coordinator: " + coordinator.error().message());
  worker w{j, self, *coordinator, std::move(jn)};
  return w.run(*listening);
}

} // namespace

run_result run_worker(job& j) {
  auto& cfg = j.config();
  log::node("worker");
  auto coordinator_at = parse_endpoint(cfg.coordinator, "--coordinator");
  if (!coordinator_at)
    return bad_input(coordinator_at.error().message());
  auto listen_at = parse_endpoint(cfg.listen, "--listen");
  if (!listen_at)
    return bad_input(listen_at.error().message());
  auto jn = open_state_dir(j);
  if (!jn)
    return bad_input(jn.error().message());
  auto sys_cfg = node_system_config(cfg);
  auto sys = std::make_unique<caf::actor_system>(*sys_cfg);
  auto result = run_node(j, *sys, *coordinator_at, *listen_at, *jn);
  shut_down(std::move(sys), result.exit_code, std::chrono::seconds(3));
  return result;
}

} // namespace eddy::actors::cluster
