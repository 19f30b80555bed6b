#pragma once

// Flink's fraud detection walkthrough in event time, exactly once: per
// account, a transaction of more than 500.00 that follows (in event time) a
// transaction of less than 1.00 within a minute raises an alert.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "eddy/job.hpp"
#include "eddy/side_output.hpp"
#include "eddy/source.hpp"
#include "sample_support.hpp"

namespace fraud_detection {

/// Amounts are whole cents: "12.34" is 1234.
constexpr int64_t small_limit_cents = 100;      ///< a small transaction is below 1.00
constexpr int64_t large_limit_cents = 50'000;   ///< a large one is above 500.00
constexpr int64_t max_gap_ms = 60'000;          ///< large at most this long after small

/// One line of the input: `account_id,timestamp_ms,amount`.
struct transaction {
  int64_t account = 0;
  int64_t ts = 0;     ///< event time, ms
  int64_t cents = 0;
};

template <class Inspector>
auto inspect(Inspector& f, transaction& x) {
  return f(x.account, x.ts, x.cents);
}

/// A small transaction followed by a large one of the same account.
struct alert {
  int64_t account = 0;
  int64_t small_ts = 0;
  int64_t large_ts = 0;
  int64_t large_cents = 0;
};

template <class Inspector>
auto inspect(Inspector& f, alert& x) {
  return f(x.account, x.small_ts, x.large_ts, x.large_cents);
}

/// Malformed input lines go to the dead letters.
using samples::dead_letter;

/// Parses `account_id,timestamp_ms,amount` (amount with at most two
/// decimals); on failure returns false and sets `reason`.
bool parse(std::string_view line, transaction& out, std::string& reason);

/// "12.34" for 1234.
std::string format_cents(int64_t cents);

/// "account_id,timestamp_ms,amount": the input line of `tx`.
std::string format(const transaction& tx);

/// "account_id<TAB>small_ts<TAB>large_ts<TAB>large_amount".
std::string format(const alert& a);

/// "line_number<TAB>reason<TAB>original line".
std::string format(const dead_letter& d);

/// Where the fraud_detection job's records go.
struct outputs {
  std::filesystem::path alerts;
  std::filesystem::path late;
  std::filesystem::path dead_letters;
};

/// Builds the job: numbered lines of `input` → parse (malformed lines to the
/// dead letters) → event time with `max_out_of_orderness_ms` → key by account
/// → the rule in event-time order (late records to `out.late`) → alerts.
void build(eddy::job& job, const std::filesystem::path& input, const outputs& out,
           int64_t max_out_of_orderness_ms);

/// Settings of the generator.
struct generator_config {
  int64_t accounts = 1000;
  int64_t transactions = 100'000;
  uint64_t seed = 1;
  int64_t max_delay_ms = 0;
};

/// Writes `transactions` CSV lines to `out`: event times strictly increasing
/// before the lines are shuffled by at most `max_delay_ms`; some accounts
/// make fraud patterns. Deterministic for a seed. Returns an error message,
/// empty on success.
std::string generate(const generator_config& config, const std::filesystem::path& out);

} // namespace fraud_detection
