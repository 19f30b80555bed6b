#include "coordinator.hpp"

#include <chrono>
#include <filesystem>

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
};

std::string name_of(uint32_t worker) {
  return "worker " + std::to_string(worker + 1);
}

/// The coordinator's view of a running job.
class coordinator {
public:
  coordinator(job& j, caf::scoped_actor& self, worker_slots slots, job_layout layout)
    : j_(j), self_(self), slots_(std::move(slots)), layout_(std::move(layout)),
      the_plan_(plan_of(j, layout_)), where_(placement::spread(the_plan_, slots_.workers())),
      members_(slots_.workers()) {
  }

  run_result run() {
    auto started = std::chrono::steady_clock::now();
    run_result result;
    if (!gather_members(result) || !start_workers(result))
      return finish(std::move(result));
    log::runtime()->info("job {} started on {} workers in {:.0f} ms: {}", j_.config().name,
                         members_.size(), 1000 * seconds_since(started), describe_placement());
    supervise(result, started);
    return finish(std::move(result));
  }

private:
  /// Which worker number `agent` has, if it is a member.
  std::optional<uint32_t> member_of(const caf::actor_addr& agent) const {
    for (uint32_t w = 0; w < members_.size(); ++w)
      if (members_[w].agent && members_[w].agent.address() == agent)
        return w;
    return std::nullopt;
  }

  void join(join_msg& m) {
    auto refuse = [&](const std::string& why) {
      log::runtime()->error("refused a worker at {}:{} (state {}): {}", m.host, m.port, m.state_dir, why);
      self_->send(m.agent, refused_msg{why});
    };
    if (m.fingerprint != fingerprint_)
      return refuse("it runs " + m.fingerprint + ", but the coordinator runs " + fingerprint_);
    auto w = slots_.claim(m.state_dir);
    if (!w)
      return refuse(w.error().message());
    if (members_[*w].agent)
      return refuse("state directory '" + m.state_dir + "' is already used by " + name_of(*w));
    self_->monitor(m.agent);
    members_[*w] = member{m.agent, m.host, m.port, m.state_dir};
    ++joined_;
    log::runtime()->info("{} joined from {}:{} (state {}); {} of {} workers", name_of(*w), m.host, m.port,
                         m.state_dir, joined_, members_.size());
  }

  /// Waits until every worker number has a member.
  bool gather_members(run_result& result) {
    log::runtime()->info("waiting for {} workers", members_.size());
    bool ok = true;
    self_->receive_while([&] { return ok && joined_ < members_.size(); })(
      [&](join_msg& m) { join(m); },
      [&](caf::down_msg& dm) {
        if (auto w = member_of(dm.source)) {
          log::runtime()->warn("{} left before the job started", name_of(*w));
          members_[*w] = member{};
          --joined_;
        }
      },
      [&](stop_atom, int32_t, const std::string&) { ok = false; },
      caf::after(10s) >> [&] {
        log::runtime()->info("still waiting for {} of {} workers", members_.size() - joined_,
                             members_.size());
      });
    if (!ok)
      result = bad_input("stopped before every worker joined");
    return ok;
  }

