// The rules of the bank_notifications sample on small hand-made accounts:
// what the reference (decide/apply_event per account, no runtime) notifies, and
// when; the parser's dead letters; the generator's determinism.

#include <boost/test/unit_test.hpp>

#include <set>
#include <string>
#include <vector>

#include "bank_notifications/account.hpp"
#include "bank_notifications/bank_job.hpp"
#include "bank_notifications/generator.hpp"
#include "bank_notifications/reference.hpp"

using namespace bank_notifications;

namespace {

constexpr int64_t t0 = 20'000 * ms_per_day; // midnight of a day
constexpr int64_t hour = 3'600'000;

/// Builds an account's transactions, numbering their source ids from 1.
struct history {
  std::vector<transaction> txs;

  history& add(tx_kind kind, int64_t ts, int64_t cents, std::string merchant = "",
               std::string category = "", std::string account = "alice") {
    txs.push_back({std::to_string(txs.size() + 1), std::move(account), ts, kind, cents,
                   std::move(merchant), std::move(category)});
    return *this;
  }
  history& deposit(int64_t ts, int64_t cents) {
    return add(tx_kind::deposit, ts, cents);
  }
  history& withdraw(int64_t ts, int64_t cents) {
    return add(tx_kind::withdrawal, ts, cents);
  }
  history& pay(int64_t ts, int64_t cents, std::string merchant = "Corner Grocer",
               std::string category = "groceries") {
    return add(tx_kind::card_payment, ts, cents, std::move(merchant), std::move(category));
  }
};

std::vector<notification> of_kind(const std::vector<notification>& all, rule kind) {
  std::vector<notification> out;
  for (auto& n : all)
    if (n.kind == kind)
      out.push_back(n);
  return out;
}

std::string describe(const std::vector<notification>& ns) {
  std::string s;
  for (auto& n : ns)
    s += "\n  " + n.account + " " + std::to_string(n.ts) + " " + name_of(n.kind) + " '" + n.detail
         + "' " + n.source_id;
  return s;
}

samples::input_record record(std::vector<std::pair<std::string, std::string>> fields) {
  return {"7", std::move(fields), "text", {}};
}

} // namespace

BOOST_AUTO_TEST_SUITE(bank_rules)

