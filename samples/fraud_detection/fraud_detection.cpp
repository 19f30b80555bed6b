#include "fraud_detection.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <limits>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "eddy/connectors/file/numbered_lines.hpp"
#include "eddy/connectors/file/lines_out.hpp"
#include "eddy/context.hpp"
#include "eddy/state.hpp"

namespace fraud_detection {

namespace {

const eddy::side_output<transaction> late_tag{"late"};
const eddy::side_output<dead_letter> dead_letter_tag{"dead-letters"};

bool parse_int(std::string_view s, int64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc{} && p == s.data() + s.size();
}

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// `-?digits(.d{1,2})?` as cents.
bool parse_cents(std::string_view s, int64_t& out) {
  bool negative = !s.empty() && s[0] == '-';
  if (negative)
    s.remove_prefix(1);
  auto dot = s.find('.');
  auto whole = s.substr(0, dot);
  auto frac = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
  if (!is_digits(whole) || whole.size() > 15)
    return false;
  if (dot != std::string_view::npos && (!is_digits(frac) || frac.size() > 2))
    return false;
  int64_t units = 0;
  int64_t hundredths = 0;
  if (!parse_int(whole, units))
    return false;
  if (!frac.empty()) {
    parse_int(frac, hundredths);
    if (frac.size() == 1)
      hundredths *= 10;
  }
  out = units * 100 + hundredths;
  if (negative)
    out = -out;
  return true;
}

/// The rule, per account, in event-time order: records wait in `pending`
/// until the watermark passes their time (a timer at that time), then
/// on_timer takes them in time order and compares each with the previous.
struct fraud_rule {
  eddy::map_state<int64_t, std::vector<int64_t>> pending; ///< time → amounts (arrival order)
  eddy::value_state<transaction> last;                    ///< the last transaction taken

  void on_record(const transaction& tx, eddy::context<alert>& ctx) {
    if (tx.ts <= ctx.watermark()) {
      ctx.output(late_tag, tx);
      return;
    }
    std::vector<int64_t> amounts;
    if (auto* before = pending.get(tx.ts))
      amounts = *before;
    amounts.push_back(tx.cents);
    pending.put(tx.ts, amounts);
    ctx.timers().at_event_time(tx.ts);
  }

