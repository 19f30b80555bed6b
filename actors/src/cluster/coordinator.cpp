#include "coordinator.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include <caf/all.hpp>

#include "cluster_messages.hpp"
#include "endpoint.hpp"
#include "fingerprint.hpp"
#include "job_layout.hpp"
#include "logging.hpp"
#include "node_system.hpp"
#include "placement.hpp"
#include "plan_file.hpp"
#include "progress.hpp"
#include "protocol.hpp"
#include "query/asking.hpp"
#include "savepoint/requests.hpp"
#include "savepoint/restore.hpp"
#include "savepoint/session.hpp"
#include "shutdown.hpp"
#include "state_dir.hpp"
#include "metrics/catalog.hpp"
#include "metrics/serve.hpp"
#include "worker_slots.hpp"

namespace eddy::actors::cluster {

namespace {

using namespace std::chrono_literals;

/// The coordinator journal's record of how the job ended well, if it did.
constexpr const char* ended_key = "cluster.ended";

/// A worker that joined: where it listens and its agent (monitored).
struct member {
  caf::actor agent;
  std::string host;
  uint32_t port = 0;
  std::string state_dir;
  bool lost_before = false; ///< a loss of this number was seen: its next join is a return
};

/// The slices that moved for one cause (a loss, a join), until each of them
/// that holds key groups has recovered where it went.
struct pending_move {
  std::string cause; ///< "worker 2 was lost", "worker 4 joined"
  std::chrono::steady_clock::time_point at;
  std::set<uint32_t> moved;  ///< every slice that moved
  std::set<uint32_t> slices; ///< moved, with key groups, not recovered yet
  std::set<uint32_t> to;     ///< workers they recovered on
  uint32_t key_groups = 0;
  bool placed_reported = false;
};

std::string name_of(uint32_t worker) {
  return "worker " + std::to_string(worker + 1);
}

/// How a generation of the job ended.
enum class outcome { done, failed, lost, rejoined };

/// "workers 1 and 3", "worker 2".
std::string names_of(const std::set<uint32_t>& workers) {
  std::string text;
  size_t k = 0;
  for (auto w : workers) {
    text += k == 0 ? "" : ++k == workers.size() ? " and " : ", ";
    text += std::to_string(w + 1);
    if (k == 0)
      ++k;
  }
  return (workers.size() > 1 ? "workers " : "worker ") + text;
}

/// The coordinator's view of a running job. The job's state is in slices
/// (../placement.hpp), each a journal; the job runs in generations: each is
/// one placement of every slice on the workers alive, a fair share each
/// (share_slices), started in the two steps of the README. Losing a worker
/// ends a generation and starts the next with its slices on the survivors;
/// a worker that joins, new or again, ends one too and takes its share by
/// handoff (the old owner stops the slice and closes its journal, the new
/// one opens it). Slices a new generation leaves in place run on.
class coordinator {
public:
  coordinator(job& j, caf::scoped_actor& self, journal::sqlite_journal& jn, worker_slots slots, job_layout layout)
    : j_(j), self_(self), jn_(jn), slots_(std::move(slots)), layout_(std::move(layout)),
      the_plan_(plan_of(j, layout_)), members_(slots_.workers()),
      natural_(natural_owners(placement::slices_of(the_plan_), slots_.first_workers())), owners_(natural_) {
  }

  run_result run() {
    auto started = std::chrono::steady_clock::now();
    run_result result;
    auto me = caf::actor_cast<caf::actor>(self_);
    savepoint::session savepoints{j_, layout_, me, the_plan_.stage(0).instances,
                                  {[this](bool paused) { tell_workers(pause_atom::value, paused); },
                                   [this](const savepoint::target& t, uint64_t id) { return freeze_workers(t, id); }}};
    savepoints_ = &savepoints;
    savepoint::request_watcher watcher{j_.config().savepoint_dir, me};
    gather_members();
    for (;;) {
      if (alive_count() == 0) {
        fail(result, lost_text_ + "; no worker is left");
        break;
      }
      auto began = std::chrono::steady_clock::now();
      owners_ = share_slices(owners_, natural_, alive());
      auto where = placement::of_slices(the_plan_, owners_);
      note_moves(where);
      auto o = start_generation(where, result);
      if (o == outcome::done) {
        log::runtime()->info("job {} generation {} started on {} workers in {:.0f} ms: {}", j_.config().name,
                             generation_, alive_count(), 1000 * seconds_since(began), describe(where));
        write_plan_file(j_.config().state_dir, j_, the_plan_, where, generation_);
        o = supervise(result, started);
      }
      if (o == outcome::done || o == outcome::failed)
        break;
      ++generation_;
    }
    result.seconds = seconds_since(started);
    return finish(std::move(result));
  }

private:
  std::vector<bool> alive() const {
    std::vector<bool> a;
    for (auto& m : members_)
      a.push_back(static_cast<bool>(m.agent));
    return a;
  }
  size_t alive_count() const {
    size_t n = 0;
    for (auto& m : members_)
      n += m.agent ? 1 : 0;
    return n;
  }

