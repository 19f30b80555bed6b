#include "worker.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

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

/// A worker's life: join, connect to its peers, then run each generation
/// the coordinator sends (README.md) until it says stop. A generation runs
/// one node_actors per journal: its own, and those of lost workers whose
/// tasks it took over. What a new generation leaves where it was runs on
/// untouched; only what moves stops or starts.
class worker {
public:
  worker(job& j, caf::scoped_actor& self, caf::actor coordinator, std::shared_ptr<journal::sqlite_journal> jn)
    : j_(j), self_(self), coordinator_(std::move(coordinator)) {
    std::error_code ec;
    own_dir_ = std::filesystem::weakly_canonical(std::filesystem::absolute(j.config().state_dir), ec).string();
    if (jn)
      journals_[own_dir_] = std::move(jn);
  }

  run_result run(const endpoint& listening) {
    self_->monitor(coordinator_);
    self_->send(coordinator_, join_msg{job_fingerprint(j_), own_dir_, listening.host, listening.port,
                                       caf::actor_cast<caf::actor>(self_)});
    run_result result;
    bool running = true;
    self_->receive_while(running)(
      [&](welcome_msg& w) {
        if (auto problem = start_generation(w); !problem.empty())
          report_failure(problem);
      },
      [&](refused_msg& r) {
        result = bad_input("the coordinator refused this worker: " + r.why);
        running = false;
      },
      [&](peers_msg& p) {
        all_ = merged(std::move(p.exchanges));
        for (auto& n : nodes_)
          n->connect(self_, all_);
        self_->send(coordinator_, ready_atom::value, generation_, *me_);
      },
      [&](go_atom, uint32_t generation) {
        if (generation != generation_)
          return;
        for (auto& n : nodes_)
          n->start(self_, all_);
        log::runtime()->info("generation {}: started its tasks", generation_);
      },
      [&](done_atom, uint64_t records) {
        for (auto& n : nodes_)
          if (auto id = n->sink_id(caf::actor_cast<caf::actor_addr>(self_->current_sender()))) {
            result.records_out += records;
            self_->send(coordinator_, done_atom::value, generation_, *id, records);
          }
      },
      [&](progress_atom, uint32_t instance, uint64_t values) {
        self_->send(coordinator_, progress_atom::value, instance, values);
      },
      [&](recovered_atom, uint32_t key_groups) {
        for (auto& n : nodes_)
          if (n->recovered(caf::actor_cast<caf::actor_addr>(self_->current_sender()), key_groups))
            self_->send(coordinator_, recovered_atom::value, generation_, n->home(), n->recovered_key_groups());
      },
      [&](failed_atom, const std::string& what) { report_failure(what); },
      [&](stop_atom, int32_t code, const std::string& why) {
        stopped(result, code, why);
        running = false;
      },
      [&](caf::down_msg& dm) {
        if (dm.source == coordinator_.address()) {
          lost_coordinator(result, dm);
          running = false;
        } else if (dm.reason && dm.reason != caf::exit_reason::kill) {
          report_failure("a runtime actor stopped: " + self_->system().render(dm.reason));
        }
      },
      caf::after(10s) >> [&] {
        if (!me_)
          log::runtime()->info("waiting for the other workers to join");
      });
    stop_nodes();
    if (result.exit_code == 0)
      log::runtime()->info("done: its sinks wrote {} records", result.records_out);
    return result;
  }

private:
  /// "its own tasks" or "worker K's tasks": those with their home on worker `home`.
  std::string whose(uint32_t home) const {
    return home == *me_ ? std::string{"its own tasks"} : "worker " + std::to_string(home + 1) + "'s tasks";
  }

  void report_failure(const std::string& what) {
    self_->send(coordinator_, failed_atom::value, generation_,
                (me_ ? "worker " + std::to_string(*me_ + 1) : std::string{"a worker"}) + ": " + what);
  }

  /// Moves this worker to the placement of `w`: what it runs unchanged
  /// runs on, untouched; what left it stops; what is new here starts from
  /// its journal. Returns what went wrong, if anything.
  std::string start_generation(welcome_msg& w) {
    if (!me_) {
      me_ = w.worker;
      log::node("worker " + std::to_string(*me_ + 1));
      log::runtime()->info("joined job {} as worker {} of {}", j_.config().name, *me_ + 1, w.workers);
      if (auto problem = connect_peers(w); !problem.empty())
        return problem;
      job_layout layout{w.split_hint, w.splits, w.sink_instances};
      layout_ = layout;
      the_plan_ = std::make_shared<const plan>(plan_of(j_, layout));
      counters_ = std::make_shared<message_counters>(static_cast<uint32_t>(the_plan_->stages().size()));
    }
    generation_ = w.generation;
    state_dirs_ = w.state_dirs;
    auto where = placement::of(w.nodes, w.homes);
    std::set<uint32_t> homes;
    for (uint32_t id = 0; id < where.nodes().size(); ++id)
      if (where.node_of(id) == *me_)
        homes.insert(where.home_of(id));
    std::erase_if(nodes_, [&](auto& n) {
      if (n->runs_exactly(where)) {
        homes.erase(n->home());
        log::runtime()->info("generation {}: {} run on", generation_, whose(n->home()));
        return false;
      }
      log::runtime()->info("generation {}: stops {}", generation_, whose(n->home()));
      stop_node(*n);
      return true;
    });
    for (auto home : homes) {
      auto jn = journal_of(state_dirs_.at(home));
      if (!jn)
        return jn.error().message();
      log::runtime()->info("generation {}: starts {} from its journal in {}", generation_,
                           whose(home), state_dirs_.at(home));
      node_setup setup{&j_, the_plan_, where, *me_, home, layout_, *jn, caf::actor_cast<caf::actor>(self_), counters_};
      nodes_.push_back(std::make_unique<node_actors>(self_, std::move(setup)));
    }
    std::vector<caf::actor> mine(the_plan_->exchanges());
    for (auto& n : nodes_) {
      auto& ex = n->exchanges();
      for (size_t i = 0; i < ex.size(); ++i)
        if (ex[i])
          mine[i] = ex[i];
    }
    self_->send(coordinator_, exchanges_msg{generation_, *me_, std::move(mine)});
    return {};
  }

