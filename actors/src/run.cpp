#include "eddy/actors/run.hpp"

#include <chrono>
#include <iostream>
#include <thread>

#include <caf/all.hpp>

#include "directory.hpp"
#include "journal_actor.hpp"
#include "logging.hpp"
#include "operator_supervisor.hpp"
#include "outputs.hpp"
#include "protocol.hpp"
#include "sink_actor.hpp"
#include "source_actor.hpp"
#include "state_dir.hpp"

namespace eddy::actors {

namespace {

run_result bad_input(std::string what) {
  return {2, std::move(what), 0, 0};
}

/// Every actor of the running job, so that shutdown can stop them all.
struct running_job {
  uint32_t keyed_stages = 0; ///< directory stages 1..keyed_stages hold partitions
  caf::actor journal;
  caf::actor source;
  std::vector<caf::actor> sinks;
  std::vector<caf::actor> supervisors;
  std::shared_ptr<directory> dir;
};

void stop(caf::scoped_actor& self, running_job& rj) {
  auto kill = [&](const caf::actor& a) {
    if (a)
      self->send_exit(a, caf::exit_reason::kill);
  };
  kill(rj.source);
  for (auto& s : rj.supervisors)
    kill(s);
  for (uint32_t s = 1; s <= rj.keyed_stages; ++s) // partitions; sinks follow below
    for (uint32_t i = 0; i < rj.dir->size(s); ++i)
      kill(rj.dir->get(s, i));
  for (auto& s : rj.sinks)
    kill(s);
  kill(rj.journal); // last: pending groups are lost, as they would be in a crash
  rj.dir->clear();
}

/// Where every stage sits in the directory and where its outputs go:
/// stage 0 the source, 1..n the keyed stages, n+1.. the sinks.
struct topology {
  std::vector<uint32_t> sizes;          ///< instances per stage
  std::vector<uint32_t> producer_stage; ///< per consumer stage: the stage feeding it
  std::vector<output_routes> routes;    ///< per producing stage (source and keyed)
  uint32_t keyed = 0;

  uint32_t sink_stage(uint32_t sink) const {
    return keyed + 1 + sink;
  }

