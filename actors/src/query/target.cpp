#include "query/target.hpp"

#include "eddy/detail/json_writer.hpp"
#include "eddy/key_group.hpp"

namespace eddy::actors::query {

expected<target> resolve(const job& j, const plan& p, std::string_view op, std::string_view key) {
  auto& keyed = j.graph().keyed;
  const dataflow::keyed_stage* stage = nullptr;
  uint32_t s = 0;
  std::string known;
  // A uid wins over a name: names need not be unique, uids are.
  for (uint32_t i = 0; i < keyed.size(); ++i) {
    known += (i ? ", " : "") + keyed[i].id();
    if (keyed[i].id() == op && (!stage || stage->id() != op)) {
      stage = &keyed[i];
      s = i + 1;
    } else if (keyed[i].name == op && !stage) {
      stage = &keyed[i];
      s = i + 1;
    }
  }
  if (!stage)
    return error{errc::invalid_argument, "job " + j.config().name + " has no keyed operator '" + std::string{op}
                                           + "' (it has: " + (known.empty() ? "none" : known) + ")"};
  if (!stage->parse_key)
    return error{errc::invalid_argument,
                 "operator " + stage->id() + "'s keys (type " + stage->key_type + ") cannot be given as text"};
  auto bytes = stage->parse_key(key);
  if (!bytes)
    return error{errc::invalid_argument, "'" + std::string{key} + "' is not a key of operator " + stage->id()
                                           + " (its keys are of type " + stage->key_type + ")"};
  target t;
  t.op = stage->id();
  t.key = std::string{key};
  t.key_bytes = std::move(*bytes);
  t.stage = s;
  t.key_group = key_group_of(t.key_bytes, j.config().max_key_groups); // as keyed_terminal routes records
  t.exchange = p.exchange_id(s, p.instance_of(s, t.key_group));
  return t;
}

std::string answer_json(const target& t, const std::string& states) {
  std::string out = "{\"operator\":";
  eddy::detail::append_json_string(out, t.op);
  out += ",\"key\":";
  eddy::detail::append_json_string(out, t.key);
  out += ",\"key_group\":" + std::to_string(t.key_group) + ",\"states\":" + states + "}";
  return out;
}

} // namespace eddy::actors::query
