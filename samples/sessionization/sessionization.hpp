#pragma once

// User sessions from a click stream, in event time, exactly once: per user,
// clicks closer than a gap (default 30 min) form one session (Flink's
// EventTimeSessionWindows), written as "user<TAB>start<TAB>end<TAB>clicks".

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "eddy/job.hpp"
#include "eddy/window.hpp"
#include "sample_support.hpp"

namespace sessionization {

constexpr int64_t default_gap_ms = 1'800'000; ///< 30 minutes

/// One line of the input: `user_id,timestamp_ms,url`.
struct click {
  int64_t user = 0;
  int64_t ts = 0; ///< event time, ms
  std::string url;
};

template <class Inspector>
auto inspect(Inspector& f, click& x) {
  return f(x.user, x.ts, x.url);
}

/// A closed session: [start, end) is [first click, last click + gap).
using session = eddy::window_result<int64_t, int64_t>;

/// Malformed input lines go to the dead letters.
using samples::dead_letter;

/// Parses `user_id,timestamp_ms,url` (a non-negative integer user, an
/// integer time, a non-empty url); on failure returns false and sets `reason`.
bool parse(std::string_view line, click& out, std::string& reason);

/// "user<TAB>session_start<TAB>session_end<TAB>clicks".
std::string format(const session& s);

/// "user_id,timestamp_ms,url": the input line of `c`.
std::string format(const click& c);

/// "line_number<TAB>reason<TAB>original line".
std::string format(const dead_letter& d);

/// Settings of a run.
struct run_config {
  std::filesystem::path input;
  std::filesystem::path output;
  std::filesystem::path dead_letters;
  std::filesystem::path late;
  int64_t gap_ms = default_gap_ms;
  int64_t max_out_of_orderness_ms = 0;
};

/// Builds the job: numbered lines of `input` → parse (malformed lines to the
/// dead letters) → event time with bounded out-of-orderness → key by user →
/// session windows counting clicks → one line per closed session. Clicks
/// behind the watermark that join no live session go to `late` (the window's
/// late_output), as input lines.
void build(eddy::job& job, const run_config& config);

/// Settings of the generator.
struct generator_config {
  int64_t users = 1000;
  int64_t clicks = 100'000;
  uint64_t seed = 1;
  int64_t max_delay_ms = 0;
};

/// Writes `clicks` CSV lines to `out`: per user, bursts of clicks seconds to
/// minutes apart, separated by pauses from under to many times the default
/// gap (and now and then exactly the gap), shuffled so that a line is at most
/// `max_delay_ms` older (in event time) than any line before it.
/// Deterministic for a seed. Returns an error message, empty on success.
std::string generate(const generator_config& config, const std::filesystem::path& out);

} // namespace sessionization
