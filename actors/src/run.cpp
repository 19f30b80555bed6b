#include "eddy/actors/run.hpp"

#include <chrono>
#include <iostream>
#include <thread>

#include <caf/all.hpp>

#include "directory.hpp"
#include "journal_actor.hpp"
#include "logging.hpp"
#include "operator_supervisor.hpp"
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
  caf::actor journal;
  caf::actor source;
  caf::actor sink;
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
  for (uint32_t s = 1; s + 1 < rj.dir->stages(); ++s)
    for (uint32_t i = 0; i < rj.dir->size(s); ++i)
      kill(rj.dir->get(s, i));
  kill(rj.sink);
  kill(rj.journal); // last: pending groups are lost, as they would be in a crash
  rj.dir->clear();
}

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
  if (auto err = g.sink->check())
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
  std::vector<uint32_t> sizes{1};
  for (uint32_t s = 0; s < keyed; ++s)
    sizes.push_back(cfg.max_key_groups);
  sizes.push_back(1);
  running_job rj;
  rj.dir = std::make_shared<directory>(sizes);
  rj.journal = spawn_journal(sys, *jn);
  self->monitor(rj.journal);
  auto sink_stage = keyed + 1;

  // Consumers first, so that whatever a producer redelivers on start finds them.
  sink_config sc;
  sc.stage = g.sink.get();
  sc.stage_index = sink_stage;
  sc.producers = sizes[sink_stage - 1];
  sc.dir = rj.dir;
  sc.journal_actor = rj.journal;
  sc.job = self;
  rj.sink = spawn_sink(sys, sc);
  rj.dir->set(sink_stage, 0, rj.sink);
  self->monitor(rj.sink);

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
        pc->producers = sizes[s - 1];
        pc->consumers = sizes[s + 1];
        pc->journal = cfg.journal;
        pc->snapshot_every_entries = cfg.snapshot_every_entries;
        pc->snapshot_interval_ms = cfg.snapshot_interval_ms;
        pc->idle_timeout_ms = cfg.idle_timeout_ms;
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
  src.consumers = sizes[1];
  src.chunk = cfg.source_chunk;
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
  self->receive_while(running)(
    [&](done_atom, uint64_t records) {
      result.records_out = records;
      running = false;
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