  /// Which worker number `agent` has, if it is a member.
  std::optional<uint32_t> member_of(const caf::actor_addr& agent) const {
    for (uint32_t w = 0; w < members_.size(); ++w)
      if (members_[w].agent && members_[w].agent.address() == agent)
        return w;
    return std::nullopt;
  }

  /// Takes in a worker that (re)joins; false if it was refused.
  bool join(join_msg& m) {
    auto refuse = [&](const std::string& why) {
      log::runtime()->error("refused a worker at {}:{} (state {}): {}", m.host, m.port, m.state_dir, why);
      self_->send(m.agent, refused_msg{why});
      return false;
    };
    if (m.fingerprint != fingerprint_)
      return refuse("it runs " + m.fingerprint + ", but the coordinator runs " + fingerprint_);
    auto w = slots_.claim(m.state_dir);
    if (!w)
      return refuse(w.error().message());
    if (*w < members_.size() && members_[*w].agent)
      return refuse("state directory '" + m.state_dir + "' is already used by " + name_of(*w));
    bool added = *w >= members_.size();
    members_.resize(std::max<size_t>(members_.size(), *w + 1));
    self_->monitor(m.agent);
    auto& member = members_[*w];
    member.agent = m.agent;
    member.host = m.host;
    member.port = m.port;
    member.state_dir = m.state_dir;
    metrics::workers_up().set(static_cast<double>(alive_count()));
    note_cause(name_of(*w) + (member.lost_before ? " joined again" : " joined"));
    log::runtime()->info("{} joined from {}:{} (state {}){}; {} workers", name_of(*w), m.host, m.port,
                         m.state_dir, added ? ", a worker more than before" : "", alive_count());
    return true;
  }

  /// Marks the worker behind `dm` lost; false if it was none.
  bool lose(const caf::down_msg& dm) {
    auto w = member_of(dm.source);
    if (!w)
      return false;
    lose(*w, self_->system().render(dm.reason));
    return true;
  }

  /// Marks worker `w` lost, for `why`.
  void lose(uint32_t w, const std::string& why) {
    lost_text_ = name_of(w) + " (" + members_[w].host + ":" + std::to_string(members_[w].port)
                 + ") was lost (" + why + ")";
    members_[w].agent = nullptr;
    members_[w].lost_before = true;
    metrics::workers_up().set(static_cast<double>(alive_count()));
    if (savepoints_)
      savepoints_->abort(name_of(w) + " was lost");
    note_cause(name_of(w) + " was lost");
    log::runtime()->warn("{}; {} workers left", lost_text_, alive_count());
  }

  /// A worker's report that its link to worker `peer` closed: checked a
  /// peer timeout later (a peer that died is lost by then, and one that
  /// came back since is another incarnation, whose link is new).
  void link_lost(uint32_t peer) {
    auto on = member_of(caf::actor_cast<caf::actor_addr>(self_->current_sender()));
    if (!on || peer >= members_.size() || !members_[peer].agent)
      return;
    log::runtime()->warn("{} lost its link to {}; checking in {} ms whether both still run", name_of(*on),
                         name_of(peer), j_.config().peer_timeout_ms);
    self_->delayed_send(self_, std::chrono::milliseconds(j_.config().peer_timeout_ms), link_lost_atom::value,
                        *on, peer, members_[*on].agent.address(), members_[peer].agent.address());
  }