  /// Sends every worker its welcome, gathers their exchanges, and starts
  /// them in two steps (keyed exchanges first, then everything else).
  bool start_workers(run_result& result) {
    std::vector<std::string> hosts;
    std::vector<uint32_t> ports;
    for (auto& m : members_) {
      hosts.push_back(m.host);
      ports.push_back(m.port);
    }
    for (uint32_t w = 0; w < members_.size(); ++w)
      self_->send(members_[w].agent,
                  welcome_msg{w, static_cast<uint32_t>(members_.size()), layout_.split_hint,
                              layout_.splits, layout_.sink_instances, hosts, ports});
    std::vector<caf::actor> all(the_plan_.exchanges());
    size_t answered = 0;
    auto gather = [&](auto on_message) {
      answered = 0;
      bool ok = true;
      self_->receive_while([&] { return ok && answered < members_.size(); })(
        on_message,
        [&](failed_atom, const std::string& what) {
          fail(result, what);
          ok = false;
        },
        [&](caf::down_msg& dm) {
          lost(result, dm);
          ok = false;
        });
      return ok;
    };
    bool ok = gather([&](exchanges_msg& m) {
      for (size_t i = 0; i < all.size() && i < m.exchanges.size(); ++i)
        if (where_.node_of(static_cast<uint32_t>(i)) == m.worker)
          all[i] = m.exchanges[i];
      ++answered;
    });
    if (!ok)
      return false;
    for (auto& m : members_)
      self_->send(m.agent, peers_msg{all});
    ok = gather([&](ready_atom, uint32_t) { ++answered; });
    if (!ok)
      return false;
    for (auto& m : members_)
      self_->send(m.agent, go_atom::value);
    return true;
  }

  /// Runs until every sink instance committed its end, a worker fails, or one is lost.
  void supervise(run_result& result, std::chrono::steady_clock::time_point started) {
    size_t sinks = 0;
    for (auto& s : the_plan_.stages())
      if (s.kind == stage_plan::sink)
        sinks += s.instances;
    size_t done = 0;
    bool running = true;
    progress_log progress{j_.config().name, started};
    self_->receive_while(running)(
      [&](done_atom, uint64_t records) {
        result.records_out += records;
        running = ++done < sinks;
      },
      [&](progress_atom, uint32_t instance, uint64_t values) { progress.read(instance, values); },
      [&](failed_atom, const std::string& what) {
        fail(result, what);
        running = false;
      },
      [&](caf::down_msg& dm) {
        lost(result, dm);
        running = false;
      },
      [&](join_msg& m) {
        self_->send(m.agent, refused_msg{"the job is running on all its " + std::to_string(members_.size())
                                         + " workers (live moves to a new worker are not built yet)"});
      });
    result.seconds = seconds_since(started);
  }

  void fail(run_result& result, const std::string& what) {
    result.exit_code = 1;
    result.error = what;
  }

  void lost(run_result& result, const caf::down_msg& dm) {
    auto w = member_of(dm.source);
    auto who = w ? name_of(*w) + " (" + members_[*w].host + ":" + std::to_string(members_[*w].port) + ")"
                 : std::string{"a worker"};
    if (w)
      members_[*w].agent = nullptr;
    fail(result, who + " was lost (" + self_->system().render(dm.reason)
                   + "); failing over a lost worker's tasks is not built yet, so the job stops");
  }

  /// Tells every worker the job's end and waits (bounded) until they are gone.
  run_result finish(run_result result) {
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

  std::string describe_placement() const {
    std::string text;
    for (uint32_t s = 0; s < the_plan_.stages().size(); ++s) {
      auto& st = the_plan_.stage(s);
      text += (s ? "; " : "") + st.name + ":";
      for (uint32_t i = 0; i < st.instances; ++i) {
        auto r = the_plan_.indexes_of(s, i);
        text += " " + std::to_string(r.first) + (r.size() > 1 ? "-" + std::to_string(r.last) : "")
                + "@" + std::to_string(where_.node_of(the_plan_, s, i) + 1);
      }
    }
    return text;
  }

  job& j_;
  caf::scoped_actor& self_;
  worker_slots slots_;
  job_layout layout_;
  plan the_plan_;
  placement where_;
  std::vector<member> members_; ///< by worker number
  size_t joined_ = 0;
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
  auto sys_cfg = node_system_config(cfg);
  auto sys = std::make_unique<caf::actor_system>(*sys_cfg);
  auto result = run_node(j, *sys, *at, std::move(*layout), std::move(*slots));
  shut_down(std::move(sys), result.exit_code, std::chrono::seconds(3));
  return result;
}

} // namespace eddy::actors::cluster
