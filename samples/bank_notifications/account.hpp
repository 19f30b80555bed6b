#pragma once

// The bank account as an event-sourced entity, without the runtime: its
// commands (transactions), domain events, state and the three notification
// rules. The job's behavior and the reference both run decide() and apply_event(),
// so the rules are written once, here.
//
// The rules, evaluated after each transaction T of an account, in arrival
// order, on the state that includes T (amounts in cents, times in ms):
//
//   day(ts)   = ts / 86'400'000; D = the highest day of any transaction so far.
//   spent_30d = the sum of withdrawals and card payments whose day is in
//               (D - 30, D] (the recent spending rate is spent_30d / 30 per day).
//
//   overdraft_risk   balance - spent_30d * horizon_days / 30 < 0, computed
//                    exactly as balance * 30 < spent_30d * horizon_days.
//                    Notified when it starts to hold; the episode ends after
//                    the first transaction after which it no longer holds.
//   large_payment    T is a card payment of A >= large_floor_cents, the
//                    account has made at least large_min_payments card
//                    payments before, and A * n > large_factor * (sum of those
//                    n payments), i.e. A is more than large_factor times their
//                    mean. Every such payment is notified (its own episode).
//   savings_opportunity
//                    balance >= savings_floor_cents and
//                    balance > savings_months * spent_30d. Notified on a
//                    deposit after which it holds, once per episode; the
//                    episode ends after the first transaction after which it
//                    no longer holds.
//
// A notification's ts and source_id are T's.

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace bank_notifications {

constexpr int64_t ms_per_day = 86'400'000;
constexpr int64_t window_days = 30;

/// The thresholds of the rules; defaults as in the README.
struct rules_config {
  int64_t horizon_days = 7;
  int64_t large_factor = 5;
  int64_t large_floor_cents = 100'00;
  int64_t large_min_payments = 5;
  int64_t savings_floor_cents = 1'000'00;
  int64_t savings_months = 3;
};

template <class Inspector>
auto inspect(Inspector& f, rules_config& x) {
  return f(x.horizon_days, x.large_factor, x.large_floor_cents, x.large_min_payments,
           x.savings_floor_cents, x.savings_months);
}

enum class tx_kind : int32_t { deposit, withdrawal, card_payment };

/// The command: one transaction of an account.
struct transaction {
  std::string source_id; ///< where it came from: a Redis entry id or a line number
  std::string account;
  int64_t ts = 0;        ///< event time, ms since the epoch
  tx_kind kind = tx_kind::deposit;
  int64_t cents = 0;     ///< > 0
  std::string merchant;  ///< card payments only
  std::string category;  ///< card payments only, may be empty
};

template <class Inspector>
auto inspect(Inspector& f, transaction& x) {
  return f(x.source_id, x.account, x.ts, x.kind, x.cents, x.merchant, x.category);
}

enum class rule : int32_t { overdraft_risk, large_payment, savings_opportunity };

/// "overdraft_risk", "large_payment", "savings_opportunity".
const char* name_of(rule r);

/// What the job writes: one row of the notifications table.
struct notification {
  std::string account;
  int64_t ts = 0;
  rule kind = rule::overdraft_risk;
  std::string detail;    ///< the figures that made the rule fire, for a person to read
  std::string source_id; ///< of the transaction after which it fired

  bool operator==(const notification&) const = default;
};

template <class Inspector>
auto inspect(Inspector& f, notification& x) {
  return f(x.account, x.ts, x.kind, x.detail, x.source_id);
}

// -- domain events: what the journal holds ------------------------------------

struct deposited {
  int64_t ts = 0;
  int64_t cents = 0;
};
struct withdrew {
  int64_t ts = 0;
  int64_t cents = 0;
};
struct card_paid {
  int64_t ts = 0;
  int64_t cents = 0;
  std::string merchant;
  std::string category;
};
/// An overdraft-risk or savings episode began (it was notified).
struct episode_opened {
  rule kind = rule::overdraft_risk;
};
/// The episode's condition no longer holds: the next time it holds is news.
struct episode_closed {
  rule kind = rule::overdraft_risk;
};

template <class Inspector>
auto inspect(Inspector& f, deposited& x) {
  return f(x.ts, x.cents);
}
template <class Inspector>
auto inspect(Inspector& f, withdrew& x) {
  return f(x.ts, x.cents);
}
template <class Inspector>
auto inspect(Inspector& f, card_paid& x) {
  return f(x.ts, x.cents, x.merchant, x.category);
}
template <class Inspector>
auto inspect(Inspector& f, episode_opened& x) {
  return f(x.kind);
}
template <class Inspector>
auto inspect(Inspector& f, episode_closed& x) {
  return f(x.kind);
}

using account_event = std::variant<deposited, withdrew, card_paid, episode_opened, episode_closed>;

/// An account's state: what its events add up to.
struct account_state {
  int64_t balance = 0;
  int64_t last_day = INT64_MIN;                         ///< D of the rules; none yet
  std::vector<std::pair<int64_t, int64_t>> daily_spend; ///< (day, cents), days in (D - 30, D]
  int64_t payments = 0;                                 ///< card payments so far
  int64_t payments_cents = 0;                           ///< their sum
  bool overdraft_open = false;
  bool savings_open = false;
};

template <class Inspector>
auto inspect(Inspector& f, account_state& x) {
  return f(x.balance, x.last_day, x.daily_spend, x.payments, x.payments_cents, x.overdraft_open,
           x.savings_open);
}

/// The spending of the 30 days up to the account's latest day.
int64_t spent_30d(const account_state& s);

/// Applies one event (Akka's event handler): deterministic, never fails.
void apply_event(account_state& s, const account_event& e);

/// What a transaction does to an account (Akka's command handler).
struct decision {
  std::vector<account_event> events;
  std::vector<notification> notifications;
};

/// The events `tx` persists on an account in state `s` and the
/// notifications it raises under `rules`.
decision decide(const account_state& s, const transaction& tx, const rules_config& rules);

/// "12.34" for 1234, "-0.05" for -5.
std::string format_cents(int64_t cents);

} // namespace bank_notifications
