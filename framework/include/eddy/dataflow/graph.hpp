#pragma once

// The type-erased job graph that the runtime in actors/ executes: one source
// (with its chain of stateless steps), keyed stages in a line, one sink.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "eddy/dataflow/batch.hpp"
#include "eddy/dataflow/output_port.hpp"
#include "eddy/dataflow/partition_logic.hpp"
#include "eddy/error.hpp"

namespace eddy::dataflow {

/// A source with its chain of stateless steps, type-erased. Owned by the
/// source actor; used from its thread only.
class source_runner {
public:
  virtual ~source_runner() = default;
  [[nodiscard]] virtual error open(std::string_view position) = 0;
  /// Reads up to `max` values and pushes them through the chain.
  [[nodiscard]] virtual expected<size_t> pump(size_t max) = 0;
  virtual bool finished() const = 0;
  virtual std::string position() const = 0;
};

/// A sink, type-erased: decodes payloads and writes them.
class sink_runner {
public:
  virtual ~sink_runner() = default;
  [[nodiscard]] virtual error open(std::string_view committed) = 0;
  [[nodiscard]] virtual error write(const record_view& r) = 0;
  [[nodiscard]] virtual expected<std::string> commit() = 0;
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

struct source_stage {
  std::string name;
  std::function<error()> check;
  std::function<std::unique_ptr<source_runner>(output_port&)> make_runner;
  std::vector<output_edge> outputs{1};
};

struct keyed_stage {
  std::string name;
  uint32_t parallelism = 0; ///< 0: the job's default
  logic_factory make_logic;
  std::vector<output_edge> outputs{1};
};

struct sink_stage {
  std::string name;
  std::function<error()> check;
  std::function<std::unique_ptr<sink_runner>()> make_runner;
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
