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
#include "progress.hpp"
#include "protocol.hpp"
#include "shutdown.hpp"
#include "state_dir.hpp"
#include "worker_slots.hpp"

namespace eddy::actors::cluster {

namespace {

using namespace std::chrono_literals;

/// A worker that joined: where it listens and its agent (monitored).
struct member {
  caf::actor agent;
  std::string host;
  uint32_t port = 0;
  std::string state_dir;
  std::chrono::steady_clock::time_point joined_at = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> lost_at; ///< since its last loss, until it has its tasks back
  bool moved_reported = false;
  /// When the loss or return happened that moved the tasks with their home
  /// here, until they have recovered where they went.
  std::optional<std::chrono::steady_clock::time_point> moved_at;
};

std::string name_of(uint32_t worker) {
  return "worker " + std::to_string(worker + 1);
}

/// How a generation of the job ended.
enum class outcome { done, failed, lost, rejoined };

/// The coordinator's view of a running job. The job runs in generations:
/// each is one placement of every task on the workers alive, started in the
/// two steps of the README. Losing a worker ends a generation and starts the
/// next with its tasks on a survivor (their state stays in its journal,
/// which the new owner opens); a lost worker that joins again ends one too,
/// and gets its tasks back. Tasks a new generation leaves in place run on.
class coordinator {
public:
  coordinator(job& j, caf::scoped_actor& self, worker_slots slots, job_layout layout)
    : j_(j), self_(self), slots_(std::move(slots)), layout_(std::move(layout)),
      the_plan_(plan_of(j, layout_)), members_(slots_.workers()) {
  }

