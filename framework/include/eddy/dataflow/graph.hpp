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

struct source_stage {
  std::string name;
  std::function<error()> check;
  std::function<std::unique_ptr<source_runner>(output_port&)> make_runner;
};

struct keyed_stage {
  std::string name;
  uint32_t parallelism = 0; ///< 0: the job's default
  logic_factory make_logic;
};

struct sink_stage {
  std::string name;
  std::function<error()> check;
  std::function<std::unique_ptr<sink_runner>()> make_runner;
};

/// A linear dataflow: source → keyed stages → sink. The output of stage `i`
/// is routed by key group to stage `i + 1`, or to the sink after the last.
struct graph {
  std::unique_ptr<source_stage> source;
  std::vector<keyed_stage> keyed;
  std::unique_ptr<sink_stage> sink;
};

} // namespace eddy::dataflow