  /// The journal in `dir`: this worker's own, or a lost worker's, opened
  /// once its process has let go of it (SQLite's exclusive lock, which is
  /// also what keeps a hung owner from writing to it once it was taken over).
  expected<std::shared_ptr<journal::sqlite_journal>> journal_of(const std::string& dir) {
    if (auto it = journals_.find(dir); it != journals_.end())
      return it->second;
    auto deadline = std::chrono::steady_clock::now() + 60s;
    for (int attempt = 0;; ++attempt) {
      auto jn = open_state_dir(j_, dir);
      if (jn) {
        journals_[dir] = *jn;
        return *jn;
      }
      if (jn.error().code() != errc::unavailable || std::chrono::steady_clock::now() > deadline)
        return jn.error();
      if (attempt % 10 == 0) // a hung worker holds it until it exits
        log::runtime()->warn("waiting for the journal in {}: {}", dir, jn.error().message());
      std::this_thread::sleep_for(200ms);
    }
  }

  /// Kills every actor of `n` and waits (bounded) until they are down, so
  /// that nothing of it reports later, and closes its journal (a lost
  /// worker that comes back can open its own again). Closed, also when it
  /// is this worker's own: a killed journal actor may leave staged writes
  /// in its journal object, which a later commit would take for its own.
  void stop_node(node_actors& n) {
    auto killed_list = n.stop(self_);
    std::set<caf::actor_addr> killed(killed_list.begin(), killed_list.end());
    auto deadline = std::chrono::steady_clock::now() + 5s;
    self_->receive_while([&] { return !killed.empty() && std::chrono::steady_clock::now() < deadline; })(
      [&](caf::down_msg& dm) { killed.erase(dm.source); },
      caf::after(100ms) >> [] {});
    if (!killed.empty())
      log::runtime()->warn("generation {}: {} of its actors did not stop within 5 s", generation_, killed.size());
    journals_.erase(state_dirs_.at(n.home()));
  }

  void stop_nodes() {
    for (auto& n : nodes_)
      stop_node(*n);
    nodes_.clear();
  }

  std::vector<caf::actor> merged(std::vector<caf::actor> from_coordinator) {
    // This node's own exchanges as local handles, not as they came back.
    for (auto& n : nodes_) {
      auto& ex = n->exchanges();
      for (size_t i = 0; i < from_coordinator.size() && i < ex.size(); ++i)
        if (ex[i])
          from_coordinator[i] = ex[i];
    }
    return from_coordinator;
  }

  /// Connects to every worker numbered below this one, so that the two
  /// talk directly and not through the coordinator (CAF routes a message
  /// over a direct connection when there is one).
  std::string connect_peers(const welcome_msg& w) {
    for (uint32_t peer = 0; peer < *me_; ++peer) {
      if (w.ports.at(peer) == 0)
        continue; // not joined (lost before this worker joined)
      endpoint at{w.hosts.at(peer), static_cast<uint16_t>(w.ports.at(peer))};
      auto got = connect(self_->system(), at, std::chrono::milliseconds(j_.config().connect_timeout_ms));
      if (!got)
        return "cannot reach worker " + std::to_string(peer + 1) + ": " + got.error().message();
      peers_.push_back(*got);
    }
    return {};
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
  std::string own_dir_;
  std::map<std::string, std::shared_ptr<journal::sqlite_journal>> journals_; ///< by directory
  std::optional<uint32_t> me_;    ///< this worker's number, once welcomed
  uint32_t generation_ = 0;
  job_layout layout_;
  std::shared_ptr<const plan> the_plan_; ///< the same in every generation
  std::vector<std::string> state_dirs_;  ///< by worker number
  std::vector<std::unique_ptr<node_actors>> nodes_; ///< of the current generation, one per journal
  std::vector<caf::actor> all_;   ///< every exchange of the current generation
  std::shared_ptr<message_counters> counters_;
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
  // A worker that comes back after it was lost finds its journal open by
  // the worker that took over its tasks: it joins anyway, and opens it
  // once the coordinator has given the tasks back.
  auto jn = open_state_dir(j);
  std::shared_ptr<journal::sqlite_journal> own;
  if (jn)
    own = std::move(*jn);
  else if (jn.error().code() == errc::unavailable)
    log::runtime()->info("{}; joining anyway", jn.error().message());
  else
    return bad_input(jn.error().message());
  return run_in_node_system(cfg, [&](caf::actor_system& sys) { return run_node(j, sys, *coordinator_at, *listen_at, std::move(own)); });
}

} // namespace eddy::actors::cluster