  /// True if the check of a lost link finds both workers running, as the
  /// same incarnations: the reporter is stopped and lost, so its slices
  /// fail over.
  bool quarantine(uint32_t on, uint32_t peer, const caf::actor_addr& agent, const caf::actor_addr& peer_agent) {
    if (on >= members_.size() || peer >= members_.size() || !members_[peer].agent || !members_[on].agent
        || members_[on].agent.address() != agent || members_[peer].agent.address() != peer_agent)
      return false;
    auto why = "its link to " + name_of(peer) + " dropped while both ran; its slices fail over";
    self_->send(members_[on].agent, stop_atom::value, int32_t{1}, why);
    lose(on, why);
    return true;
  }

  /// Adds why the next generation moves slices (the first cause sets its time).
  void note_cause(const std::string& what) {
    if (cause_.empty())
      cause_at_ = std::chrono::steady_clock::now();
    cause_ += (cause_.empty() ? "" : ", ") + what;
  }

  /// Whether the job can start: --workers workers joined, among them every
  /// first worker, in whose state directories the slices are.
  bool enough_members() const {
    for (uint32_t w = 0; w < slots_.first_workers(); ++w)
      if (slots_.dir_of(w).empty())
        return false;
    return alive_count() >= j_.config().workers;
  }

  /// Waits until enough_members().
  void gather_members() {
    log::runtime()->info("waiting for {} workers", j_.config().workers);
    self_->receive_while([&] { return !enough_members(); })(
      [&](join_msg& m) { join(m); },
      [&](caf::down_msg& dm) {
        if (auto w = member_of(dm.source)) {
          log::runtime()->warn("{} left before the job started", name_of(*w));
          members_[*w] = member{};
        }
      },
      caf::after(10s) >> [&] {
        log::runtime()->info("still waiting for workers: {} of {} joined", alive_count(), j_.config().workers);
      });
    cause_.clear();
  }

  /// Sends every alive worker its welcome for `where`, gathers their
  /// exchanges, and starts them in two steps. outcome::done once all run.
  outcome start_generation(const placement& where, run_result& result) {
    std::vector<std::string> hosts, dirs;
    std::vector<uint32_t> ports;
    for (auto& m : members_) { // port 0: not alive, not to connect to
      hosts.push_back(m.host);
      ports.push_back(m.agent ? m.port : 0);
    }
    for (uint32_t slice = 0; slice < natural_.size(); ++slice)
      dirs.push_back(slice_dir(slice));
    for (uint32_t w = 0; w < members_.size(); ++w)
      if (members_[w].agent)
        self_->send(members_[w].agent,
                    welcome_msg{generation_, w, static_cast<uint32_t>(members_.size()), layout_.split_hint,
                                layout_.splits, layout_.sink_instances, hosts, ports, dirs, where.nodes(),
                                where.homes()});
    std::vector<caf::actor> all(the_plan_.exchanges());
    std::vector<bool> answered(members_.size());
    auto outcome_of_step = [&](auto on_message) {
      std::fill(answered.begin(), answered.end(), false);
      auto pending = [&] {
        for (uint32_t w = 0; w < members_.size(); ++w)
          if (members_[w].agent && !answered[w])
            return true;
        return false;
      };
      auto o = outcome::done;
      self_->receive_while([&] { return o == outcome::done && pending(); })(
        on_message,
        [&](failed_atom, uint32_t generation, const std::string& what) {
          if (generation == generation_) {
            fail(result, what);
            o = outcome::failed;
          }
        },
        [&](done_atom, uint32_t generation, uint32_t sink, uint64_t records) {
          sink_done(generation, sink, records);
        },
        [&](progress_atom, uint32_t, uint64_t) {},
        [&](recovered_atom, uint32_t, uint32_t slice, uint32_t key_groups) { recovered(slice, key_groups); },
        [&](link_lost_atom, uint32_t, uint32_t peer) { link_lost(peer); },
        [&](link_lost_atom, uint32_t on, uint32_t peer, const caf::actor_addr& agent, const caf::actor_addr& peer_agent) {
          if (quarantine(on, peer, agent, peer_agent))
            o = outcome::lost;
        },
        [&](join_msg& m) {
          if (join(m))
            o = outcome::rejoined;
        },
        [&](caf::down_msg& dm) {
          if (lose(dm))
            o = outcome::lost;
        });
      return o;
    };
    auto began = std::chrono::steady_clock::now();
    auto o = outcome_of_step([&](exchanges_msg& m) {
      if (m.generation != generation_)
        return;
      for (size_t i = 0; i < all.size() && i < m.exchanges.size(); ++i)
        if (where.node_of(static_cast<uint32_t>(i)) == m.worker)
          all[i] = m.exchanges[i];
      answered.at(m.worker) = true;
    });
    if (o != outcome::done)
      return o;
    log::runtime()->debug("generation {}: every worker's exchanges in {:.0f} ms", generation_, 1000 * seconds_since(began));
    for (auto& m : members_)
      if (m.agent)
        self_->send(m.agent, peers_msg{all});
    o = outcome_of_step([&](ready_atom, uint32_t generation, uint32_t w) {
      if (generation == generation_)
        answered.at(w) = true;
    });
    if (o != outcome::done)
      return o;
    log::runtime()->debug("generation {}: every worker ready {:.0f} ms after the welcome", generation_,
                          1000 * seconds_since(began));
    for (auto& m : members_)
      if (m.agent)
        self_->send(m.agent, go_atom::value, generation_);
    report_moves(where);
    return outcome::done;
  }

