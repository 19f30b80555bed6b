#include "reference.hpp"

#include <map>
#include <string>

namespace bank_notifications {

std::vector<notification> reference(const std::vector<transaction>& txs, const rules_config& rules) {
  std::map<std::string, account_state> accounts;
  std::vector<notification> out;
  for (auto& tx : txs) {
    auto& s = accounts[tx.account];
    auto d = decide(s, tx, rules);
    for (auto& e : d.events)
      apply_event(s, e);
    out.insert(out.end(), d.notifications.begin(), d.notifications.end());
  }
  return out;
}

} // namespace bank_notifications
