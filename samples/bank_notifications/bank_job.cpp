#include "bank_job.hpp"

#include <charconv>

#include "eddy/context.hpp"
#include "eddy/side_output.hpp"

namespace bank_notifications {

namespace {

namespace table = eddy::connectors::table;

const eddy::side_output<samples::bad_record> dead_letter_tag{"dead-letters"};

/// The account entity in Akka style: a transaction decides its events and
/// notifications from the state; the events rebuild the state on recovery.
struct account_entity {
  using state = account_state;
  rules_config rules;

  explicit account_entity(rules_config r) : rules(r) {
  }

  void on_command(const state& s, const transaction& tx,
                  eddy::effects<account_event, notification>& fx) {
    auto d = decide(s, tx, rules);
    for (auto& e : d.events)
      fx.persist(std::move(e));
    for (auto& n : d.notifications)
      fx.emit(n);
  }

  template <class Event>
  static void on_event(state& s, const Event& e) {
    apply_event(s, account_event{e});
  }
};

bool parse_int(const std::string& s, int64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc{} && p == s.data() + s.size();
}

} // namespace

const std::vector<std::string>& transaction_columns() {
  static const std::vector<std::string> columns{"account", "ts",       "kind",
                                                "amount_cents", "merchant", "category"};
  return columns;
}

bool parse(const samples::input_record& r, transaction& out, std::string& reason) {
  if (!r.problem.empty()) {
    reason = r.problem;
    return false;
  }
  auto text = [&r](const char* name) {
    auto* v = samples::field(r, name);
    return v ? *v : std::string{};
  };
  out = transaction{};
  out.source_id = r.id;
  out.account = text("account");
  out.merchant = text("merchant");
  out.category = text("category");
  auto kind = text("kind");
  if (out.account.empty())
    reason = "account is empty";
  else if (!parse_int(text("ts"), out.ts) || out.ts < 0)
    reason = "ts is not a time in ms";
  else if (!parse_int(text("amount_cents"), out.cents) || out.cents <= 0)
    reason = "amount_cents is not a positive integer";
  else if (kind == "deposit")
    out.kind = tx_kind::deposit;
  else if (kind == "withdrawal")
    out.kind = tx_kind::withdrawal;
  else if (kind != "card_payment")
    reason = "kind is not deposit, withdrawal or card_payment";
  else if (out.merchant.empty())
    reason = "a card payment needs a merchant";
  else
    out.kind = tx_kind::card_payment;
  return reason.empty();
}

table::table_spec notifications_table(const std::string& now_ms_sql) {
  table::table_spec spec;
  spec.table = "notifications";
  spec.columns = {"account", "ts", "kind", "detail", "source_id"};
  spec.create = "CREATE TABLE IF NOT EXISTS notifications (account TEXT NOT NULL, ts BIGINT NOT NULL, "
                "kind TEXT NOT NULL, detail TEXT NOT NULL, source_id TEXT NOT NULL, "
                "written_ms BIGINT DEFAULT "
                + now_ms_sql + ")";
  return spec;
}

table::row notification_row(const notification& n) {
  return {n.account, std::to_string(n.ts), std::string{name_of(n.kind)}, n.detail, n.source_id};
}

table::table_spec dead_letters_table() {
  table::table_spec spec;
  spec.table = "bank_dead_letters";
  spec.columns = {"source_id", "reason", "text"};
  spec.create = "CREATE TABLE IF NOT EXISTS bank_dead_letters (source_id TEXT NOT NULL, "
                "reason TEXT NOT NULL, text TEXT NOT NULL)";
  return spec;
}

void build(eddy::job& job, const samples::input_options& in, const samples::output_options& out,
           const rules_config& rules) {
  auto parsed = samples::input_stream(job, in, transaction_columns())
                  .flat_map([](const samples::input_record& r, eddy::collector<transaction>& next) {
                    transaction tx;
                    std::string reason;
                    if (parse(r, tx, reason))
                      next(tx);
                    else
                      next.output(dead_letter_tag, samples::bad_record{r.id, std::move(reason), r.text});
                  });
  parsed.side_output(dead_letter_tag)
    .sink(samples::table_output<samples::bad_record>(out, dead_letters_table(),
                                                     [](const samples::bad_record& b) {
                                                       return table::row{b.id, b.reason, b.text};
                                                     }));
  parsed.key_by(&transaction::account)
    .process_events<account_entity>(rules)
    .uid("accounts")
    .sink(samples::table_output<notification>(out, notifications_table(samples::now_ms_sql(out)),
                                              notification_row));
}

} // namespace bank_notifications