  /// Logs, once per cause, which tasks moved where and how long after the
  /// cause they run there (what the launcher and the tests read).
  void report_moves(const placement& where) {
    for (auto& m : moves_) {
      if (m.placed_reported)
        continue;
      m.placed_reported = true;
      std::set<uint32_t> to;
      for (auto slice : m.moved)
        to.insert(owners_.at(slice));
      log::runtime()->info("{}: {} placed on {} in {:.0f} ms; every other task ran on", m.cause,
                           tasks_of(where, m.moved), names_of(to), 1000 * seconds_since(m.at));
    }
    std::erase_if(moves_, [](auto& m) { return m.slices.empty(); }); // nothing keyed to wait for
  }

  /// Records, for every exchange whose node or home `where` changes, the
  /// generation it starts again in, and the slices that move for the
  /// causes since the last generation; a sink that moves has to commit its
  /// end again (its new incarnation says done once it has recovered it).
  void note_moves(const placement& where) {
    placed_in_.resize(where.nodes().size(), generation_);
    pending_move move;
    move.cause = cause_;
    move.at = cause_at_;
    for (uint32_t id = 0; id < where.nodes().size(); ++id) {
      bool moved = !last_where_ || last_where_->node_of(id) != where.node_of(id)
                   || last_where_->home_of(id) != where.home_of(id);
      if (!moved)
        continue;
      placed_in_[id] = generation_;
      done_.erase(id);
      if (!last_where_)
        continue;
      move.moved.insert(where.home_of(id));
      if (keyed(id))
        move.slices.insert(where.home_of(id));
    }
    if (!move.moved.empty())
      moves_.push_back(std::move(move));
    last_where_ = where;
    cause_.clear();
  }

  bool keyed(uint32_t exchange_id) const {
    for (uint32_t s = 0; s < the_plan_.stages().size(); ++s)
      if (exchange_id >= the_plan_.exchange_id(s, 0)
          && exchange_id < the_plan_.exchange_id(s, 0) + the_plan_.stage(s).instances)
        return the_plan_.stage(s).kind == stage_plan::keyed;
    return false;
  }

  /// The journal directory of `slice`: in the state directory of the
  /// worker it started on.
  std::string slice_dir(uint32_t slice) const {
    return slots_.dir_of(natural_.at(slice)) + "/slice-" + std::to_string(slice);
  }

  /// A sink's done, from the generation it was sent in: it counts unless
  /// the sink moved since (a sink that runs on across generations says it once).
  void sink_done(uint32_t generation, uint32_t sink, uint64_t records) {
    if (sink < placed_in_.size() && generation >= placed_in_[sink])
      done_.emplace(sink, records);
  }

  size_t sinks() const {
    size_t n = 0;
    for (auto& s : the_plan_.stages())
      if (s.kind == stage_plan::sink)
        n += s.instances;
    return n;
  }

  /// Counts `slice` recovered on the worker that sent it, if that runs it
  /// now; logs a move once all its slices have (the failover time the
  /// benchmark reads).
  void recovered(uint32_t slice, uint32_t key_groups) {
    auto on = member_of(caf::actor_cast<caf::actor_addr>(self_->current_sender()));
    if (!on || slice >= owners_.size() || owners_[slice] != *on)
      return;
    std::erase_if(moves_, [&](pending_move& m) {
      if (!m.slices.erase(slice))
        return false;
      m.key_groups += key_groups;
      m.to.insert(*on);
      if (!m.slices.empty() || !m.placed_reported)
        return false;
      log::runtime()->info("{} key groups recovered on {}, {:.0f} ms after {}", m.key_groups, names_of(m.to),
                           1000 * seconds_since(m.at), m.cause);
      metrics::move_recovery_seconds().observe(seconds_since(m.at));
      return true;
    });
  }