  void on_timer(int64_t ts, eddy::context<alert>& ctx) {
    std::vector<std::pair<int64_t, std::vector<int64_t>>> due;
    for (auto& [t, amounts] : pending) {
      if (t > ts)
        break;
      due.emplace_back(t, amounts);
    }
    if (due.empty())
      return;
    auto account = ctx.key<int64_t>();
    std::optional<transaction> prev;
    if (last)
      prev = *last;
    for (auto& [t, amounts] : due) {
      for (auto cents : amounts) {
        if (prev && prev->cents < small_limit_cents && cents > large_limit_cents
            && t - prev->ts <= max_gap_ms)
          ctx.emit(alert{account, prev->ts, t, cents}, t);
        prev = transaction{account, t, cents};
      }
      pending.remove(t);
    }
    last = *prev;
  }
};

} // namespace

bool parse(std::string_view line, transaction& out, std::string& reason) {
  std::string_view fields[3];
  size_t n = 0;
  size_t begin = 0;
  for (;;) {
    auto comma = line.find(',', begin);
    auto field = line.substr(begin, comma == std::string_view::npos ? std::string_view::npos
                                                                     : comma - begin);
    if (n < 3)
      fields[n] = field;
    ++n;
    if (comma == std::string_view::npos)
      break;
    begin = comma + 1;
  }
  if (n != 3) {
    reason = "expected 3 fields, got " + std::to_string(n);
    return false;
  }
  if (!parse_int(fields[0], out.account)) {
    reason = "account_id is not an integer";
    return false;
  }
  if (!parse_int(fields[1], out.ts)) {
    reason = "timestamp_ms is not an integer";
    return false;
  }
  if (!parse_cents(fields[2], out.cents)) {
    reason = "amount is not a number with at most two decimals";
    return false;
  }
  return true;
}

std::string format_cents(int64_t cents) {
  std::string sign = cents < 0 ? "-" : "";
  auto abs = cents < 0 ? -static_cast<uint64_t>(cents) : static_cast<uint64_t>(cents);
  auto frac = std::to_string(abs % 100);
  return sign + std::to_string(abs / 100) + "." + (frac.size() < 2 ? "0" : "") + frac;
}

std::string format(const transaction& tx) {
  return std::to_string(tx.account) + "," + std::to_string(tx.ts) + "," + format_cents(tx.cents);
}

std::string format(const alert& a) {
  return std::to_string(a.account) + "\t" + std::to_string(a.small_ts) + "\t"
         + std::to_string(a.large_ts) + "\t" + format_cents(a.large_cents);
}

void build(eddy::job& job, const std::filesystem::path& input, const outputs& out,
           int64_t max_out_of_orderness_ms) {
  namespace file = eddy::connectors::file;
  auto parsed = job.source(eddy::connectors::file::numbered_lines(input))
                  .flat_map([](const eddy::connectors::file::numbered_line& line, eddy::collector<transaction>& next) {
                    transaction tx;
                    std::string reason;
                    if (parse(line.text, tx, reason))
                      next(tx);
                    else
                      next.output(dead_letter_tag,
                                  dead_letter{line.number, std::move(reason), std::string{line.text}});
                  });
  parsed.side_output(dead_letter_tag)
    .sink(file::lines_out(out.dead_letters, [](const dead_letter& d) { return samples::format(d); }));
  auto alerts = parsed
                  .with_timestamps(&transaction::ts,
                                   std::chrono::milliseconds(max_out_of_orderness_ms))
                  .key_by(&transaction::account)
                  .process<fraud_rule>();
  alerts.side_output(late_tag)
    .sink(file::lines_out(out.late, [](const transaction& tx) { return format(tx); }));
  alerts.sink(file::lines_out(out.alerts, [](const alert& a) { return format(a); }));
}

std::string generate(const generator_config& config, const std::filesystem::path& out) {
  if (config.accounts < 1 || config.transactions < 0 || config.max_delay_ms < 0)
    return "accounts must be at least 1, transactions and max delay at least 0";
  samples::random_source rnd{config.seed};
  auto n = static_cast<size_t>(config.accounts);
  std::vector<bool> fraudster(n);
  std::vector<bool> large_next(n); // a fraudster's small transaction asks for a large one
  for (size_t a = 0; a < n; ++a)
    fraudster[a] = rnd.unit() < 0.02;
  // Each account sees a transaction every ~10 s on average.
  auto mean_gap = std::max<int64_t>(1, 10'000 / config.accounts);
  struct line {
    int64_t arrival;
    transaction tx;
  };
  std::vector<line> lines;
  lines.reserve(static_cast<size_t>(config.transactions));
  int64_t t = 1'700'000'000'000; // event times strictly increase: distinct per account
  for (int64_t i = 0; i < config.transactions; ++i) {
    t += 1 + static_cast<int64_t>(rnd.below(static_cast<uint64_t>(2 * mean_gap - 1)));
    auto a = rnd.below(n);
    int64_t cents;
    if (large_next[a]) {
      cents = 50'001 + static_cast<int64_t>(rnd.below(450'000));
      large_next[a] = false;
    } else {
      auto small_p = fraudster[a] ? 0.10 : 0.01;
      auto r = rnd.unit();
      if (r < small_p) {
        cents = static_cast<int64_t>(rnd.below(100));
        large_next[a] = fraudster[a];
      } else if (r < small_p + 0.01) {
        cents = 50'001 + static_cast<int64_t>(rnd.below(100'000));
      } else {
        cents = 100 + static_cast<int64_t>(rnd.below(49'900));
      }
    }
    auto delay = config.max_delay_ms > 0
                   ? static_cast<int64_t>(rnd.below(static_cast<uint64_t>(config.max_delay_ms) + 1))
                   : 0;
    lines.push_back({t + delay, {static_cast<int64_t>(a), t, cents}});
  }
  // Arrival order: by time plus delay, so a line is at most max_delay_ms
  // older than any line before it.
  std::stable_sort(lines.begin(), lines.end(), [](const line& x, const line& y) {
    return x.arrival < y.arrival || (x.arrival == y.arrival && x.tx.ts < y.tx.ts);
  });
  return samples::write_lines(out, lines, [](const line& l) { return format(l.tx); });
}

} // namespace fraud_detection
