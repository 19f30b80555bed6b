#include "worker.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
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
#include "savepoint/requests.hpp"
#include "savepoint/restore.hpp"
#include "savepoint/taking.hpp"
#include "shutdown.hpp"
#include "state_dir.hpp"
#include "metrics/serve.hpp"

namespace eddy::actors::cluster {

namespace {

using namespace std::chrono_literals;

/// A worker's life: join, connect to its peers, then run each generation
/// the coordinator sends (README.md) until it says stop. A generation runs
/// one node_actors per slice of the job's state placed here (each slice is
/// a journal). What a new generation leaves where it was runs on
/// untouched; only the slices that move stop or start.
class worker {
public:
  worker(job& j, caf::scoped_actor& self, caf::actor coordinator, std::string own_dir)
    : j_(j), self_(self), coordinator_(std::move(coordinator)), own_dir_(std::move(own_dir)) {
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
        auto connecting = std::chrono::steady_clock::now();
        for (auto& n : nodes_)
          n->connect(self_, all_);
        self_->send(coordinator_, ready_atom::value, generation_, *me_);
        log::runtime()->debug("generation {}: connected its exchanges in {:.0f} ms", generation_, 1000 * seconds_since(connecting));
      },
      [&](go_atom, uint32_t generation) {
        if (generation != generation_)
          return;
        for (auto& n : nodes_)
          if (n->start(self_, all_))
            report_recovered(*n);
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
            report_recovered(*n);
      },
      [&](failed_atom, const std::string& what) { report_failure(what); },
      [&](pause_atom, bool paused) {
        for (auto& n : nodes_)
          n->pause_sources(self_, paused);
      },
      [&](drained_atom, uint32_t instance) { self_->send(coordinator_, drained_atom::value, generation_, instance); },
      [&](query_atom, uint32_t stage, uint32_t key_group, std::string& key) { query(stage, key_group, std::move(key)); },
      [&](freeze_atom, uint64_t id, const std::string& dir) { freeze(id, dir); },
      [&](thaw_atom, uint64_t id) { thaw(id); },
      [&](stop_atom, int32_t code, const std::string& why) {
        stopped(result, code, why);
        running = false;
      },
      [&](caf::down_msg& dm) {
        if (dm.source == coordinator_.address()) {
          lost_coordinator(result, dm);
          running = false;
        } else if (auto peer = peer_of(dm.source)) {
          log::runtime()->warn("lost its link to worker {} ({})", *peer + 1, self_->system().render(dm.reason));
          peers_.erase(*peer);
          self_->send(coordinator_, link_lost_atom::value, generation_, *peer);
        } else if (dm.reason && dm.reason != caf::exit_reason::kill) {
          report_failure("a runtime actor stopped: " + self_->system().render(dm.reason));
        }
      },
      caf::after(10s) >> [&] {
        if (!me_)
          log::runtime()->info("waiting for the other workers to join");
      });
    stop_nodes();
    for (auto& w : writers_)
      w.join();
    if (result.exit_code == 0)
      log::runtime()->info("done: its sinks wrote {} records", result.records_out);
    return result;
  }

private:
  /// A query of the coordinator: delegated to the supervisor of the key
  /// group's instance if it runs here (it answers the coordinator
  /// directly), else an error (the key group moved since it asked).
  void query(uint32_t stage, uint32_t key_group, std::string key) {
    auto rp = self_->make_response_promise();
    if (the_plan_ && stage >= 1 && stage <= the_plan_->keyed_stages() && key_group < the_plan_->stage(stage).indexes) {
      auto& p = *the_plan_;
      auto id = p.exchange_id(stage, p.instance_of(stage, key_group));
      for (auto& n : nodes_)
        if (auto sup = n->supervisor(id)) {
          rp.delegate(sup, query_atom::value, stage, key_group, std::move(key));
          return;
        }
    }
    rp.deliver(caf::make_error(caf::sec::runtime_error, "it does not run key group " + std::to_string(key_group)
                                                          + " of stage " + std::to_string(stage) + " now; try again"));
  }

  /// Savepoint `id`, first step: commits, copies and freezes the journal of
  /// every slice here (until thaw(), or the journal's own time limit), and
  /// tells the coordinator, which thaws once every worker has.
  void freeze(uint64_t id, const std::string& dir) {
    copies_.clear();
    frozen_ = id;
    pending_ = dir;
    std::string failure;
    for (auto& n : nodes_) {
      auto file = "bodies-slice-" + std::to_string(n->home()) + ".bin";
      self_->request(n->journal(), 10s, freeze_atom::value, dir + "/.copy-slice-" + std::to_string(n->home()))
        .receive([&](const std::string& copy) { copies_.emplace_back(copy, file); },
                 [&](caf::error& e) { failure = whose(n->home()) + ": " + self_->system().render(e); });
    }
    self_->send(coordinator_, freeze_atom::value, id, *me_, failure.empty(), failure);
  }