  template <class... Ts>
  void tell_workers(const Ts&... xs) {
    for (auto& m : members_)
      if (m.agent)
        self_->send(m.agent, xs...);
  }

  /// A savepoint's consistent cut: every worker commits, copies and
  /// freezes the journals of its slices; once all have, all thaw (so no
  /// journal committed anything between the first copy and the last) and
  /// write their bodies. Returns the workers that will answer with bodies.
  expected<uint32_t> freeze_workers(const savepoint::target& t, uint64_t id) {
    auto began = std::chrono::steady_clock::now();
    std::set<uint32_t> waiting;
    for (uint32_t w = 0; w < members_.size(); ++w)
      if (members_[w].agent) {
        self_->send(members_[w].agent, freeze_atom::value, id, t.pending.string());
        waiting.insert(w);
      }
    auto frozen = static_cast<uint32_t>(waiting.size());
    std::string failure;
    std::vector<caf::down_msg> downs; // handled by the caller's loop, after this
    auto deadline = began + std::chrono::seconds(15);
    self_->receive_while([&] { return !waiting.empty() && downs.empty() && std::chrono::steady_clock::now() < deadline; })(
      [&](freeze_atom, uint64_t got, uint32_t w, bool ok, const std::string& why) {
        if (got != id)
          return;
        waiting.erase(w);
        if (!ok && failure.empty())
          failure = name_of(w) + " could not copy its journals: " + why;
      },
      [&](caf::down_msg& dm) { downs.push_back(std::move(dm)); },
      caf::after(std::chrono::milliseconds(100)) >> [] {});
    tell_workers(thaw_atom::value, id);
    for (auto& dm : downs)
      self_->send(self_, std::move(dm));
    if (!downs.empty())
      return error{errc::unavailable, "a worker was lost while the journals were copied"};
    if (!waiting.empty())
      return error{errc::unavailable, names_of(waiting) + " did not freeze within 15 s"};
    if (!failure.empty())
      return error{errc::io, failure};
    log::runtime()->info("savepoint: {} workers copied their journals in {:.0f} ms", frozen, 1000 * seconds_since(began));
    return frozen;
  }

  /// A query of one key's state: asks the worker that runs the key's
  /// partition in this generation (query/README.md); answers at once if
  /// the request names no such operator or key, or that worker is lost.
  void query(const std::string& op, const std::string& key, const std::string& answer) {
    auto t = query::resolve(j_, the_plan_, op, key);
    if (!t)
      return savepoint::answer(answer, savepoint::answer_status::invalid, t.error().message());
    auto w = last_where_ ? last_where_->node_of(t->exchange) : uint32_t{0};
    if (!last_where_ || w >= members_.size() || !members_[w].agent)
      return savepoint::answer(answer, false, t->op + " key group " + std::to_string(t->key_group)
                                                + " has no worker now (it fails over); try again");
    query::ask(self_->system(), members_[w].agent, std::move(*t), answer, name_of(w));
  }

