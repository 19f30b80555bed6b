#include "sessionization.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <fstream>
#include <random>
#include <tuple>
#include <utility>
#include <vector>

#include "eddy/connectors/file/lines.hpp"
#include "eddy/connectors/file/numbered_lines.hpp"
#include "eddy/connectors/file/lines_out.hpp"
#include "eddy/side_output.hpp"

namespace sessionization {

namespace {

const eddy::side_output<dead_letter> dead_letter_tag{"dead-letters"};
const eddy::side_output<click> late_tag{"late"};

bool parse_int(std::string_view s, int64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc{} && p == s.data() + s.size();
}

/// Counts the clicks of a session (Flink's AggregateFunction shape).
struct count_clicks {
  int64_t create() const {
    return 0;
  }
  void add(int64_t& acc, const click&) const {
    ++acc;
  }
  void merge(int64_t& acc, const int64_t& other) const {
    acc += other;
  }
  int64_t result(const int64_t& acc) const {
    return acc;
  }
};

} // namespace

bool parse(std::string_view line, click& out, std::string& reason) {
  std::string_view fields[3];
  size_t n = 0;
  for (size_t begin = 0;;) {
    auto comma = line.find(',', begin);
    if (n < 3)
      fields[n] = line.substr(begin, comma == std::string_view::npos ? comma : comma - begin);
    ++n;
    if (comma == std::string_view::npos)
      break;
    begin = comma + 1;
  }
  if (n != 3) {
    reason = "expected 3 fields, got " + std::to_string(n);
    return false;
  }
  if (!parse_int(fields[0], out.user) || out.user < 0) {
    reason = "user_id is not a non-negative integer";
    return false;
  }
  if (!parse_int(fields[1], out.ts)) {
    reason = "timestamp_ms is not an integer";
    return false;
  }
  if (fields[2].empty()) {
    reason = "url is empty";
    return false;
  }
  out.url = fields[2];
  return true;
}

std::string format(const session& s) {
  return std::to_string(s.key) + "\t" + std::to_string(s.w.start) + "\t" + std::to_string(s.w.end)
         + "\t" + std::to_string(s.value);
}

std::string format(const click& c) {
  return std::to_string(c.user) + "," + std::to_string(c.ts) + "," + c.url;
}

void build(eddy::job& job, const run_config& config) {
  namespace file = eddy::connectors::file;
  // Numbered lines: line numbers that stay right when a job resumes.
  auto parsed = job.source(file::numbered_lines(config.input))
                  .flat_map([](const file::numbered_line& line,
                               eddy::collector<click>& next) {
                    click c;
                    std::string reason;
                    if (parse(line.text, c, reason))
                      next(c);
                    else
                      next.output(dead_letter_tag, dead_letter{line.number, std::move(reason),
                                                               std::string{line.text}});
                  });
  parsed.side_output(dead_letter_tag)
    .sink(file::lines_out(config.dead_letters, [](const dead_letter& d) { return samples::format(d); }));
  auto sessions = parsed
                    .with_timestamps(&click::ts,
                                     std::chrono::milliseconds(config.max_out_of_orderness_ms))
                    .key_by(&click::user)
                    .window(eddy::session(std::chrono::milliseconds(config.gap_ms)))
                    .late_output(late_tag)
                    .aggregate(count_clicks{});
  sessions.side_output(late_tag)
    .sink(file::lines_out(config.late, [](const click& c) { return format(c); }));
  sessions.sink(file::lines_out(config.output, [](const session& s) { return format(s); }));
}

std::string generate(const generator_config& config, const std::filesystem::path& out) {
  if (config.users < 1 || config.clicks < 0 || config.max_delay_ms < 0)
    return "users must be at least 1, clicks and max delay at least 0";
  samples::random_source rnd{config.seed};
  constexpr int64_t second = 1000;
  constexpr int64_t minute = 60 * second;
  constexpr int64_t gap = default_gap_ms;
  // Clicks per user: each click goes to a random user.
  std::vector<int64_t> per_user(static_cast<size_t>(config.users));
  for (int64_t i = 0; i < config.clicks; ++i)
    ++per_user[static_cast<size_t>(rnd.below(config.users))];
  struct line {
    int64_t arrival;
    int64_t ts;
    int64_t user;
    int64_t page;
  };
  std::vector<line> lines;
  lines.reserve(static_cast<size_t>(config.clicks));
  const int64_t base = 1'700'000'000'000;
  for (int64_t user = 0; user < config.users; ++user) {
    auto t = base + rnd.below(12 * 60 * minute); // first click within 12 hours
    for (int64_t k = 0; k < per_user[static_cast<size_t>(user)]; ++k) {
      if (k > 0) {
        auto r = rnd.unit();
        if (r < 0.80)
          t += 1 * second + rnd.below(3 * minute); // within a burst
        else if (r < 0.86)
          t += 5 * minute + rnd.below(gap - 5 * minute); // a long pause, still shorter than the gap
        else if (r < 0.88)
          t += gap; // exactly the gap: the sessions touch, so they are one
        else if (r < 0.91)
          t += gap + 1 + rnd.below(minute); // just over the gap
        else
          t += gap + rnd.below(8 * 60 * minute); // a new session, up to 8 hours later
      }
      auto delay = config.max_delay_ms > 0 ? rnd.below(config.max_delay_ms + 1) : 0;
      lines.push_back({t + delay, t, user, rnd.below(500)});
    }
  }
  // Arrival order: by time plus delay, so a line is at most max_delay_ms
  // older than any line before it. A user's times are distinct: a total order.
  std::sort(lines.begin(), lines.end(), [](const line& x, const line& y) {
    return std::tie(x.arrival, x.ts, x.user) < std::tie(y.arrival, y.ts, y.user);
  });
  return samples::write_lines(out, lines, [](const line& l) {
    return std::to_string(l.user) + "," + std::to_string(l.ts) + ",/page/" + std::to_string(l.page);
  });
}

} // namespace sessionization
