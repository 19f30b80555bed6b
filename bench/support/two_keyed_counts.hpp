#pragma once

// The keyed→keyed job bench_messages and bench_memory measure: word → count
// per word → count per (word, count mod 7) pair's word, with event time 1 ms
// per 100 records so watermarks step all along. The caller adds the sink.

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#include "eddy/connectors/memory/memory.hpp"
#include "eddy/job.hpp"
#include "word_counter.hpp"

namespace eddy::bench {

inline auto two_keyed_counts(job& j, uint64_t records, uint64_t keys) {
  using counted = std::pair<std::string, int64_t>;
  return j
    .source(connectors::memory::generate(records, [keys](uint64_t i) {
      return counted{"k" + std::to_string(i * 2654435761u % keys), static_cast<int64_t>(i / 100)};
    }))
    .with_timestamps([](const counted& r) { return r.second; }, std::chrono::milliseconds{0})
    .map([](const counted& r) { return r.first; })
    .key_by([](const std::string& w) -> const std::string& { return w; })
    .process<word_counter>()
    .map([](const counted& r) { return r.first + "#" + std::to_string(r.second % 7); })
    .key_by([](const std::string& w) -> const std::string& { return w; })
    .process<word_counter>();
}

} // namespace eddy::bench