  /// Runs until every sink instance committed its end (outcome::done), a
  /// worker fails the job, or a worker is lost or comes back.
  outcome supervise(run_result& result, std::chrono::steady_clock::time_point started) {
    auto o = outcome::done;
    bool running = done_.size() < sinks();
    progress_log progress{j_.config().name, started};
    self_->receive_while(running)(
      [&](done_atom, uint32_t generation, uint32_t sink, uint64_t records) {
        sink_done(generation, sink, records);
        running = done_.size() < sinks();
      },
      [&](progress_atom, uint32_t instance, uint64_t values) { progress.read(instance, values); },
      [&](savepoint::savepoint_atom, const std::string& kind, const std::string& to, const std::string& answer) {
        savepoints_->request(kind, to, answer);
      },
      [&](savepoint::query_request_atom, const std::string& op, const std::string& key, const std::string& answer) {
        query(op, key, answer);
      },
      [&](drained_atom, uint32_t, uint32_t instance) { savepoints_->drained(instance); },
      [&](savepoint::write_timeout_atom, uint64_t id) { savepoints_->write_timeout(id); },
      [&](savepoint::drain_timeout_atom, uint64_t id) { savepoints_->drain_timeout(id); },
      [&](savepoint::savepoint_done_atom, uint64_t id, bool ok, const std::string& text) {
        savepoints_->bodies_written(id, ok, text);
        if (savepoints_->stopped()) {
          log::runtime()->info("job {} stopped with savepoint {}", j_.config().name, savepoints_->stopped_with());
          running = false;
        }
      },
      [&](recovered_atom, uint32_t, uint32_t slice, uint32_t key_groups) { recovered(slice, key_groups); },
      [&](link_lost_atom, uint32_t, uint32_t peer) { link_lost(peer); },
      [&](link_lost_atom, uint32_t on, uint32_t peer, const caf::actor_addr& agent, const caf::actor_addr& peer_agent) {
        if (quarantine(on, peer, agent, peer_agent)) {
          o = outcome::lost;
          running = false;
        }
      },
      [&](failed_atom, uint32_t generation, const std::string& what) {
        if (generation != generation_)
          return;
        fail(result, what);
        o = outcome::failed;
        running = false;
      },
      [&](caf::down_msg& dm) {
        if (lose(dm)) {
          o = outcome::lost;
          running = false;
        }
      },
      [&](join_msg& m) {
        if (join(m)) {
          o = outcome::rejoined;
          running = false;
        }
      });
    return o;
  }

  void fail(run_result& result, const std::string& what) {
    result.exit_code = 1;
    result.error = what;
  }

  /// Tells every worker the job's end and waits (bounded) until they are gone.
  /// A job that ended well is recorded as ended first: its workers exit 0
  /// and are not started again, so a coordinator restarted after this (a
  /// SIGKILL before it exited) must not wait for them (run_coordinator).
  run_result finish(run_result result) {
    for (auto& [sink, records] : done_)
      result.records_out += records;
    if (result.exit_code == 0) {
      auto how = savepoints_ && savepoints_->stopped()
                   ? "stopped with savepoint " + savepoints_->stopped_with()
                   : "finished: " + std::to_string(result.records_out) + " records written";
      if (auto err = jn_.meta(ended_key, how))
        log::runtime()->error("could not record the job's end in its state directory: {}", err.message());
    }
    size_t alive = 0;
    for (auto& m : members_) {
      if (!m.agent)
        continue;
      self_->send(m.agent, stop_atom::value, static_cast<int32_t>(result.exit_code), result.error);
      ++alive;
    }
    auto deadline = std::chrono::steady_clock::now() + 5s;
    self_->receive_while([&] { return alive > 0 && std::chrono::steady_clock::now() < deadline; })(
      [&](caf::down_msg& dm) {
        if (member_of(dm.source))
          --alive;
      },
      caf::after(100ms) >> [] {});
    if (alive > 0)
      log::runtime()->warn("{} workers did not stop within 5 s", alive);
    if (result.exit_code == 0)
      log::runtime()->info("job {} finished: {} records written in {:.2f} s", j_.config().name,
                           result.records_out, result.seconds);
    else
      log::runtime()->error("job {} failed: {}", j_.config().name, result.error);
    return result;
  }

  /// "43 key groups of counter, 1 split of file:x, 1 instance of file:y":
  /// what has its home in `slices`.
  std::string tasks_of(const placement& where, const std::set<uint32_t>& slices) const {
    std::string text;
    for (uint32_t s = 0; s < the_plan_.stages().size(); ++s) {
      auto& st = the_plan_.stage(s);
      uint32_t n = 0;
      for (uint32_t i = 0; i < st.instances; ++i)
        if (slices.count(where.home_of(the_plan_.exchange_id(s, i))))
          n += st.kind == stage_plan::sink ? 1 : the_plan_.indexes_of(s, i).size();
      if (n == 0)
        continue;
      auto unit = st.kind == stage_plan::keyed ? " key group" : st.kind == stage_plan::source ? " split" : " instance";
      text += (text.empty() ? "" : ", ") + std::to_string(n) + unit + (n > 1 ? "s" : "") + " of " + st.name;
    }
    return text;
  }

