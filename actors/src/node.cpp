#include "node.hpp"

#include "exchange_actor.hpp"
#include "journal_actor.hpp"
#include "operator_supervisor.hpp"
#include "protocol.hpp"
#include "sink_actor.hpp"
#include "source_actor.hpp"

namespace eddy::actors {

node_actors::node_actors(caf::scoped_actor& self, node_setup setup) : setup_(std::move(setup)) {
  auto& sys = self->system();
  auto& cfg = setup_.j->config();
  auto& g = setup_.j->graph();
  auto& pl = *setup_.the_plan;
  auto here = [&](uint32_t s, uint32_t i) { return runs(pl.exchange_id(s, i)); };
  auto keep = [&](std::vector<caf::actor>& group, uint32_t s, uint32_t i, caf::actor a) {
    self->monitor(a);
    group.push_back(a);
    local_[pl.exchange_id(s, i)] = std::move(a);
  };
  journal_ = spawn_journal(sys, setup_.journal);
  self->monitor(journal_);
  local_.resize(pl.exchanges());

  // Credit: the job's channel budget, split evenly over the instances that
  // produce into channels (sources and keyed operators), on every node alike.
  uint32_t producing = pl.stage(0).instances;
  for (uint32_t s = 1; s <= pl.keyed_stages(); ++s)
    producing += pl.stage(s).instances;
  instance_window_ = instance_window_bytes(cfg.channel_budget_bytes, producing);

  source_config src;
  src.window_bytes = instance_window_;
  src.stage = g.source.get();
  src.the_plan = setup_.the_plan;
  src.chunk = cfg.source_chunk;
  src.splits = setup_.layout.splits;
  src.watermark_interval_ms = cfg.watermark_interval_ms;
  src.journal_actor = journal_;
  src.job = setup_.reports_to;
  src.counters = setup_.counters;
  src.epoch = setup_.epoch;
  for (uint32_t i = 0; i < pl.stage(0).instances; ++i) {
    if (!here(0, i))
      continue;
    src.instance = i;
    keep(sources_, 0, i, spawn_source(sys, src));
  }
  for (uint32_t s = 1; s <= pl.keyed_stages(); ++s)
    for (uint32_t i = 0; i < pl.stage(s).instances; ++i)
      if (here(s, i))
        keep(keyed_, s, i,
             spawn_exchange(sys, exchange_config{setup_.the_plan, s, i, cfg.idle_timeout_ms,
                                                 cfg.watermark_interval_ms, setup_.counters, setup_.epoch}));
  for (uint32_t k = 0; k < g.sinks.size(); ++k) {
    sink_config sc;
    sc.stage = g.sinks[k].get();
    sc.the_plan = setup_.the_plan;
    sc.stage_index = pl.sink_stage(k);
    sc.journal_actor = journal_;
    sc.job = setup_.reports_to;
    sc.counters = setup_.counters;
    sc.epoch = setup_.epoch;
    for (uint32_t i = 0; i < pl.stage(sc.stage_index).instances; ++i) {
      if (!here(sc.stage_index, i))
        continue;
      sc.instance = i;
      keep(sinks_, sc.stage_index, i, spawn_sink(sys, sc));
    }
  }
  // Recovery needs nothing from other nodes, so it overlaps with the rest
  // of a placement (whose rounds took 12–519 ms of a failover, bench/RESULTS.md).
  spawn_partitions(self);
}

void node_actors::connect(caf::scoped_actor& self, const std::vector<caf::actor>& all) {
  if (!connected_) {
    connected_ = true;
    for (auto& a : keyed_)
      self->send(a, init_atom::value, all);
    return;
  }
  for (auto& a : keyed_)
    self->send(a, moved_atom::value, all);
  if (started_) // before, sources and sinks have not been told any
    for (auto* group : {&sources_, &sinks_})
      for (auto& a : *group)
        self->send(a, moved_atom::value, all);
}

bool node_actors::recovered(const caf::actor_addr& from, uint32_t key_groups) {
  for (auto& [id, s] : supervisors_)
    if (s.address() == from) {
      recovered_key_groups_ += key_groups;
      ++recovered_supervisors_;
      return recovered_and_started();
    }
  return false;
}

bool node_actors::runs_exactly(const placement& where) const {
  for (uint32_t id = 0; id < local_.size(); ++id) {
    bool there = where.node_of(id) == setup_.node && where.home_of(id) == setup_.home;
    if (there != runs(id))
      return false;
  }
  return true;
}

bool node_actors::start(caf::scoped_actor& self, const std::vector<caf::actor>& all) {
  if (started_)
    return false;
  started_ = true;
  for (auto& a : sources_)
    self->send(a, init_atom::value, all);
  for (auto& a : sinks_)
    self->send(a, init_atom::value, all);
  return recovered_and_started();
}

void node_actors::spawn_partitions(caf::scoped_actor& self) {
  auto& cfg = setup_.j->config();
  auto& g = setup_.j->graph();
  auto& pl = *setup_.the_plan;
  restart_policy policy{cfg.restart_budget, cfg.restart_window_ms, cfg.restart_backoff_ms};
  for (uint32_t s = 1; s <= pl.keyed_stages(); ++s) {
    auto& stage = g.keyed[s - 1];
    // One journal serves every partition here: a stage whose outputs all go
    // to keyed stages run here may release them before they are durable.
    bool release_early = cfg.journal && pl.feeds_only_keyed_stages(s);
    for (auto& edge : pl.stage(s).outputs)
      for (uint32_t i = 0; i < pl.stage(edge.stage).instances; ++i)
        release_early = release_early && runs(pl.exchange_id(edge.stage, i));
    for (uint32_t i = 0; i < pl.stage(s).instances; ++i) {
      if (!runs(pl.exchange_id(s, i)))
        continue;
      auto range = pl.indexes_of(s, i);
      std::vector<std::shared_ptr<const partition_config>> cfgs;
      for (auto kg = range.first; kg <= range.last && range.size() > 0; ++kg) {
        auto pc = std::make_shared<partition_config>();
        pc->the_plan = setup_.the_plan;
        pc->stage = s;
        pc->key_group = kg;
        pc->op_name = stage.name;
        pc->journal = cfg.journal;
        pc->release_early = release_early;
        pc->snapshot_every_entries = cfg.snapshot_every_entries;
        pc->snapshot_interval_ms = cfg.snapshot_interval_ms;
        pc->window_bytes = std::max(min_index_window_bytes, instance_window_ / range.size());
        pc->watermark_interval_ms = cfg.watermark_interval_ms;
        pc->make_logic = stage.make_logic;
        pc->exchange = local_[pl.exchange_id(s, i)];
        pc->journal_actor = journal_;
        pc->series = metrics::instance_of(pl.stage(s).name, i, metrics::instance_role::keyed);
        cfgs.push_back(std::move(pc));
      }
      auto sup = spawn_operator_supervisor(self->system(), std::move(cfgs), policy, setup_.reports_to);
      self->monitor(sup);
      supervisors_.emplace(pl.exchange_id(s, i), sup);
    }
  }
}

caf::actor node_actors::supervisor(uint32_t id) const {
  auto i = supervisors_.find(id);
  return i == supervisors_.end() ? caf::actor{} : i->second;
}

void node_actors::pause_sources(caf::scoped_actor& self, bool paused) {
  for (auto& s : sources_)
    self->send(s, pause_atom::value, paused);
}

std::optional<uint32_t> node_actors::sink_id(const caf::actor_addr& sink) const {
  for (uint32_t id = 0; id < local_.size(); ++id)
    if (local_[id] && local_[id].address() == sink)
      for (auto& s : sinks_)
        if (s == local_[id])
          return id;
  return std::nullopt;
}

std::vector<caf::actor_addr> node_actors::stop(caf::scoped_actor& self) {
  std::vector<caf::actor_addr> killed;
  auto kill = [&](const caf::actor& a) {
    if (a) {
      self->send_exit(a, caf::exit_reason::kill);
      killed.push_back(a.address());
    }
  };
  for (auto& s : sources_)
    kill(s);
  for (auto& [id, s] : supervisors_) // they take their partitions with them
    kill(s);
  for (auto& e : keyed_)
    kill(e);
  for (auto& e : sinks_)
    kill(e);
  kill(journal_);
  journal_ = nullptr;
  local_.clear();
  sources_.clear();
  keyed_.clear();
  sinks_.clear();
  supervisors_.clear();
  return killed;
}

} // namespace eddy::actors
