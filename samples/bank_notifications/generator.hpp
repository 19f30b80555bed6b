#pragma once

// Generated transactions, deterministic for a seed, with accounts that
// trigger each rule: spenders (overdraft risk), savers (savings
// opportunities) and accounts with rare very large card payments.

#include <cstdint>
#include <string>
#include <vector>

namespace bank_notifications {

/// Settings of the generator.
struct generator_config {
  int64_t accounts = 100;
  int64_t transactions = 10'000;
  uint64_t seed = 1;
  int64_t malformed = 0; ///< records with a bad value, spread evenly among the others
};

/// One generated record: its values in transaction_columns() order.
using generated_record = std::vector<std::string>;

/// The records, in arrival order; event times increase by a random gap so
/// that each account sees about three transactions a day.
std::vector<generated_record> generate(const generator_config& config);

/// "account,ts,kind,amount_cents,merchant,category".
std::string csv_line(const generated_record& r);

} // namespace bank_notifications
