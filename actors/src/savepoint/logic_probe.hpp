#pragma once

// A keyed operator's logic built outside a partition, to read what its
// state is made of and to rewrite state images on an upgrade: its outputs
// go nowhere.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "eddy/dataflow/graph.hpp"

namespace eddy::actors::savepoint {

/// An output port that drops everything.
class null_port final : public dataflow::output_port {
public:
  void push(uint32_t, uint32_t, std::string_view, int64_t, std::string_view) override {
  }
  void propose_watermark(int64_t) override {
  }
};

/// The logic of one partition of `stage`, with its outputs dropped.
struct probed_logic {
  null_port port;
  std::unique_ptr<dataflow::partition_logic> logic;
  explicit probed_logic(const dataflow::keyed_stage& stage) : logic(stage.make_logic(port)) {
  }
};

/// The (name, schema) of each state of `stage`.
inline std::vector<std::pair<std::string, std::string>> states_of(const dataflow::keyed_stage& stage) {
  probed_logic p{stage};
  return p.logic->states();
}

} // namespace eddy::actors::savepoint
