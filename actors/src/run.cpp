#include "eddy/actors/run.hpp"

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <numeric>
#include <thread>

#include <caf/all.hpp>

#include "exchange_actor.hpp"
#include "job_layout.hpp"
#include "journal_actor.hpp"
#include "link_types.hpp"
#include "logging.hpp"
#include "operator_supervisor.hpp"
#include "plan.hpp"
#include "protocol.hpp"
#include "sink_actor.hpp"
#include "source_actor.hpp"
#include "state_dir.hpp"

namespace eddy::actors {

namespace {

run_result bad_input(std::string what) {
  run_result r;
  r.exit_code = 2;
  r.error = std::move(what);
  return r;
}

/// Every actor of the running job, so that shutdown can stop them all.
struct running_job {
  caf::actor journal;
  std::vector<caf::actor> sources;
  std::vector<caf::actor> sinks;
  std::vector<caf::actor> supervisors;
  std::vector<caf::actor> exchanges; ///< by plan::exchange_id: sources, keyed exchanges, sinks
};

void stop(caf::scoped_actor& self, running_job& rj) {
  auto kill = [&](const caf::actor& a) {
    if (a)
      self->send_exit(a, caf::exit_reason::kill);
  };
  for (auto& s : rj.sources)
    kill(s);
  for (auto& s : rj.supervisors) // they take their partitions with them
    kill(s);
  for (auto& e : rj.exchanges)
    kill(e);
  kill(rj.journal); // last: pending groups are lost, as they would be in a crash
  rj.exchanges.clear();
}

} // namespace

run_result execute(job& j) {
  auto started = std::chrono::steady_clock::now();
  auto& cfg = j.config();
  // EDDY_LOG_LEVEL overrides the job's level, to debug a test without editing it.
  auto* forced = std::getenv("EDDY_LOG_LEVEL");
  log::level(forced ? std::string{forced} : cfg.log_level);
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
  auto layout = settle_layout(j, **jn, "state directory '" + cfg.state_dir.string() + "'");
  if (!layout)
    return bad_input(layout.error().message());

  caf::actor_system_config sys_cfg;
  add_link_message_types(sys_cfg);
  auto threads = cfg.threads ? cfg.threads : std::max(2u, std::thread::hardware_concurrency());
  sys_cfg.set("scheduler.max-threads", threads);
  caf::actor_system sys{sys_cfg};
  caf::scoped_actor self{sys};

  auto keyed = static_cast<uint32_t>(g.keyed.size());
  auto the_plan = std::make_shared<const plan>(plan::of(
    g, cfg.max_key_groups, cfg.parallelism, static_cast<uint32_t>(layout->splits.size()), layout->sink_instances));
  auto& pl = *the_plan;
  running_job rj;
  auto counters = std::make_shared<message_counters>(static_cast<uint32_t>(pl.stages().size()));
  rj.journal = spawn_journal(sys, *jn);
  self->monitor(rj.journal);
  rj.exchanges.resize(pl.exchanges());

  // Credit: the job's channel budget, split evenly over the instances that
  // produce into channels (sources and keyed operators).
  uint32_t producing = pl.stage(0).instances;
  for (uint32_t s = 1; s <= keyed; ++s)
    producing += pl.stage(s).instances;
  auto instance_window = instance_window_bytes(cfg.channel_budget_bytes, producing);

  // Every (stage, instance) has one exchange: a source, a keyed exchange, a
  // sink. All exist and know each other before any partition says hello.
  source_config src;
  src.window_bytes = instance_window;
  src.stage = g.source.get();
  src.the_plan = the_plan;
  src.chunk = cfg.source_chunk;
  src.splits = layout->splits;
  src.watermark_interval_ms = cfg.watermark_interval_ms;
  src.journal_actor = rj.journal;
  src.job = self;
  src.counters = counters;
  for (uint32_t i = 0; i < pl.stage(0).instances; ++i) {
    src.instance = i;
    auto a = spawn_source(sys, src);
    self->monitor(a);
    rj.sources.push_back(a);
    rj.exchanges[pl.exchange_id(0, i)] = a;
  }
  for (uint32_t s = 1; s <= keyed; ++s) {
    for (uint32_t i = 0; i < pl.stage(s).instances; ++i) {
      exchange_config ec{the_plan, s, i, cfg.idle_timeout_ms, cfg.watermark_interval_ms, counters};
      auto a = spawn_exchange(sys, ec);
      self->monitor(a);
      rj.exchanges[pl.exchange_id(s, i)] = a;
    }
  }
  for (uint32_t k = 0; k < g.sinks.size(); ++k) {
    sink_config sc;
    sc.stage = g.sinks[k].get();
    sc.the_plan = the_plan;
    sc.stage_index = pl.sink_stage(k);
    sc.journal_actor = rj.journal;
    sc.job = self;
    sc.counters = counters;
    for (uint32_t i = 0; i < pl.stage(sc.stage_index).instances; ++i) {
      sc.instance = i;
      auto a = spawn_sink(sys, sc);
      self->monitor(a);
      rj.sinks.push_back(a);
      rj.exchanges[pl.exchange_id(sc.stage_index, i)] = a;
    }
  }
  for (auto& a : rj.exchanges)
    self->send(a, init_atom::value, rj.exchanges);

  restart_policy policy{cfg.restart_budget, cfg.restart_window_ms, cfg.restart_backoff_ms};
  for (uint32_t s = 1; s <= keyed; ++s) {
    auto& stage = g.keyed[s - 1];
    auto instances = pl.stage(s).instances;
    // One journal serves every partition of this node: a stage whose
    // outputs all go to keyed stages may release them before they are durable.
    bool release_early = cfg.journal && pl.feeds_only_keyed_stages(s);
    for (uint32_t i = 0; i < instances; ++i) {
      auto range = pl.indexes_of(s, i);
      std::vector<std::shared_ptr<const partition_config>> cfgs;
      for (auto kg = range.first; kg <= range.last && range.size() > 0; ++kg) {
        auto pc = std::make_shared<partition_config>();
        pc->the_plan = the_plan;
        pc->stage = s;
        pc->key_group = kg;
        pc->op_name = stage.name;
        pc->journal = cfg.journal;
        pc->release_early = release_early;
        pc->snapshot_every_entries = cfg.snapshot_every_entries;
        pc->snapshot_interval_ms = cfg.snapshot_interval_ms;
        pc->window_bytes = std::max(min_index_window_bytes, instance_window / range.size());
        pc->watermark_interval_ms = cfg.watermark_interval_ms;
        pc->make_logic = stage.make_logic;
        pc->exchange = rj.exchanges[pl.exchange_id(s, i)];
        pc->journal_actor = rj.journal;
        cfgs.push_back(std::move(pc));
      }
      auto sup = spawn_operator_supervisor(sys, std::move(cfgs), policy, self);
      self->monitor(sup);
      rj.supervisors.push_back(sup);
    }
  }
  log::runtime()->info("job {} started: {} keyed stage(s), {} key groups, parallelism {}, state "
                       "in {}{}",
                       cfg.name, keyed, cfg.max_key_groups, cfg.parallelism,
                       cfg.state_dir.string(), cfg.journal ? "" : " (journal off)");

  run_result result;
  bool running = true;
  size_t sinks_done = 0;
  std::vector<uint64_t> read_by_instance; ///< values each source instance read in this run
  self->receive_while(running)(
    [&](done_atom, uint64_t records) {
      result.records_out += records;
      running = ++sinks_done < rj.sinks.size();
    },
    [&](progress_atom, uint32_t instance, uint64_t values) {
      read_by_instance.resize(std::max<size_t>(read_by_instance.size(), instance + 1));
      read_by_instance[instance] = values;
      values = std::accumulate(read_by_instance.begin(), read_by_instance.end(), uint64_t{0});
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
      if (!dm.reason)
        return; // a source may finish before the sink does
      result.exit_code = 1;
      result.error = "a runtime actor stopped: " + sys.render(dm.reason);
      running = false;
    });
  stop(self, rj);
  result.messages = counters->snapshot();
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