BOOST_AUTO_TEST_CASE(overdraft_risk_is_notified_once_per_episode_and_again_after_it_ended) {
  history h;
  h.deposit(t0, 500'00)                      // 1: 500.00, nothing spent
    .pay(t0 + hour, 200'00)                  // 2: 300.00 vs 200.00 a month: fine
    .withdraw(t0 + ms_per_day, 250'00)       // 3: 50.00 vs 450.00 a month: risk
    .pay(t0 + ms_per_day + hour, 10'00)      // 4: still the same episode
    .deposit(t0 + 2 * ms_per_day, 2000'00)   // 5: 2040.00: the episode ends (and savings)
    .withdraw(t0 + 3 * ms_per_day, 1900'00); // 6: 140.00 vs 2360.00: a new episode
  auto got = of_kind(reference(h.txs, {}), rule::overdraft_risk);
  std::vector<notification> want{
    {"alice", t0 + ms_per_day, rule::overdraft_risk,
     "balance 50.00, spent 450.00 in 30 days: -55.00 in 7 days", "3"},
    {"alice", t0 + 3 * ms_per_day, rule::overdraft_risk,
     "balance 140.00, spent 2360.00 in 30 days: -410.66 in 7 days", "6"},
  };
  BOOST_TEST((got == want), describe(got));
}

BOOST_AUTO_TEST_CASE(the_horizon_decides_how_far_ahead_the_balance_is_projected) {
  history h;
  h.deposit(t0, 1000'00).withdraw(t0 + hour, 700'00); // 300.00 left, 700.00 a month
  rules_config two_weeks;
  two_weeks.horizon_days = 14; // 300.00 - 326.66 < 0
  rules_config ten_days;
  ten_days.horizon_days = 10;  // 300.00 - 233.33 >= 0
  BOOST_TEST(of_kind(reference(h.txs, two_weeks), rule::overdraft_risk).size() == 1u);
  BOOST_TEST(of_kind(reference(h.txs, ten_days), rule::overdraft_risk).empty());
}

BOOST_AUTO_TEST_CASE(spending_leaves_the_rate_thirty_days_after_its_day) {
  history h;
  h.deposit(t0, 500'00)
    .withdraw(t0 + hour, 450'00)            // 2: 50.00 vs 450.00: risk
    .deposit(t0 + 29 * ms_per_day, 1'00)    // 3: day 29: the 450.00 still counts
    .deposit(t0 + 30 * ms_per_day, 1'00)    // 4: day 30: it left the window, the episode ends
    .withdraw(t0 + 30 * ms_per_day, 60'00); // 5: -8.00 vs 60.00: risk again
  auto got = of_kind(reference(h.txs, {}), rule::overdraft_risk);
  BOOST_REQUIRE_MESSAGE(got.size() == 2u, describe(got));
  BOOST_TEST(got[0].source_id == "2");
  BOOST_TEST(got[1].source_id == "5");
  BOOST_TEST(got[1].detail == "balance -8.00, spent 60.00 in 30 days: -22.00 in 7 days");
}

BOOST_AUTO_TEST_CASE(a_card_payment_above_five_times_the_typical_one_and_the_floor_is_notified) {
  rules_config rules;
  rules.savings_floor_cents = 1'000'000'00; // no savings notifications here
  history h;
  h.deposit(t0, 5000'00);
  for (int i = 0; i < 4; ++i)
    h.pay(t0 + (i + 1) * hour, 20'00);
  h.pay(t0 + 5 * hour, 500'00, "Sky Airlines", "travel");      // 6: only 4 payments before
  h.pay(t0 + 6 * hour, 20'00);                                 // 7: below the floor
  h.pay(t0 + 7 * hour, 600'00, "Grand Jewellers", "jewellery"); // 8: 600 * 6 > 5 * 600
  h.pay(t0 + 8 * hour, 650'00, "TechWorld", "");                // 9: 650 * 7 <= 5 * 1200
  auto got = reference(h.txs, rules);
  std::vector<notification> want{
    {"alice", t0 + 7 * hour, rule::large_payment,
     "600.00 at Grand Jewellers (jewellery), typical payment 100.00 over 6 payments", "8"},
  };
  BOOST_TEST((got == want), describe(got));
}

BOOST_AUTO_TEST_CASE(a_large_payment_below_the_floor_is_not_notified) {
  rules_config rules;
  rules.savings_floor_cents = 1'000'000'00;
  history h;
  h.deposit(t0, 5000'00);
  for (int i = 0; i < 5; ++i)
    h.pay(t0 + (i + 1) * hour, 1'00);
  h.pay(t0 + 6 * hour, 99'99); // 100 times the average, below 100.00
  h.pay(t0 + 7 * hour, 100'00);
  auto got = reference(h.txs, rules);
  BOOST_REQUIRE_MESSAGE(got.size() == 1u, describe(got));
  BOOST_TEST(got[0].source_id == "8");
}

BOOST_AUTO_TEST_CASE(savings_are_suggested_after_a_deposit_once_per_episode) {
  history h;
  h.deposit(t0, 900'00)                  // 1: below the floor of 1000.00
    .pay(t0 + hour, 100'00)              // 2
    .deposit(t0 + 2 * hour, 500'00)      // 3: 1300.00 > 3 * 100.00: suggested
    .deposit(t0 + 3 * hour, 500'00)      // 4: the same episode
    .withdraw(t0 + ms_per_day, 1700'00)  // 5: 100.00 left: the episode ends
    .withdraw(t0 + ms_per_day, 1'00)     // 6: not a deposit
    .deposit(t0 + 2 * ms_per_day, 9000'00); // 7: 9099.00 > 3 * 1801.00: suggested again
  auto got = of_kind(reference(h.txs, {}), rule::savings_opportunity);
  std::vector<notification> want{
    {"alice", t0 + 2 * hour, rule::savings_opportunity, "balance 1300.00, spent 100.00 in 30 days",
     "3"},
    {"alice", t0 + 2 * ms_per_day, rule::savings_opportunity,
     "balance 9099.00, spent 1801.00 in 30 days", "7"},
  };
  BOOST_TEST((got == want), describe(got));
}

BOOST_AUTO_TEST_CASE(accounts_are_independent) {
  history h;
  h.add(tx_kind::deposit, t0, 100'00, "", "", "bob")
    .add(tx_kind::deposit, t0, 500'00, "", "", "carol")
    .add(tx_kind::withdrawal, t0 + hour, 90'00, "", "", "bob")   // 3: bob at risk
    .add(tx_kind::withdrawal, t0 + hour, 90'00, "", "", "carol"); // 4: carol is not
  auto got = reference(h.txs, {});
  BOOST_REQUIRE_MESSAGE(got.size() == 1u, describe(got));
  BOOST_TEST(got[0].account == "bob");
  BOOST_TEST(got[0].source_id == "3");
}

BOOST_AUTO_TEST_CASE(decide_persists_the_transaction_and_the_episode_it_opens) {
  account_state s;
  transaction tx{"1", "alice", t0, tx_kind::withdrawal, 10'00, "", ""};
  auto d = decide(s, tx, {});
  BOOST_REQUIRE(d.events.size() == 2u);
  BOOST_TEST(std::holds_alternative<withdrew>(d.events[0]));
  BOOST_TEST(std::holds_alternative<episode_opened>(d.events[1]));
  for (auto& e : d.events)
    apply_event(s, e);
  BOOST_TEST(s.balance == -10'00);
  BOOST_TEST(s.overdraft_open);
  BOOST_TEST(spent_30d(s) == 10'00);
  BOOST_TEST(decide(s, tx, {}).notifications.empty()); // the episode is open
}

BOOST_AUTO_TEST_CASE(malformed_records_are_rejected_with_a_reason) {
  auto reason_of = [](samples::input_record r) {
    transaction tx;
    std::string reason;
    return parse(r, tx, reason) ? std::string{"ok"} : reason;
  };
  auto fields = [](std::string account, std::string ts, std::string kind, std::string cents,
                   std::string merchant) {
    return record({{"account", account}, {"ts", ts}, {"kind", kind}, {"amount_cents", cents},
                   {"merchant", merchant}});
  };
  BOOST_TEST(reason_of(fields("a", "1000", "card_payment", "250", "Shop")) == "ok");
  BOOST_TEST(reason_of(fields("a", "1000", "deposit", "250", "")) == "ok");
  BOOST_TEST(reason_of(fields("", "1000", "deposit", "250", "")) == "account is empty");
  BOOST_TEST(reason_of(fields("a", "noon", "deposit", "250", "")) == "ts is not a time in ms");
  BOOST_TEST(reason_of(fields("a", "1000", "deposit", "-5", ""))
             == "amount_cents is not a positive integer");
  BOOST_TEST(reason_of(fields("a", "1000", "deposit", "12x", ""))
             == "amount_cents is not a positive integer");
  BOOST_TEST(reason_of(fields("a", "1000", "refund", "250", ""))
             == "kind is not deposit, withdrawal or card_payment");
  BOOST_TEST(reason_of(fields("a", "1000", "card_payment", "250", ""))
             == "a card payment needs a merchant");
  BOOST_TEST(reason_of(samples::csv_record(3, "a,1000,deposit", transaction_columns()))
             == "expected 6 fields, got 3");
  transaction tx;
  std::string reason;
  BOOST_REQUIRE(parse(samples::csv_record(3, "a,1000,card_payment,250,Shop,food", transaction_columns()),
                      tx, reason));
  BOOST_TEST(tx.source_id == "3");
  BOOST_TEST(tx.category == "food");
}

BOOST_AUTO_TEST_CASE(the_generator_is_deterministic_and_every_rule_fires) {
  generator_config config{200, 20'000, 42, 6};
  auto records = generate(config);
  BOOST_TEST((records == generate(config)));
  config.seed = 43;
  BOOST_TEST((records != generate(config)));
  std::vector<transaction> txs;
  int malformed = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    transaction tx;
    std::string reason;
    if (parse(samples::csv_record(static_cast<int64_t>(i + 1), csv_line(records[i]), transaction_columns()),
              tx, reason))
      txs.push_back(tx);
    else
      ++malformed;
  }
  BOOST_TEST(malformed == 6);
  auto got = reference(txs, {});
  std::set<rule> kinds;
  std::set<std::pair<std::string, std::string>> episodes; // (source_id, kind): each at most once
  for (auto& n : got) {
    kinds.insert(n.kind);
    BOOST_TEST(episodes.insert({n.source_id, name_of(n.kind)}).second);
  }
  BOOST_TEST_MESSAGE(got.size() << " notifications of " << txs.size() << " transactions");
  BOOST_TEST(kinds.size() == 3u);
}

BOOST_AUTO_TEST_SUITE_END()
