#pragma once

// The expected notifications of a list of transactions, computed without
// the Eddy runtime: what the job must write exactly once, whatever crashes.

#include <vector>

#include "account.hpp"

namespace bank_notifications {

/// The notifications of `txs`, taken in order: per account, decide() on its
/// state and apply_event() its events, as the job's partitions do.
std::vector<notification> reference(const std::vector<transaction>& txs, const rules_config& rules);

} // namespace bank_notifications
