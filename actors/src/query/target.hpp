#pragma once

// Which partition a query of one key's state goes to: the keyed operator
// named by its uid or name, the key given as text turned into its
// canonical bytes, their key group and the instance that owns it.

#include <cstdint>
#include <string>
#include <string_view>

#include "eddy/error.hpp"
#include "eddy/job.hpp"
#include "plan.hpp"

namespace eddy::actors::query {

/// One key of one keyed operator, resolved against a job's plan.
struct target {
  std::string op;        ///< the operator's id (its uid, else its name)
  std::string key;       ///< the key as it was given
  std::string key_bytes; ///< its canonical bytes: what records are routed and stored by
  uint32_t stage = 0;    ///< the keyed stage (1..n)
  uint32_t key_group = 0;
  uint32_t exchange = 0; ///< plan::exchange_id of the instance that owns the key group
};

/// Resolves operator `op` (a keyed stage's uid or name) and key `key` of a
/// job planned as `p`. errc::invalid_argument for an operator the job has
/// not, a key its key type cannot be read from, or a key type with no text
/// form; the message says which (what the launcher exits 2 for).
[[nodiscard]] expected<target> resolve(const job& j, const plan& p, std::string_view op, std::string_view key);

/// The answer to a query: `{"operator": ..., "key": ..., "key_group": ...,
/// "states": STATES}`, with `states` a partition's state_json.
std::string answer_json(const target& t, const std::string& states);

} // namespace eddy::actors::query
