#pragma once

// Job graphs of a given shape for tests of the plan and the transport. They
// hold only names, edges and parallelism: a plan reads nothing else, so no
// source, function or sink behind them ever runs.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "eddy/dataflow/graph.hpp"

namespace eddy::test {

inline dataflow::output_edge edge(dataflow::output_edge::kind_t kind, uint32_t index, uint32_t side_id) {
  dataflow::output_edge e;
  e.kind = kind;
  e.index = index;
  e.side_id = side_id;
  return e;
}

inline dataflow::output_edge keyed_edge(uint32_t keyed_index, uint32_t side_id = 0) {
  return edge(dataflow::output_edge::keyed, keyed_index, side_id);
}

inline dataflow::output_edge sink_edge(uint32_t sink_index, uint32_t side_id = 0) {
  return edge(dataflow::output_edge::sink, sink_index, side_id);
}

inline void add_sink(dataflow::graph& g, std::string name) {
  auto s = std::make_unique<dataflow::sink_stage>();
  s->name = std::move(name);
  g.sinks.push_back(std::move(s));
}

/// source → keyed 0 → … → keyed n-1 → sink; `parallelism[i]` (0 or absent:
/// the job's default) for keyed stage i.
inline dataflow::graph chain(uint32_t keyed, std::vector<uint32_t> parallelism = {}) {
  dataflow::graph g;
  g.source = std::make_unique<dataflow::source_stage>();
  g.source->name = "source";
  g.source->outputs = {keyed > 0 ? keyed_edge(0) : sink_edge(0)};
  for (uint32_t k = 0; k < keyed; ++k) {
    dataflow::keyed_stage s;
    s.name = "keyed" + std::to_string(k);
    s.parallelism = k < parallelism.size() ? parallelism[k] : 0;
    s.outputs = {k + 1 < keyed ? keyed_edge(k + 1) : sink_edge(0)};
    g.keyed.push_back(std::move(s));
  }
  add_sink(g, "out");
  return g;
}

/// The sessionization sample's shape: the source's main output is keyed by
/// user into a window, its side output (dead letters) goes to sink 0; the
/// window's main output (sessions) to sink 1, its side output (late clicks)
/// to sink 2.
inline dataflow::graph with_side_outputs() {
  dataflow::graph g;
  g.source = std::make_unique<dataflow::source_stage>();
  g.source->name = "lines";
  g.source->outputs = {keyed_edge(0), sink_edge(0, 1)};
  dataflow::keyed_stage window;
  window.name = "window";
  window.outputs = {sink_edge(1), sink_edge(2, 2)};
  g.keyed.push_back(std::move(window));
  add_sink(g, "dead-letters");
  add_sink(g, "sessions");
  add_sink(g, "late");
  return g;
}

} // namespace eddy::test
