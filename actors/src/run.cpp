#include "eddy/actors/run.hpp"

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include <caf/all.hpp>

#include "cluster/coordinator.hpp"
#include "cluster/worker.hpp"
#include "job_layout.hpp"
#include "logging.hpp"
#include "metrics/serve.hpp"
#include "node.hpp"
#include "node_system.hpp"
#include "plan_file.hpp"
#include "progress.hpp"
#include "protocol.hpp"
#include "query/asking.hpp"
#include "savepoint/requests.hpp"
#include "savepoint/restore.hpp"
#include "savepoint/session.hpp"
#include "state_dir.hpp"

namespace eddy::actors {

namespace {

/// The local mode: every actor of the job in this process.
run_result run_local(job& j) {
  auto started = std::chrono::steady_clock::now();
  auto& cfg = j.config();
  auto jn = open_state_dir(j);
  if (!jn)
    return bad_input(jn.error().message());
  auto metrics_endpoint = metrics::serve(cfg); // served until this returns
  if (!metrics_endpoint)
    return bad_input(metrics_endpoint.error().message());
  auto where = "state directory '" + cfg.state_dir.string() + "'";
  if (!cfg.from_savepoint.empty()) {
    auto plan = savepoint::check_savepoint(j, cfg.from_savepoint);
    if (!plan)
      return bad_input(plan.error().message());
    if (auto err = savepoint::restore_into(j, **jn, cfg.from_savepoint, *plan, [](uint32_t, uint32_t) { return true; }, where))
      return bad_input(err.message());
  }
  auto layout = settle_layout(j, **jn, where);
  if (!layout)
    return bad_input(layout.error().message());

  auto sys_cfg = node_system_config(cfg);
  caf::actor_system sys{*sys_cfg};
  caf::scoped_actor self{sys};
  auto the_plan = std::make_shared<const plan>(plan_of(j, *layout));
  node_setup setup{&j,     the_plan, placement::single(*the_plan), 0, 0, *layout, *jn, self,
                   std::make_shared<message_counters>(static_cast<uint32_t>(the_plan->stages().size()))};
  auto counters = setup.counters;
  node_actors node{self, std::move(setup)};
  // All exchanges exist and know each other before they take a partition's hello.
  node.connect(self, node.exchanges());
  auto report_recovered = [&] {
    log::runtime()->info("all {} key groups recovered, {:.0f} ms after the start", node.recovered_key_groups(),
                         1000 * seconds_since(started));
  };
  if (node.start(self, node.exchanges()))
    report_recovered();
  write_plan_file(cfg.state_dir, j, *the_plan, placement::single(*the_plan), 0);
  log::runtime()->info("job {} started: {} keyed stage(s), {} key groups, parallelism {}, state "
                       "in {}{}",
                       cfg.name, the_plan->keyed_stages(), cfg.max_key_groups, cfg.parallelism,
                       cfg.state_dir.string(), cfg.journal ? "" : " (journal off)");

  run_result result;
  bool running = true;
  size_t sinks_done = 0;
  progress_log progress{cfg.name, started};
  auto me = caf::actor_cast<caf::actor>(self);
  std::vector<std::thread> writers;
  savepoint::session savepoints{
    j, *layout, me, static_cast<uint32_t>(node.sources()),
    {[&](bool paused) { node.pause_sources(self, paused); },
     [&](const savepoint::target& t, uint64_t id) -> expected<uint32_t> {
       // One journal: its copy is a consistent cut by itself.
       std::string copy, failure;
       self->request(node.journal(), std::chrono::seconds(30), freeze_atom::value, (t.pending / ".copy-0").string())
         .receive([&](const std::string& c) { copy = c; }, [&](caf::error& e) { failure = sys.render(e); });
       self->send(node.journal(), thaw_atom::value);
       if (!failure.empty())
         return error{errc::io, "cannot copy the journal: " + failure};
       writers.emplace_back([t, copy, id, me] {
         auto refs = savepoint::write_copies(t.pending, {{copy, "bodies-0.bin"}});
         caf::anon_send(me, savepoint::savepoint_done_atom::value, id, bool{refs},
                        refs ? savepoint::refs_text(*refs) : refs.error().message());
       });
       return 1u;
     }}};
  savepoint::request_watcher watcher{cfg.savepoint_dir, me};
  self->receive_while(running)(
    [&](done_atom, uint64_t records) {
      result.records_out += records;
      running = ++sinks_done < node.sinks();
    },
    [&](progress_atom, uint32_t instance, uint64_t values) { progress.read(instance, values); },
    [&](savepoint::savepoint_atom, const std::string& kind, const std::string& to, const std::string& answer) {
      savepoints.request(kind, to, answer);
    },
    [&](savepoint::query_request_atom, const std::string& op, const std::string& key, const std::string& answer) {
      auto t = query::resolve(j, *the_plan, op, key);
      if (!t)
        return savepoint::answer(answer, savepoint::answer_status::invalid, t.error().message());
      query::ask(sys, node.supervisor(t->exchange), std::move(*t), answer, "this node");
    },
    [&](drained_atom, uint32_t instance) { savepoints.drained(instance); },
    [&](savepoint::write_timeout_atom, uint64_t id) { savepoints.write_timeout(id); },
      [&](savepoint::drain_timeout_atom, uint64_t id) { savepoints.drain_timeout(id); },
    [&](savepoint::savepoint_done_atom, uint64_t id, bool ok, const std::string& text) {
      savepoints.bodies_written(id, ok, text);
      running = !savepoints.stopped();
    },
    [&](recovered_atom, uint32_t key_groups) {
      if (node.recovered(caf::actor_cast<caf::actor_addr>(self->current_sender()), key_groups))
        report_recovered();
    },
    [&](failed_atom, const std::string& what) {
      result.exit_code = 1;
      result.error = what;
      running = false;
    },
    [&](caf::down_msg& dm) {
      if (!dm.reason)
        return; // a source may finish before the sink does
      result.exit_code = 1;
      result.error = "a runtime actor stopped: " + sys.render(dm.reason);
      running = false;
    });
  node.stop(self);
  for (auto& w : writers)
    w.join();
  result.messages = counters->snapshot();
  result.seconds = seconds_since(started);
  if (savepoints.stopped())
    log::runtime()->info("job {} stopped with savepoint {}", cfg.name, savepoints.stopped_with());
  else if (result.exit_code == 0)
    log::runtime()->info("job {} finished: {} records written in {:.2f} s", cfg.name,
                         result.records_out, result.seconds);
  return result;
}

} // namespace

run_result execute(job& j) {
  auto& cfg = j.config();
  // EDDY_LOG_LEVEL overrides the job's level, to debug a test without editing it.
  auto* forced = std::getenv("EDDY_LOG_LEVEL");
  log::level(forced ? std::string{forced} : cfg.log_level);
  log::format(cfg.log_format);
  if (auto problems = j.problems(); !problems.empty())
    return bad_input(problems.front());
  auto& g = j.graph();
  if (auto err = g.source->check())
    return bad_input(err.message());
  for (auto& sink : g.sinks)
    if (auto err = sink->check())
      return bad_input(err.message());
  if (!cfg.check_savepoint.empty()) { // what the manager asks before an upgrade
    auto plan = savepoint::check_savepoint(j, cfg.check_savepoint, false);
    if (!plan)
      return bad_input(plan.error().message());
    log::runtime()->info("job {} can start from savepoint {}", cfg.name, cfg.check_savepoint.string());
    return {};
  }
  switch (cfg.role) {
    case node_role::coordinator:
      return cluster::run_coordinator(j);
    case node_role::worker:
      return cluster::run_worker(j);
    case node_role::local:
      break;
  }
  return run_local(j);
}

int run(job& j) {
  if (j.help_requested()) {
    std::cout << j.usage();
    return 0;
  }
  auto result = execute(j);
  if (result.exit_code != 0 && log::json())
    log::runtime()->error("{}: error: {}", j.config().name, result.error); // still one JSON line
  else if (result.exit_code != 0)
    std::cerr << j.config().name << ": error: " << result.error << std::endl;
  return result.exit_code;
}

} // namespace eddy::actors
