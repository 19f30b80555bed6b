#pragma once

// The type-erased job graph that the runtime in actors/ executes: one source
// (with its chain of stateless steps, built once per split reader), keyed
// stages, sinks (each possibly several instances).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/dataflow/batch.hpp"
#include "eddy/dataflow/key_text.hpp"
#include "eddy/dataflow/output_port.hpp"
#include "eddy/dataflow/partition_logic.hpp"
#include "eddy/error.hpp"
#include "eddy/sink.hpp"

namespace eddy::dataflow {

/// One split of a source with its own chain of stateless steps, type-erased:
/// eddy::source's open/read/finished/position of that split's reader. Owned
/// by the actor that reads the split; used from its thread only.
class source_runner {
public:
  virtual ~source_runner() = default;
  [[nodiscard]] virtual error open(std::string_view position) = 0;
  /// Reads up to `max` values and pushes them through the chain.
  [[nodiscard]] virtual expected<size_t> pump(size_t max) = 0;
  virtual bool finished() const = 0;
  virtual std::string position() const = 0;
};

/// One instance of a sink, type-erased: decodes payloads and writes them;
/// open() and commit() as in eddy::sink (marks returned by open() are
/// authoritative over the journal's). Owned by the actor that drives the
/// instance; used from its thread only.
class sink_runner {
public:
  virtual ~sink_runner() = default;
  [[nodiscard]] virtual expected<std::optional<sink_marks>> open(std::string_view committed) = 0;
  [[nodiscard]] virtual error write(const record_view& r) = 0;
  [[nodiscard]] virtual expected<std::string> commit(const sink_marks& marks) = 0;
};

/// Where one output of a producing stage goes: a keyed stage (routed by key
/// group) or a sink. Edge 0 of a stage is its main output; the others are side
/// outputs, each fed by one side_output tag.
struct output_edge {
  enum kind_t : uint8_t { none, keyed, sink };
  kind_t kind = none;
  uint32_t index = 0;        ///< into graph::keyed or graph::sinks
  uint32_t side_id = 0;      ///< the tag feeding a side edge; 0 for the main one
  /// Builds a side edge's chain in a producing instance and installs it in
  /// its port (unused for the main edge, which the stage builds itself).
  std::function<void(output_port&)> install;
};

/// The job's source. Its callables may be called from any one thread at a
/// time (they only read the job); each runner they make belongs to its caller.
struct source_stage {
  std::string name;
  std::function<error()> check;
  /// The source's split descriptors for a hint of `desired` splits, at least
  /// one: the same list for the same input and `desired` (positions are
  /// stored per split), see eddy::source::splits.
  std::function<expected<std::vector<std::string>>(uint32_t desired)> splits;
  /// Makes the runner of `split` (one of splits()): a fresh reader of the
  /// split and a fresh chain of the stateless steps ending in `port`, with
  /// the source's side edges installed there. One port per runner: a chain
  /// may keep per-instance state (the highest timestamp seen) and proposes
  /// its own watermark to its port. Throws std::logic_error if the job's
  /// source stream does not end in key_by or a sink.
  std::function<expected<std::unique_ptr<source_runner>>(output_port& port,
                                                         const std::string& split)>
    make_runner;
  std::vector<output_edge> outputs{1};
};

struct keyed_stage {
  std::string name;
  std::string uid; ///< stable id for savepoints (stream::uid); empty: the name
  const std::string& id() const noexcept {
    return uid.empty() ? name : uid;
  }
  uint32_t parallelism = 0; ///< 0: the job's default
  logic_factory make_logic;
  /// Reads a key given as text (a query of the stage's state); null when
  /// its key type has no text form.
  key_parser parse_key;
  std::string key_type; ///< the key type's name, for errors
  std::vector<output_edge> outputs{1};
};

/// One sink of the job. Its callables only read the job; each runner they
/// make belongs to its caller.
struct sink_stage {
  std::string name;
  std::function<error()> check;
  /// How many instances the sink supports (eddy::sink::max_instances).
  uint32_t max_instances = 1;
  /// Makes the runner of instance `instance` of `instances` (1 <= instances
  /// <= max_instances); the instance count must stay the same across
  /// restarts of a job (the runtime stores it in the job layout at the
  /// first start).
  std::function<expected<std::unique_ptr<sink_runner>>(uint32_t instance, uint32_t instances)>
    make_runner;
};

/// A tree-shaped dataflow: one source; keyed stages and sinks each fed by
/// exactly one output edge of the source or of a keyed stage. Keyed stages
/// are numbered in the order they were built, so every consumer comes after
/// its producer.
struct graph {
  std::unique_ptr<source_stage> source;
  std::vector<keyed_stage> keyed;
  std::vector<std::unique_ptr<sink_stage>> sinks;

  /// The edges of the source (producer -1) or of keyed stage `producer`.
  std::vector<output_edge>& outputs_of(int producer) {
    return producer < 0 ? source->outputs : keyed[static_cast<size_t>(producer)].outputs;
  }

  /// Installs the side edges of `producer` into `port`.
  void install_sides(int producer, output_port& port) {
    for (auto& e : outputs_of(producer))
      if (e.install)
        e.install(port);
  }
};

} // namespace eddy::dataflow
