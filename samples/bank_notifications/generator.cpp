#include "generator.hpp"

#include <algorithm>
#include <cstdio>

#include "sample_support.hpp"

namespace bank_notifications {

namespace {

/// How an account spends and earns; each has its share of the accounts.
enum class profile { regular, spender, saver, splurger };

struct merchant {
  const char* name;
  const char* category;
};

constexpr merchant merchants[] = {
  {"Corner Grocer", "groceries"}, {"City Transit", "transport"}, {"Bean There", "cafe"},
  {"MegaMart", "groceries"},      {"Fuel Stop", "fuel"},         {"Book Nook", "books"},
  {"Streamly", "subscriptions"},  {"Pharmacy Plus", "health"},
};

constexpr merchant splurges[] = {
  {"Grand Jewellers", "jewellery"}, {"Sky Airlines", "travel"}, {"TechWorld", "electronics"},
};

/// Cents uniform in [low, high] whole units.
int64_t cents_between(samples::random_source& rnd, int64_t low, int64_t high) {
  return low * 100 + rnd.below<int64_t>((high - low) * 100 + 1);
}

profile profile_of(samples::random_source& rnd) {
  auto r = rnd.below<int>(100);
  return r < 60 ? profile::regular : r < 75 ? profile::spender : r < 90 ? profile::saver : profile::splurger;
}

/// The next transaction of an account of profile `p` (not its first).
generated_record next_transaction(samples::random_source& rnd, profile p, const std::string& account,
                                  int64_t ts) {
  auto row = [&](const char* kind, int64_t cents, const merchant* m) {
    return generated_record{account, std::to_string(ts), kind, std::to_string(cents),
                            m ? m->name : "", m ? m->category : ""};
  };
  auto deposit_p = p == profile::saver ? 6 : p == profile::spender ? 3 : 4; // percent
  if (rnd.below<int>(100) < deposit_p)
    return p == profile::saver   ? row("deposit", cents_between(rnd, 3000, 6000), nullptr)
           : p == profile::spender ? row("deposit", cents_between(rnd, 1000, 2000), nullptr)
                                   : row("deposit", cents_between(rnd, 1500, 2500), nullptr);
  if (p == profile::saver)
    return row("card_payment", cents_between(rnd, 5, 40), &merchants[rnd.below<size_t>(std::size(merchants))]);
  if (p == profile::splurger && rnd.below<int>(100) < 3)
    return row("card_payment", cents_between(rnd, 500, 3000),
               &splurges[rnd.below<size_t>(std::size(splurges))]);
  if (rnd.below<int>(100) < 20)
    return row("withdrawal", cents_between(rnd, 20, 200), nullptr);
  return row("card_payment", cents_between(rnd, 5, 100), &merchants[rnd.below<size_t>(std::size(merchants))]);
}

/// The k-th kind of malformed record, at time `ts`.
generated_record malformed_record(int64_t k, int64_t ts) {
  auto t = std::to_string(ts);
  switch (k % 6) {
    case 0:
      return {"acct-00000", t, "refund", "500", "", ""};
    case 1:
      return {"acct-00000", t, "deposit", "12x", "", ""};
    case 2:
      return {"acct-00000", t, "withdrawal", "-500", "", ""};
    case 3:
      return {"acct-00000", "noon", "deposit", "500", "", ""};
    case 4:
      return {"", t, "deposit", "500", "", ""};
  }
  return {"acct-00000", t, "card_payment", "500", "", ""};
}

} // namespace

std::vector<generated_record> generate(const generator_config& config) {
  samples::random_source rnd{config.seed};
  auto n = static_cast<size_t>(config.accounts);
  std::vector<profile> profiles(n);
  for (auto& p : profiles)
    p = profile_of(rnd);
  std::vector<bool> opened(n, false);
  auto mean_gap = std::max<int64_t>(1, 28'800'000 / config.accounts); // ~3 a day per account
  std::vector<generated_record> out;
  out.reserve(static_cast<size_t>(config.transactions + config.malformed));
  int64_t ts = 1'700'000'000'000;
  int64_t bad = 0;
  for (int64_t i = 0; i < config.transactions; ++i) {
    while (bad < config.malformed && i == (bad + 1) * config.transactions / (config.malformed + 1))
      out.push_back(malformed_record(bad++, ts));
    ts += 1 + rnd.below<int64_t>(2 * mean_gap - 1);
    auto a = rnd.below(n);
    char account[32];
    std::snprintf(account, sizeof account, "acct-%05zu", a);
    if (!opened[a]) { // every account opens with a deposit
      opened[a] = true;
      auto cents = profiles[a] == profile::saver ? cents_between(rnd, 2000, 5000)
                                                 : cents_between(rnd, 500, 3000);
      out.push_back({account, std::to_string(ts), "deposit", std::to_string(cents), "", ""});
      continue;
    }
    out.push_back(next_transaction(rnd, profiles[a], account, ts));
  }
  while (bad < config.malformed)
    out.push_back(malformed_record(bad++, ts));
  return out;
}

std::string csv_line(const generated_record& r) {
  std::string line;
  for (size_t i = 0; i < r.size(); ++i)
    line += (i ? "," : "") + r[i];
  return line;
}

} // namespace bank_notifications
