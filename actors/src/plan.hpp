#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "eddy/key_group.hpp"

namespace eddy::dataflow {
struct graph;
}

namespace eddy::actors {

/// One output edge of a producing stage as the plan routes it.
struct edge_plan {
  uint32_t stage = 0; ///< the consumer stage
  uint32_t first = 0; ///< flat index of the consumer's index 0 at the producer
};

/// One stage of the plan: the source (stage 0), a keyed operator (1..n), or a sink (n+1..).
struct stage_plan {
  enum kind_t : uint8_t { source, keyed, sink };
  kind_t kind = keyed;
  std::string name;
  uint32_t indexes = 1;    ///< key groups of a keyed stage, splits of the source, instances of a sink
  uint32_t instances = 1;  ///< execution units: each has one exchange
  int32_t producer = -1;   ///< the stage feeding this one; -1 for the source
  std::vector<edge_plan> outputs; ///< main output first, then side outputs
  uint32_t flat_size = 0;  ///< consumer indexes over all output edges
};

/// Where every part of a job runs and how its outputs are routed: computed
/// from the job graph and its settings alone, so every node computes the same
/// plan. Immutable value; thread-safe to share.
///
/// A stage's *index* is what owns state and numbers channels (a key group,
/// or a source or sink instance); an *instance* is an execution unit that
/// owns a contiguous range of indexes (Flink's key-group ranges) and has one
/// exchange through which all its indexes' channels travel.
class plan {
public:
  plan() = default;

  /// The plan of graph `g` with `max_key_groups` key groups, `parallelism`
  /// instances for every keyed stage without its own, `source_splits`
  /// source indexes (one per split, in at most `parallelism` instances) and
  /// `sink_instances[k]` instances of sink k (1 where absent): the last two
  /// are the job's layout, fixed at its first start (job_layout.hpp).
  static plan of(const dataflow::graph& g, uint32_t max_key_groups, uint32_t parallelism,
                 uint32_t source_splits = 1, const std::vector<uint32_t>& sink_instances = {});

  const std::vector<stage_plan>& stages() const noexcept {
    return stages_;
  }
  const stage_plan& stage(uint32_t s) const {
    return stages_.at(s);
  }
  uint32_t keyed_stages() const noexcept {
    return keyed_;
  }
  uint32_t sink_stage(uint32_t sink) const noexcept {
    return keyed_ + 1 + sink;
  }

  /// The instance of stage `s` owning index `index`.
  uint32_t instance_of(uint32_t s, uint32_t index) const;

  /// The indexes instance `instance` of stage `s` owns.
  key_group_range indexes_of(uint32_t s, uint32_t instance) const;

  /// A consumer as a producer of stage `s` addresses it by flat index.
  struct consumer_ref {
    uint32_t stage = 0;
    uint32_t index = 0;
    uint32_t instance = 0;
  };
  consumer_ref consumer(uint32_t s, uint32_t flat) const;

  /// The flat index at producer stage `s` of index `index` of consumer stage
  /// `consumer_stage`, or stage(s).flat_size if that stage is not one of its outputs.
  uint32_t flat_of(uint32_t s, uint32_t consumer_stage, uint32_t index) const;

  /// Where producer `index` of stage `s` pushes each output edge's target 0:
  /// the edge's flat index 0 for a keyed edge (the key group is the
  /// target), and for a sink edge, whose records carry no key, the flat
  /// index of the one sink index this producer feeds (a contiguous share of
  /// the producers per sink instance, Flink's forward/rescale), so replays
  /// route a record to the same sink instance again.
  std::vector<uint32_t> port_offsets(uint32_t s, uint32_t index) const;

  /// Whether every output edge of stage `s` goes to a keyed stage (none to
  /// a sink): on one journal, such a stage's outputs may leave before their
  /// entry is durable (partition_config::release_early).
  bool feeds_only_keyed_stages(uint32_t s) const;

  /// Exchanges of the whole plan, numbered (stage, instance) flat: the
  /// number of stage `s`'s instance 0.
  uint32_t exchange_id(uint32_t s, uint32_t instance) const {
    return exchange_base_.at(s) + instance;
  }
  uint32_t exchanges() const noexcept {
    return exchanges_;
  }

private:
  std::vector<stage_plan> stages_;
  std::vector<uint32_t> exchange_base_;
  uint32_t keyed_ = 0;
  uint32_t exchanges_ = 0;
};

} // namespace eddy::actors
