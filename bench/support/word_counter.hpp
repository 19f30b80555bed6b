#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "eddy/context.hpp"
#include "eddy/state.hpp"

namespace eddy::bench {

/// The keyed function the benchmarks measure: wordcount's count per key,
/// emitting (word, count so far) for every record.
struct word_counter {
  value_state<int64_t> count;
  void on_record(const std::string& word, context<std::pair<std::string, int64_t>>& ctx) {
    count = count.value_or(0) + 1;
    ctx.emit({word, *count});
  }
};

} // namespace eddy::bench
