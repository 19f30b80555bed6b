#pragma once

// The bank_notifications job: transactions (CSV lines or a Redis stream) →
// parse (malformed records to the dead letters) → key by account → the
// account entity (process_events, account.hpp) → the notifications table.

#include <optional>
#include <string>
#include <vector>

#include "account.hpp"
#include "connector_options.hpp"
#include "eddy/connectors/table/table_sink.hpp"
#include "eddy/job.hpp"

namespace bank_notifications {

/// The fields of a transaction, in their CSV order.
const std::vector<std::string>& transaction_columns();

/// Parses a record's fields `account, ts, kind (deposit | withdrawal |
/// card_payment), amount_cents (> 0), merchant (card payments), category`
/// into `out`; on failure returns false and sets `reason`.
bool parse(const samples::input_record& r, transaction& out, std::string& reason);

/// The table of notifications(account, ts, kind, detail, source_id,
/// written_ms), created by the job, insert-only; `now_ms_sql` is the
/// database's DEFAULT for written_ms (samples::now_ms_sql).
eddy::connectors::table::table_spec notifications_table(const std::string& now_ms_sql);

/// The row of `n` in notifications_table().
eddy::connectors::table::row notification_row(const notification& n);

/// The table of bank_dead_letters(source_id, reason, text), created by the job.
eddy::connectors::table::table_spec dead_letters_table();

/// Builds the job from `in` to `out` with `rules`.
void build(eddy::job& job, const samples::input_options& in, const samples::output_options& out,
           const rules_config& rules);

} // namespace bank_notifications