  /// Second step: thaws the journals and writes the copies' bodies from a
  /// thread of their own, then answers the coordinator.
  void thaw(uint64_t id) {
    for (auto& n : nodes_)
      self_->send(n->journal(), thaw_atom::value);
    if (id != frozen_)
      return;
    if (copies_.empty()) { // no slice here: nothing to write, but the coordinator counts every answer
      self_->send(coordinator_, savepoint::savepoint_done_atom::value, id, true, std::string{"[]"});
      return;
    }
    writers_.emplace_back([copies = std::move(copies_), pending = pending_, id, to = coordinator_] {
      auto refs = savepoint::write_copies(pending, copies);
      caf::anon_send(to, savepoint::savepoint_done_atom::value, id, bool{refs},
                     refs ? savepoint::refs_text(*refs) : refs.error().message());
    });
    copies_.clear();
  }

  /// "slice 2": the tasks with their home in slice `home`.
  static std::string whose(uint32_t home) {
    return "slice " + std::to_string(home);
  }

  void report_recovered(const node_actors& n) {
    self_->send(coordinator_, recovered_atom::value, generation_, n.home(), n.recovered_key_groups());
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
      metrics::node_label("worker-" + std::to_string(*me_ + 1));
      log::runtime()->info("joined job {} as worker {} of {}", j_.config().name, *me_ + 1, w.workers);
      job_layout layout{w.split_hint, w.splits, w.sink_instances};
      layout_ = layout;
      the_plan_ = std::make_shared<const plan>(plan_of(j_, layout));
      counters_ = std::make_shared<message_counters>(static_cast<uint32_t>(the_plan_->stages().size()));
    }
    generation_ = w.generation;
    connect_peers(w);
    state_dirs_ = w.state_dirs;
    auto where = placement::of(w.nodes, w.homes);
    std::set<uint32_t> homes;
    for (uint32_t id = 0; id < where.nodes().size(); ++id)
      if (where.node_of(id) == *me_)
        homes.insert(where.home_of(id));
    std::erase_if(nodes_, [&](auto& n) {
      if (n->runs_exactly(where)) {
        homes.erase(n->home());
        log::runtime()->info("generation {}: {} runs on", generation_, whose(n->home()));
        return false;
      }
      auto stopping = std::chrono::steady_clock::now();
      stop_node(*n);
      log::runtime()->info("generation {}: stopped {} and closed its journal in {:.0f} ms", generation_,
                           whose(n->home()), 1000 * seconds_since(stopping));
      return true;
    });
    for (auto home : homes) {
      auto opening = std::chrono::steady_clock::now();
      auto jn = journal_of(state_dirs_.at(home), generation_ == 0); // verified once, at the start
      if (!jn)
        return jn.error().message();
      if (auto err = restore(**jn, where, home))
        return err.message();
      auto opened_ms = 1000 * seconds_since(opening);
      auto spawning = std::chrono::steady_clock::now();
      node_setup setup{&j_, the_plan_, where, *me_, home, layout_, *jn, caf::actor_cast<caf::actor>(self_), counters_,
                       generation_};
      nodes_.push_back(std::make_unique<node_actors>(self_, std::move(setup)));
      log::runtime()->info("generation {}: starts {} from its journal in {} (opened in {:.0f} ms, spawned in {:.0f} ms)",
                           generation_, whose(home), state_dirs_.at(home), opened_ms, 1000 * seconds_since(spawning));
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

  /// Writes the images of --from-savepoint whose home is `home` into its
  /// journal, the first time the slice opens (restore_into() knows).
  error restore(journal::sqlite_journal& jn, const placement& where, uint32_t home) {
    auto& from = j_.config().from_savepoint;
    if (from.empty())
      return {};
    if (!savepoint_) {
      auto m = savepoint::check_savepoint(j_, from, false);
      if (!m)
        return m.error();
      savepoint_ = std::move(*m);
    }
    auto& p = *the_plan_;
    return savepoint::restore_into(j_, jn, from, *savepoint_, [&](uint32_t s, uint32_t index) {
      return s < p.stages().size() && index < p.stage(s).indexes && where.home_of(p.exchange_id(s, p.instance_of(s, index))) == home;
    }, whose(home) + "'s journal in " + state_dirs_.at(home));
  }

  /// The journal of a slice in `dir`, opened once the process that ran the
  /// slice before has let go of it: at once after a handoff, when a lost
  /// worker's process is gone, or when a hung one exits (SQLite's exclusive
  /// lock, which is also what keeps a hung owner from writing to it once
  /// it was taken over).
  expected<std::shared_ptr<journal::sqlite_journal>> journal_of(const std::string& dir, bool verify) {
    if (auto it = journals_.find(dir); it != journals_.end())
      return it->second;
    auto deadline = std::chrono::steady_clock::now() + 60s;
    for (int attempt = 1;; ++attempt) {
      auto jn = open_state_dir(j_, dir, verify);
      if (jn) {
        journals_[dir] = *jn;
        return *jn;
      }
      if (jn.error().code() != errc::unavailable || std::chrono::steady_clock::now() > deadline)
        return jn.error();
      if (attempt % 50 == 0) // a hung worker holds it until it exits
        log::runtime()->warn("waiting for the journal in {}: {}", dir, jn.error().message());
      std::this_thread::sleep_for(20ms);
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

  /// Connects to every alive worker numbered below this one that it is not
  /// connected to yet (one that came back listens at a new port), so that
  /// the two talk directly and not through the coordinator (CAF routes a
  /// message over a direct connection when there is one). A peer that does
  /// not answer is left to the coordinator, which loses it.
  void connect_peers(const welcome_msg& w) {
    auto began = std::chrono::steady_clock::now();
    size_t connected = 0;
    for (uint32_t peer = 0; peer < *me_ && peer < w.ports.size(); ++peer) {
      if (w.ports[peer] == 0)
        continue; // not alive
      endpoint at{w.hosts.at(peer), static_cast<uint16_t>(w.ports[peer])};
      if (peers_[peer].first == at.text())
        continue;
      auto got = connect(self_->system(), at, std::chrono::milliseconds(j_.config().connect_timeout_ms));
      if (!got) {
        log::runtime()->warn("cannot reach worker {}: {}", peer + 1, got.error().message());
        continue;
      }
      self_->monitor(*got); // its connection closing is its down_msg
      peers_[peer] = {at.text(), *got};
      ++connected;
    }
    if (connected > 0)
      log::runtime()->debug("generation {}: connected to {} peers in {:.0f} ms", generation_, connected,
                            1000 * seconds_since(began));
  }

  /// The number of the peer whose agent is `agent`, if it is one.
  std::optional<uint32_t> peer_of(const caf::actor_addr& agent) const {
    for (auto& [number, peer] : peers_)
      if (peer.second.address() == agent)
        return number;
    return std::nullopt;
  }

  void stopped(run_result& result, int32_t code, const std::string& why) {
    result.exit_code = code;
    result.error = why;
    if (code != 0)
      log::runtime()->error("the coordinator stopped this worker: {}", why);
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
  std::map<std::string, std::shared_ptr<journal::sqlite_journal>> journals_; ///< of the slices here, by directory
  std::optional<uint32_t> me_;    ///< this worker's number, once welcomed
  uint32_t generation_ = 0;
  job_layout layout_;
  std::shared_ptr<const plan> the_plan_; ///< the same in every generation
  std::vector<std::string> state_dirs_;  ///< by slice: where its journal is
  std::vector<std::unique_ptr<node_actors>> nodes_; ///< of the current generation, one per journal
  std::vector<caf::actor> all_;   ///< every exchange of the current generation
  std::shared_ptr<message_counters> counters_;
  std::optional<savepoint::restore_plan> savepoint_; ///< --from-savepoint, once checked
  uint64_t frozen_ = 0;  ///< the savepoint whose freeze is in force here
  std::string pending_;  ///< ... and its directory
  std::vector<std::pair<std::string, std::string>> copies_; ///< ... its journal copies and body files
  std::vector<std::thread> writers_;
  std::map<uint32_t, std::pair<std::string, caf::actor>> peers_; ///< by worker number: host:port and agent, whose handle keeps the connection
};

/// The worker's life in actor system `sys`, which outlives every actor here.
run_result run_node(job& j, caf::actor_system& sys, const endpoint& coordinator_at,
                    const endpoint& listen_at, std::string own_dir) {
  caf::scoped_actor self{sys};
  auto listening = listen(sys, caf::actor_cast<caf::actor>(self), listen_at);
  if (!listening)
    return bad_input(listening.error().message());
  auto coordinator = connect(sys, coordinator_at, std::chrono::milliseconds(j.config().connect_timeout_ms));
  if (!coordinator)
    return bad_input("cannot reach the coordinator: " + coordinator.error().message());
  worker w{j, self, *coordinator, std::move(own_dir)};
  return w.run(*listening);
}

/// The worker's state directory, absolute, created if missing: it holds
/// the journals of the slices that started on this worker (slice-J/), which
/// the coordinator names in its welcome.
expected<std::string> worker_dir(const job& j) {
  namespace fs = std::filesystem;
  auto dir = j.config().state_dir;
  auto quoted = "state directory '" + dir.string() + "'";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir, ec))
    return error{errc::invalid_argument, quoted + " is not a directory" + (ec ? ": " + ec.message() : "")};
  if (fs::exists(dir / "journal.db", ec))
    return error{errc::invalid_argument, quoted + " holds one journal for the whole worker, from an Eddy "
                                                  "before slices: start the job afresh in a new directory"};
  auto canonical = fs::weakly_canonical(fs::absolute(dir), ec);
  return canonical.string();
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
  auto own = worker_dir(j);
  if (!own)
    return bad_input(own.error().message());
  auto metrics_endpoint = metrics::serve(cfg); // served until this returns
  if (!metrics_endpoint)
    return bad_input(metrics_endpoint.error().message());
  return run_in_node_system(cfg, [&](caf::actor_system& sys) { return run_node(j, sys, *coordinator_at, *listen_at, std::move(*own)); });
}

} // namespace eddy::actors::cluster
