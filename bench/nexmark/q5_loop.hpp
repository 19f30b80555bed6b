#pragma once

// Nexmark q5 (hot items) as a bare single-threaded loop over events held in
// memory: the physical limit the Eddy job is compared with. It computes what
// samples/nexmark/QUERIES.md defines — sliding windows of 10 s every 2 s, per
// window the auctions with the most bids (all ties), one row
// `window_start window_end auction bid_count` each — with the cheapest
// correct method we know: bids are counted once per 2 s pane, and a window's
// counts are the sum of its five panes, merged when the window closes (the
// slice sharing Flink SQL uses for hopping windows). Watermarks as in the
// job: a window closes once max(date_time) - delay - 1 reaches its end - 1,
// and every window closes at the end of the input.

#include <charconv>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "eddy/connectors/nexmark/events.hpp"

namespace eddy::bench {

/// What the loop produced: rows and their bytes as TSV lines (with '\n').
struct q5_loop_result {
  uint64_t rows = 0;
  uint64_t bytes = 0;
};

/// Computes q5 over `events` (in input order) and formats every row; appends
/// the rows to `rows` if given (for checking them against the job's output).
inline q5_loop_result q5_loop(const std::vector<connectors::nexmark::event>& events,
                              int64_t watermark_delay_ms = 4000, std::string* rows = nullptr) {
  using counts = std::unordered_map<int64_t, int64_t>; // auction -> bids
  constexpr int64_t size = 10'000, slide = 2'000;
  constexpr int64_t none = std::numeric_limits<int64_t>::min();
  std::map<int64_t, counts> panes; // pane start -> counts; node pointers are stable
  int64_t current_start = none;
  counts* current = nullptr;
  int64_t next_window = none; // earliest window start not closed yet
  int64_t last_pane = none;
  int64_t max_ts = none;
  counts merged;
  q5_loop_result out;
  char line[96];

  auto emit = [&](int64_t start) {
    const counts* only = nullptr;
    int filled = 0;
    for (int64_t p = start; p < start + size; p += slide)
      if (auto it = panes.find(p); it != panes.end() && !it->second.empty()) {
        only = &it->second;
        ++filled;
      }
    if (filled == 0)
      return;
    const counts* window = only;
    if (filled > 1) {
      merged.clear();
      for (int64_t p = start; p < start + size; p += slide)
        if (auto it = panes.find(p); it != panes.end())
          for (auto& [auction, n] : it->second)
            merged[auction] += n;
      window = &merged;
    }
    int64_t best = 0;
    for (auto& [auction, n] : *window)
      best = n > best ? n : best;
    for (auto& [auction, n] : *window) {
      if (n != best)
        continue;
      char* p = line;
      char* end = line + sizeof line;
      p = std::to_chars(p, end, start).ptr;
      *p++ = '\t';
      p = std::to_chars(p, end, start + size).ptr;
      *p++ = '\t';
      p = std::to_chars(p, end, auction).ptr;
      *p++ = '\t';
      p = std::to_chars(p, end, n).ptr;
      *p++ = '\n';
      ++out.rows;
      out.bytes += static_cast<uint64_t>(p - line);
      if (rows)
        rows->append(line, p);
    }
  };
  // Closes the windows whose end - 1 the watermark has reached; a closed
  // window's first pane is in no later window.
  auto close_until = [&](int64_t watermark) {
    while (next_window != none && next_window <= last_pane && next_window + size - 1 <= watermark) {
      emit(next_window);
      panes.erase(next_window);
      if (current_start == next_window)
        current_start = none, current = nullptr;
      next_window += slide;
    }
  };

  for (auto& e : events) {
    auto* b = std::get_if<connectors::nexmark::bid>(&e);
    int64_t ts = b ? b->date_time : std::visit([](auto& x) { return x.date_time; }, e);
    if (ts > max_ts) {
      max_ts = ts;
      close_until(max_ts - watermark_delay_ms - 1);
    }
    if (!b)
      continue;
    int64_t pane = ts - ts % slide;
    if (pane != current_start) {
      current_start = pane;
      current = &panes[pane];
      if (next_window == none)
        next_window = pane - (size - slide);
      if (pane > last_pane)
        last_pane = pane;
    }
    ++(*current)[b->auction];
  }
  close_until(std::numeric_limits<int64_t>::max());
  return out;
}

} // namespace eddy::bench