  run_result run() {
    auto started = std::chrono::steady_clock::now();
    run_result result;
    gather_members();
    for (;;) {
      if (alive_count() == 0) {
        fail(result, lost_text_ + "; no worker is left");
        break;
      }
      auto began = std::chrono::steady_clock::now();
      auto where = placement::spread(the_plan_, static_cast<uint32_t>(members_.size()), alive());
      note_moves(where);
      auto o = start_generation(where, result);
      if (o == outcome::done) {
        log::runtime()->info("job {} generation {} started on {} workers in {:.0f} ms: {}", j_.config().name,
                             generation_, alive_count(), 1000 * seconds_since(began), describe(where));
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
    if (members_[*w].agent)
      return refuse("state directory '" + m.state_dir + "' is already used by " + name_of(*w));
    self_->monitor(m.agent);
    auto& member = members_[*w]; // a rejoining worker keeps lost_at until it has its tasks back
    member.agent = m.agent;
    member.host = m.host;
    member.port = m.port;
    member.state_dir = m.state_dir;
    member.joined_at = event_at_ = std::chrono::steady_clock::now();
    log::runtime()->info("{} joined from {}:{} (state {}); {} of {} workers", name_of(*w), m.host, m.port,
                         m.state_dir, alive_count(), members_.size());
    return true;
  }

  /// Marks the worker behind `dm` lost; false if it was none.
  bool lose(const caf::down_msg& dm) {
    auto w = member_of(dm.source);
    if (!w)
      return false;
    lost_text_ = name_of(*w) + " (" + members_[*w].host + ":" + std::to_string(members_[*w].port)
                 + ") was lost (" + self_->system().render(dm.reason) + ")";
    members_[*w].agent = nullptr;
    members_[*w].lost_at = event_at_ = std::chrono::steady_clock::now();
    members_[*w].moved_reported = false;
    log::runtime()->warn("{}; {} workers left", lost_text_, alive_count());
    return true;
  }

  /// Waits until every worker number has a member.
  void gather_members() {
    log::runtime()->info("waiting for {} workers", members_.size());
    self_->receive_while([&] { return alive_count() < members_.size(); })(
      [&](join_msg& m) { join(m); },
      [&](caf::down_msg& dm) {
        if (auto w = member_of(dm.source)) {
          log::runtime()->warn("{} left before the job started", name_of(*w));
          members_[*w] = member{};
        }
      },
      caf::after(10s) >> [&] {
        log::runtime()->info("still waiting for {} of {} workers", members_.size() - alive_count(),
                             members_.size());
      });
  }

  /// Sends every alive worker its welcome for `where`, gathers their
  /// exchanges, and starts them in two steps. outcome::done once all run.
  outcome start_generation(const placement& where, run_result& result) {
    std::vector<std::string> hosts, dirs;
    std::vector<uint32_t> ports;
    for (auto& m : members_) {
      hosts.push_back(m.host);
      ports.push_back(m.port);
    }
    for (uint32_t w = 0; w < members_.size(); ++w)
      dirs.push_back(slots_.dir_of(w));
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
        [&](recovered_atom, uint32_t, uint32_t home, uint32_t key_groups) { recovered(home, key_groups); },
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
    for (auto& m : members_)
      if (m.agent)
        self_->send(m.agent, peers_msg{all});
    o = outcome_of_step([&](ready_atom, uint32_t generation, uint32_t w) {
      if (generation == generation_)
        answered.at(w) = true;
    });
    if (o != outcome::done)
      return o;
    for (auto& m : members_)
      if (m.agent)
        self_->send(m.agent, go_atom::value, generation_);
    report_moves(where);
    return outcome::done;
  }

  /// Logs, once per loss, how long after it a lost worker's tasks ran on
  /// another worker, and once per return, how long a worker that joined
  /// again waited for its own tasks (what the launcher and tests read).
  void report_moves(const placement& where) {
    auto now = std::chrono::steady_clock::now();
    auto ms = [&](std::chrono::steady_clock::time_point t) {
      return 1000 * std::chrono::duration<double>(now - t).count();
    };
    for (uint32_t w = 0; w < members_.size(); ++w) {
      auto& m = members_[w];
      std::optional<uint32_t> heir;
      for (uint32_t id = 0; id < where.nodes().size(); ++id)
        if (where.home_of(id) == w && where.node_of(id) != w)
          heir = where.node_of(id);
      if (heir && !m.moved_reported && m.lost_at) {
        log::runtime()->info("{}'s tasks run on {}, from its journal, {:.0f} ms after it was lost ({}); "
                             "every other task ran on",
                             name_of(w), name_of(*heir), ms(*m.lost_at), tasks_of(where, w));
        m.moved_reported = true;
      } else if (!heir && m.agent && m.lost_at) {
        log::runtime()->info("{} runs its own tasks again, {:.0f} ms after it joined again", name_of(w),
                             ms(m.joined_at));
        m.lost_at.reset();
      }
    }
  }

  /// Records, for every exchange whose node or home `where` changes, the
  /// generation it starts again in; a sink that moves has to commit its end
  /// again (its new incarnation says done once it has recovered it).
  void note_moves(const placement& where) {
    placed_in_.resize(where.nodes().size(), generation_);
    for (uint32_t id = 0; id < where.nodes().size(); ++id) {
      bool moved = !last_where_ || last_where_->node_of(id) != where.node_of(id)
                   || last_where_->home_of(id) != where.home_of(id);
      if (moved) {
        placed_in_[id] = generation_;
        done_.erase(id);
        if (last_where_)
          members_.at(where.home_of(id)).moved_at = event_at_;
      }
    }
    last_where_ = where;
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

  /// Logs when the key groups with their home on worker `home` recovered on
  /// the worker that sent it (the failover time the benchmark reads), when
  /// they had moved.
  void recovered(uint32_t home, uint32_t key_groups) {
    auto on = member_of(caf::actor_cast<caf::actor_addr>(self_->current_sender()));
    if (!on || home >= members_.size())
      return;
    auto& m = members_[home];
    if (!m.moved_at)
      return;
    log::runtime()->info("{}'s {} key groups recovered on {}, {:.0f} ms after the {} that moved them",
                         name_of(home), key_groups, *on == home ? std::string{"it"} : name_of(*on),
                         1000 * seconds_since(*m.moved_at), *on == home ? "return" : "loss");
    m.moved_at.reset();
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
      [&](recovered_atom, uint32_t, uint32_t home, uint32_t key_groups) { recovered(home, key_groups); },
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
  run_result finish(run_result result) {
    for (auto& [sink, records] : done_)
      result.records_out += records;
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
  /// what has its home on worker `home`.
  std::string tasks_of(const placement& where, uint32_t home) const {
    std::string text;
    for (uint32_t s = 0; s < the_plan_.stages().size(); ++s) {
      auto& st = the_plan_.stage(s);
      uint32_t n = 0;
      for (uint32_t i = 0; i < st.instances; ++i)
        if (where.home_of(the_plan_.exchange_id(s, i)) == home)
          n += st.kind == stage_plan::sink ? 1 : the_plan_.indexes_of(s, i).size();
      if (n == 0)
        continue;
      auto unit = st.kind == stage_plan::keyed ? " key group" : st.kind == stage_plan::source ? " split" : " instance";
      text += (text.empty() ? "" : ", ") + std::to_string(n) + unit + (n > 1 ? "s" : "") + " of " + st.name;
    }
    return text;
  }

  /// "stage: index range@worker ..." for the log.
  std::string describe(const placement& where) const {
    std::string text;
    for (uint32_t s = 0; s < the_plan_.stages().size(); ++s) {
      auto& st = the_plan_.stage(s);
      text += (s ? "; " : "") + st.name + ":";
      for (uint32_t i = 0; i < st.instances; ++i) {
        auto r = the_plan_.indexes_of(s, i);
        auto id = the_plan_.exchange_id(s, i);
        text += " " + std::to_string(r.first) + (r.size() > 1 ? "-" + std::to_string(r.last) : "") + "@"
                + std::to_string(where.node_of(id) + 1)
                + (where.home_of(id) != where.node_of(id) ? "(from " + std::to_string(where.home_of(id) + 1) + ")" : "");
      }
    }
    return text;
  }

  job& j_;
  caf::scoped_actor& self_;
  worker_slots slots_;
  job_layout layout_;
  plan the_plan_;
  std::vector<member> members_; ///< by worker number; no agent: lost or not joined
  uint32_t generation_ = 0;
  std::optional<placement> last_where_; ///< of the generation before
  std::chrono::steady_clock::time_point event_at_; ///< of the last loss or join
  std::vector<uint32_t> placed_in_;     ///< by exchange id: the generation it last moved in
  std::map<uint32_t, uint64_t> done_;   ///< sink exchange id → records, of sinks done where they run now
  std::string lost_text_;       ///< the last loss, for the log and the job's error
  std::string fingerprint_ = job_fingerprint(j_);
};

/// The coordinator's life in actor system `sys`, which outlives every actor here.
run_result run_node(job& j, caf::actor_system& sys, const endpoint& at, job_layout layout,
                    worker_slots slots) {
  caf::scoped_actor self{sys};
  auto listening = listen(sys, caf::actor_cast<caf::actor>(self), at);
  if (!listening)
    return bad_input(listening.error().message());
  // The launcher reads this line for the address.
  log::runtime()->info("coordinator of job {} listening on {}", j.config().name, listening->text());
  coordinator c{j, self, std::move(slots), std::move(layout)};
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
  auto where = "state directory '" + cfg.state_dir.string() + "'";
  auto layout = settle_layout(j, **jn, where);
  if (!layout)
    return bad_input(layout.error().message());
  auto slots = worker_slots::open(**jn, cfg.workers);
  if (!slots)
    return bad_input(where + ": " + slots.error().message());
  return run_in_node_system(cfg, [&](caf::actor_system& sys) { return run_node(j, sys, *at, std::move(*layout), std::move(*slots)); });
}

} // namespace eddy::actors::cluster