  static topology of(dataflow::graph& g, uint32_t max_key_groups) {
    topology t;
    t.keyed = static_cast<uint32_t>(g.keyed.size());
    t.sizes.push_back(1);
    for (uint32_t s = 0; s < t.keyed; ++s)
      t.sizes.push_back(max_key_groups);
    for (size_t s = 0; s < g.sinks.size(); ++s)
      t.sizes.push_back(1);
    t.producer_stage.resize(t.sizes.size());
    for (int p = -1; p < static_cast<int>(t.keyed); ++p) {
      std::vector<edge_route> edges;
      uint32_t next = 0;
      for (auto& e : g.outputs_of(p)) {
        auto stage = e.kind == dataflow::output_edge::keyed ? e.index + 1 : t.sink_stage(e.index);
        edges.push_back({stage, next, t.sizes[stage]});
        next += t.sizes[stage];
        t.producer_stage[stage] = static_cast<uint32_t>(p + 1);
      }
      t.routes.emplace_back(std::move(edges));
    }
    return t;
  }
};

} // namespace

run_result execute(job& j) {
  auto started = std::chrono::steady_clock::now();
  auto& cfg = j.config();
  log::level(cfg.log_level);
  if (auto problems = j.problems(); !problems.empty())
    return bad_input(problems.front());
  auto& g = j.graph();
  if (auto err = g.source->check())
    return bad_input(err.message());
  for (auto& sink : g.sinks)
    if (auto err = sink->check())
      return bad_input(err.message());
  auto jn = open_state_dir(j);
  if (!jn)
    return bad_input(jn.error().message());

  caf::actor_system_config sys_cfg;
  auto threads = cfg.threads ? cfg.threads : std::max(2u, std::thread::hardware_concurrency());
  sys_cfg.set("scheduler.max-threads", threads);
  caf::actor_system sys{sys_cfg};
  caf::scoped_actor self{sys};

  auto keyed = static_cast<uint32_t>(g.keyed.size());
  auto topo = topology::of(g, cfg.max_key_groups);
  running_job rj;
  rj.keyed_stages = keyed;
  rj.dir = std::make_shared<directory>(topo.sizes);
  rj.journal = spawn_journal(sys, *jn);
  self->monitor(rj.journal);

  // Consumers first, so that whatever a producer redelivers on start finds them.
  for (uint32_t k = 0; k < g.sinks.size(); ++k) {
    sink_config sc;
    sc.stage = g.sinks[k].get();
    sc.stage_index = topo.sink_stage(k);
    sc.producer_stage = topo.producer_stage[sc.stage_index];
    sc.producers = topo.sizes[sc.producer_stage];
    sc.dir = rj.dir;
    sc.journal_actor = rj.journal;
    sc.job = self;
    auto sink = spawn_sink(sys, sc);
    rj.dir->set(sc.stage_index, 0, sink);
    self->monitor(sink);
    rj.sinks.push_back(sink);
  }

  restart_policy policy{cfg.restart_budget, cfg.restart_window_ms, cfg.restart_backoff_ms};
  for (uint32_t s = keyed; s >= 1; --s) {
    auto& stage = g.keyed[s - 1];
    auto parallelism = stage.parallelism ? stage.parallelism : cfg.parallelism;
    for (uint32_t i = 0; i < parallelism; ++i) {
      auto range = range_of(i, cfg.max_key_groups, parallelism);
      std::vector<std::shared_ptr<const partition_config>> cfgs;
      for (auto kg = range.first; kg <= range.last && range.size() > 0; ++kg) {
        auto pc = std::make_shared<partition_config>();
        pc->stage = s;
        pc->key_group = kg;
        pc->op_name = stage.name;
        pc->producer_stage = topo.producer_stage[s];
        pc->producers = topo.sizes[pc->producer_stage];
        pc->routes = topo.routes[s];
        pc->journal = cfg.journal;
        pc->snapshot_every_entries = cfg.snapshot_every_entries;
        pc->snapshot_interval_ms = cfg.snapshot_interval_ms;
        pc->idle_timeout_ms = cfg.idle_timeout_ms;
        pc->watermark_interval_ms = cfg.watermark_interval_ms;
        pc->make_logic = stage.make_logic;
        pc->dir = rj.dir;
        pc->journal_actor = rj.journal;
        cfgs.push_back(std::move(pc));
      }
      auto sup = spawn_operator_supervisor(sys, std::move(cfgs), policy, self);
      self->monitor(sup);
      rj.supervisors.push_back(sup);
      // Wait until its partitions are in the directory before any producer starts.
      self->request(sup, caf::infinite, ready_atom::value).receive([](bool) {}, [](caf::error&) {});
    }
  }

  source_config src;
  src.stage = g.source.get();
  src.routes = topo.routes[0];
  src.chunk = cfg.source_chunk;
  src.split_hint = cfg.parallelism;
  src.watermark_interval_ms = cfg.watermark_interval_ms;
  src.dir = rj.dir;
  src.journal_actor = rj.journal;
  src.job = self;
  rj.source = spawn_source(sys, src);
  rj.dir->set(0, 0, rj.source);
  log::runtime()->info("job {} started: {} keyed stage(s), {} key groups, parallelism {}, state "
                       "in {}{}",
                       cfg.name, keyed, cfg.max_key_groups, cfg.parallelism,
                       cfg.state_dir.string(), cfg.journal ? "" : " (journal off)");

  run_result result;
  bool running = true;
  size_t sinks_done = 0;
  self->receive_while(running)(
    [&](done_atom, uint64_t records) {
      result.records_out += records;
      running = ++sinks_done < rj.sinks.size();
    },
    [&](progress_atom, uint64_t values) {
      auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      log::runtime()->info("job {}: read {} input values in {:.1f} s ({:.0f}/s)", cfg.name, values,
                           secs, values / std::max(secs, 1e-9));
    },
    [&](failed_atom, const std::string& what) {
      result.exit_code = 1;
      result.error = what;
      running = false;
    },
    [&](caf::down_msg& dm) {
      if (dm.source == rj.source.address() && !dm.reason)
        return; // a source may finish before the sink does
      result.exit_code = 1;
      result.error = "a runtime actor stopped: " + sys.render(dm.reason);
      running = false;
    });
  stop(self, rj);
  result.seconds =
    std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (result.exit_code == 0)
    log::runtime()->info("job {} finished: {} records written in {:.2f} s", cfg.name,
                         result.records_out, result.seconds);
  return result;
}

int run(job& j) {
  if (j.help_requested()) {
    std::cout << j.usage();
    return 0;
  }
  auto result = execute(j);
  if (result.exit_code != 0)
    std::cerr << j.config().name << ": error: " << result.error << std::endl;
  return result.exit_code;
}

} // namespace eddy::actors