  /// "stage: index range@worker ...; slices: slice@worker ..." for the log.
  std::string describe(const placement& where) const {
    std::string text;
    for (uint32_t s = 0; s < the_plan_.stages().size(); ++s) {
      auto& st = the_plan_.stage(s);
      text += (s ? "; " : "") + st.name + ":";
      for (uint32_t i = 0; i < st.instances; ++i) {
        auto r = the_plan_.indexes_of(s, i);
        auto id = the_plan_.exchange_id(s, i);
        text += " " + std::to_string(r.first) + (r.size() > 1 ? "-" + std::to_string(r.last) : "") + "@"
                + std::to_string(where.node_of(id) + 1);
      }
    }
    text += "; slices:";
    for (uint32_t slice = 0; slice < owners_.size(); ++slice)
      text += " " + std::to_string(slice) + "@" + std::to_string(owners_[slice] + 1)
              + (owners_[slice] != natural_[slice] ? "(from " + std::to_string(natural_[slice] + 1) + ")" : "");
    return text;
  }

  job& j_;
  caf::scoped_actor& self_;
  journal::sqlite_journal& jn_; ///< the coordinator's own: worker slots, the job's end
  worker_slots slots_;
  job_layout layout_;
  plan the_plan_;
  std::vector<member> members_; ///< by worker number; no agent: lost or not joined
  uint32_t generation_ = 0;
  std::vector<uint32_t> natural_; ///< by slice: the first worker it started on, whose state directory has its journal
  std::vector<uint32_t> owners_;  ///< by slice: the worker that runs it
  std::optional<placement> last_where_; ///< of the generation before
  std::string cause_;  ///< the losses and joins since the last generation
  std::chrono::steady_clock::time_point cause_at_; ///< of the first of them
  std::vector<pending_move> moves_;
  std::vector<uint32_t> placed_in_;     ///< by exchange id: the generation it last moved in
  std::map<uint32_t, uint64_t> done_;   ///< sink exchange id → records, of sinks done where they run now
  std::string lost_text_;       ///< the last loss, for the log and the job's error
  std::string fingerprint_ = job_fingerprint(j_);
  savepoint::session* savepoints_ = nullptr; ///< of run()
};

/// The coordinator's life in actor system `sys`, which outlives every actor here.
run_result run_node(job& j, caf::actor_system& sys, const endpoint& at, journal::sqlite_journal& jn,
                    job_layout layout, worker_slots slots) {
  caf::scoped_actor self{sys};
  auto listening = listen(sys, caf::actor_cast<caf::actor>(self), at);
  if (!listening)
    return bad_input(listening.error().message());
  // The launcher reads this line for the address.
  log::runtime()->info("coordinator of job {} listening on {}", j.config().name, listening->text());
  coordinator c{j, self, jn, std::move(slots), std::move(layout)};
  return c.run();
}

} // namespace

run_result run_coordinator(job& j) {
  auto& cfg = j.config();
  log::node("coordinator");
  auto at = parse_endpoint(cfg.listen, "--listen");
  if (!at)
    return bad_input(at.error().message());
  auto jn = open_state_dir(j);
  if (!jn)
    return bad_input(jn.error().message());
  auto metrics_endpoint = metrics::serve(cfg); // served until this returns
  if (!metrics_endpoint)
    return bad_input(metrics_endpoint.error().message());
  metrics::workers_up().set(0);
  metrics::move_recovery_seconds(); // shown from the start, with no moves yet
  auto where = "state directory '" + cfg.state_dir.string() + "'";
  auto ended = (**jn).meta(ended_key);
  if (!ended)
    return bad_input(where + ": " + ended.error().message());
  if (*ended) { // a restart after finish() had told the workers: they are gone for good
    log::runtime()->info("job {} ended before this start ({}); nothing is left to run in {}", cfg.name, **ended, where);
    return run_result{};
  }
  if (!cfg.from_savepoint.empty()) { // checked here, before any worker runs; restored by each worker
    auto plan = savepoint::check_savepoint(j, cfg.from_savepoint);
    if (!plan)
      return bad_input(plan.error().message());
    if (auto err = savepoint::restore_into(j, **jn, cfg.from_savepoint, *plan, [](uint32_t, uint32_t) { return false; }, where))
      return bad_input(err.message());
  }
  auto layout = settle_layout(j, **jn, where);
  if (!layout)
    return bad_input(layout.error().message());
  auto slots = worker_slots::open(**jn, cfg.workers);
  if (!slots)
    return bad_input(where + ": " + slots.error().message());
  return run_in_node_system(cfg, [&](caf::actor_system& sys) {
    return run_node(j, sys, *at, **jn, std::move(*layout), std::move(*slots));
  });
}

} // namespace eddy::actors::cluster
