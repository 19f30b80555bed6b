#include "account.hpp"

#include <algorithm>

namespace bank_notifications {

namespace {

/// floor(ts / day), also for times before the epoch.
int64_t day_of(int64_t ts) {
  return ts >= 0 ? ts / ms_per_day : -((-ts + ms_per_day - 1) / ms_per_day);
}

/// Moves D to the day of `ts` if that is later and drops the days that
/// left the window; returns the day of `ts`.
int64_t see_day(account_state& s, int64_t ts) {
  auto day = day_of(ts);
  s.last_day = std::max(s.last_day, day);
  std::erase_if(s.daily_spend,
                [&s](const auto& d) { return d.first <= s.last_day - window_days; });
  return day;
}

/// Counts a spending of `cents` on the day of `ts`, unless that day is
/// already out of the window (a transaction that arrives that late).
void spend(account_state& s, int64_t ts, int64_t cents) {
  auto day = see_day(s, ts);
  if (day <= s.last_day - window_days)
    return;
  auto it = std::find_if(s.daily_spend.begin(), s.daily_spend.end(),
                         [day](const auto& d) { return d.first == day; });
  if (it != s.daily_spend.end())
    it->second += cents;
  else
    s.daily_spend.emplace_back(day, cents);
}

bool overdraft_risk(const account_state& s, const rules_config& r) {
  return s.balance * window_days < spent_30d(s) * r.horizon_days;
}

bool savings_opportunity(const account_state& s, const rules_config& r) {
  return s.balance >= r.savings_floor_cents && s.balance > r.savings_months * spent_30d(s);
}

account_event event_of(const transaction& tx) {
  switch (tx.kind) {
    case tx_kind::deposit:
      return deposited{tx.ts, tx.cents};
    case tx_kind::withdrawal:
      return withdrew{tx.ts, tx.cents};
    case tx_kind::card_payment:
      break;
  }
  return card_paid{tx.ts, tx.cents, tx.merchant, tx.category};
}

notification notify(const transaction& tx, rule kind, std::string detail) {
  return {tx.account, tx.ts, kind, std::move(detail), tx.source_id};
}

} // namespace

const char* name_of(rule r) {
  switch (r) {
    case rule::overdraft_risk:
      return "overdraft_risk";
    case rule::large_payment:
      return "large_payment";
    case rule::savings_opportunity:
      return "savings_opportunity";
  }
  return "unknown";
}

int64_t spent_30d(const account_state& s) {
  int64_t sum = 0;
  for (auto& [day, cents] : s.daily_spend)
    sum += cents;
  return sum;
}

void apply_event(account_state& s, const account_event& e) {
  std::visit(
    [&s](const auto& ev) {
      using E = std::decay_t<decltype(ev)>;
      if constexpr (std::is_same_v<E, deposited>) {
        s.balance += ev.cents;
        see_day(s, ev.ts);
      } else if constexpr (std::is_same_v<E, withdrew>) {
        s.balance -= ev.cents;
        spend(s, ev.ts, ev.cents);
      } else if constexpr (std::is_same_v<E, card_paid>) {
        s.balance -= ev.cents;
        spend(s, ev.ts, ev.cents);
        ++s.payments;
        s.payments_cents += ev.cents;
      } else {
        bool open = std::is_same_v<E, episode_opened>;
        (ev.kind == rule::overdraft_risk ? s.overdraft_open : s.savings_open) = open;
      }
    },
    e);
}

decision decide(const account_state& s, const transaction& tx, const rules_config& rules) {
  decision d;
  d.events.push_back(event_of(tx));
  auto after = s;
  apply_event(after, d.events.back());
  auto spent = spent_30d(after);

  if (tx.kind == tx_kind::card_payment && tx.cents >= rules.large_floor_cents
      && s.payments >= rules.large_min_payments
      && tx.cents * s.payments > rules.large_factor * s.payments_cents)
    d.notifications.push_back(notify(
      tx, rule::large_payment,
      format_cents(tx.cents) + " at " + tx.merchant
        + (tx.category.empty() ? "" : " (" + tx.category + ")") + ", typical payment "
        + format_cents(s.payments_cents / s.payments) + " over " + std::to_string(s.payments)
        + " payments"));

  // The two episodes: open (and notify) when the condition starts to hold,
  // close when it stops, so each episode is notified once.
  bool risk = overdraft_risk(after, rules);
  if (risk && !after.overdraft_open) {
    d.events.push_back(episode_opened{rule::overdraft_risk});
    auto projected = after.balance - spent * rules.horizon_days / window_days;
    d.notifications.push_back(notify(
      tx, rule::overdraft_risk,
      "balance " + format_cents(after.balance) + ", spent " + format_cents(spent) + " in 30 days: "
        + format_cents(projected) + " in " + std::to_string(rules.horizon_days) + " days"));
  } else if (!risk && after.overdraft_open) {
    d.events.push_back(episode_closed{rule::overdraft_risk});
  }

  bool savings = savings_opportunity(after, rules);
  if (savings && !after.savings_open && tx.kind == tx_kind::deposit) {
    d.events.push_back(episode_opened{rule::savings_opportunity});
    d.notifications.push_back(notify(tx, rule::savings_opportunity,
                                     "balance " + format_cents(after.balance) + ", spent "
                                       + format_cents(spent) + " in 30 days"));
  } else if (!savings && after.savings_open) {
    d.events.push_back(episode_closed{rule::savings_opportunity});
  }
  return d;
}

std::string format_cents(int64_t cents) {
  std::string sign = cents < 0 ? "-" : "";
  auto abs = cents < 0 ? -static_cast<uint64_t>(cents) : static_cast<uint64_t>(cents);
  auto frac = std::to_string(abs % 100);
  return sign + std::to_string(abs / 100) + "." + (frac.size() < 2 ? "0" : "") + frac;
}

} // namespace bank_notifications
