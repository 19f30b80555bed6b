#include "plan.hpp"

#include <algorithm>
#include <stdexcept>

#include "eddy/dataflow/graph.hpp"

namespace eddy::actors {

plan plan::of(const dataflow::graph& g, uint32_t max_key_groups, uint32_t parallelism,
             uint32_t source_splits, const std::vector<uint32_t>& sink_instances) {
  plan p;
  p.keyed_ = static_cast<uint32_t>(g.keyed.size());
  stage_plan src;
  src.kind = stage_plan::source;
  src.name = g.source ? g.source->name : "source";
  src.indexes = std::max<uint32_t>(source_splits, 1);
  src.instances = std::clamp<uint32_t>(parallelism, 1, src.indexes);
  p.stages_.push_back(src);
  for (auto& k : g.keyed) {
    stage_plan s;
    s.kind = stage_plan::keyed;
    s.name = k.name;
    s.indexes = max_key_groups;
    s.instances = std::min(k.parallelism ? k.parallelism : parallelism, max_key_groups);
    p.stages_.push_back(s);
  }
  for (auto& k : g.sinks) {
    stage_plan s;
    s.kind = stage_plan::sink;
    s.name = k->name;
    auto n = static_cast<size_t>(&k - g.sinks.data());
    s.indexes = s.instances = n < sink_instances.size() ? std::max<uint32_t>(sink_instances[n], 1) : 1;
    p.stages_.push_back(s);
  }
  // Producers: the source (-1 in the graph) and every keyed stage.
  for (int producer = -1; producer < static_cast<int>(p.keyed_); ++producer) {
    auto& from = p.stages_[static_cast<size_t>(producer + 1)];
    const auto& edges = producer < 0 ? g.source->outputs : g.keyed[static_cast<size_t>(producer)].outputs;
    for (auto& e : edges) {
      uint32_t to = e.kind == dataflow::output_edge::keyed ? e.index + 1 : p.sink_stage(e.index);
      if (e.kind == dataflow::output_edge::none || to >= p.stages_.size())
        continue;
      from.outputs.push_back({to, from.flat_size});
      from.flat_size += p.stages_[to].indexes;
      p.stages_[to].producer = producer + 1;
    }
  }
  for (auto& s : p.stages_) {
    p.exchange_base_.push_back(p.exchanges_);
    p.exchanges_ += s.instances;
  }
  return p;
}

uint32_t plan::instance_of(uint32_t s, uint32_t index) const {
  auto& st = stages_.at(s);
  return eddy::instance_of(index, st.indexes, st.instances);
}

key_group_range plan::indexes_of(uint32_t s, uint32_t instance) const {
  auto& st = stages_.at(s);
  return range_of(instance, st.indexes, st.instances);
}

plan::consumer_ref plan::consumer(uint32_t s, uint32_t flat) const {
  for (auto& e : stages_.at(s).outputs) {
    auto& to = stages_[e.stage];
    if (flat >= e.first && flat < e.first + to.indexes) {
      auto index = flat - e.first;
      return {e.stage, index, instance_of(e.stage, index)};
    }
  }
  throw std::out_of_range("stage " + std::to_string(s) + " has no consumer " + std::to_string(flat));
}

std::vector<uint32_t> plan::port_offsets(uint32_t s, uint32_t index) const {
  auto& st = stages_.at(s);
  std::vector<uint32_t> offsets;
  for (auto& e : st.outputs) {
    auto& to = stages_[e.stage];
    uint32_t pinned = 0;
    if (to.kind == stage_plan::sink)
      pinned = to.indexes <= st.indexes ? eddy::instance_of(index, st.indexes, to.indexes) : index % to.indexes;
    offsets.push_back(e.first + pinned);
  }
  return offsets;
}

uint32_t plan::flat_of(uint32_t s, uint32_t consumer_stage, uint32_t index) const {
  auto& st = stages_.at(s);
  for (auto& e : st.outputs)
    if (e.stage == consumer_stage && index < stages_[e.stage].indexes)
      return e.first + index;
  return st.flat_size;
}

bool plan::feeds_only_keyed_stages(uint32_t s) const {
  auto& outputs = stage(s).outputs;
  return std::all_of(outputs.begin(), outputs.end(),
                     [&](const edge_plan& e) { return stage(e.stage).kind == stage_plan::keyed; });
}

} // namespace eddy::actors
