#include "restore.hpp"

#include <algorithm>

#include "node_system.hpp"
#include "partition/in_flight.hpp"
#include "partition/input_channels.hpp"
#include "partition/recovery.hpp"
#include "partition/snapshot.hpp"
#include "records_codec.hpp"
#include "savepoint/bodies.hpp"
#include "savepoint/logic_probe.hpp"
#include "state_dir.hpp"
#include "transport/outbox.hpp"

namespace eddy::actors::savepoint {

namespace fs = std::filesystem;

namespace {

constexpr const char* restored_key = "restored_from";

std::string quoted_op(const std::string& id) {
  return "operator '" + id + "'";
}

/// The job's keyed stage for each of the savepoint's operators, by uid (the
/// k-th operator of an id to the k-th of the same id).
std::vector<int64_t> match_operators(const job& j, const manifest& m) {
  auto& g = j.graph();
  std::vector<int64_t> to(m.operators.size(), -1);
  std::vector<bool> taken(g.keyed.size(), false);
  for (size_t o = 0; o < m.operators.size(); ++o)
    for (size_t k = 0; k < g.keyed.size(); ++k)
      if (!taken[k] && g.keyed[k].id() == m.operators[o].uid) {
        taken[k] = true;
        to[o] = static_cast<int64_t>(k + 1);
        break;
      }
  return to;
}

/// Checks the states of operator `old` against those of the job's keyed
/// stage `stage`; adds the evolution of their types to `e`.
error check_states(const job& j, const operator_info& old, uint32_t stage, detail::evolution& e) {
  auto now = states_of(j.graph().keyed[stage - 1]);
  auto names = [](auto& list) {
    std::string n;
    for (auto& s : list)
      n += (n.empty() ? "" : ", ") + std::string{s.first.empty() ? "?" : s.first};
    return n;
  };
  if (now.size() != old.states.size()) {
    std::vector<std::pair<std::string, std::string>> was;
    for (auto& s : old.states)
      was.emplace_back(s.name, s.schema);
    return {errc::invalid_argument, quoted_op(old.uid) + " had " + std::to_string(old.states.size()) + " states (" + names(was)
                                      + ") and declares " + std::to_string(now.size()) + " (" + names(now)
                                      + "): states cannot be added to or removed from an operator with state; give it a new "
                                        "uid and start with --allow-non-restored-state to start it empty"};
  }
  for (size_t i = 0; i < now.size(); ++i) {
    auto& o = old.states[i];
    auto [name, schema] = now[i];
    auto state = quoted_op(old.uid) + " state '" + o.name + "'";
    auto strip = [](std::string& s) {
      bool ttl = s.rfind("ttl ", 0) == 0;
      if (ttl)
        s.erase(0, 4);
      return ttl;
    };
    auto old_schema = o.schema;
    bool old_ttl = strip(old_schema), now_ttl = strip(schema);
    if (old_ttl != now_ttl)
      return {errc::invalid_argument, state + ": its TTL was " + (old_ttl ? "on" : "off") + " and is " + (now_ttl ? "on" : "off")
                                        + " now; the savepoint cannot restore it"};
    if (old_schema == schema || old_schema == "timers")
      continue;
    try {
      auto a = detail::parse_schema(old_schema);
      auto b = detail::parse_schema(schema);
      if (auto why = detail::evolution_problem(a, b, ""); !why.empty())
        return {errc::invalid_argument, state + ": its type changed (" + why + "); the savepoint cannot restore it"};
      e.add(a, b);
    } catch (const decode_error& err) {
      return {errc::corrupt, state + ": " + err.what()};
    }
  }
  return {};
}

/// For the savepoint's stage `s`: its output edges (consumer stage, first
/// flat index, indexes), from the shape it recorded.
struct old_edge {
  uint32_t stage, first, size;
};
std::vector<std::vector<old_edge>> old_edges(const manifest& m) {
  auto keyed = static_cast<uint32_t>(m.operators.size());
  std::vector<std::vector<old_edge>> edges(keyed + 1);
  // "source -> k0 s1, k0 -> s0": per producer, its edges in order.
  size_t pos = 0;
  auto& t = m.shape;
  while (pos < t.size()) {
    auto arrow = t.find(" ->", pos);
    if (arrow == std::string::npos)
      break;
    auto producer = t.substr(pos, arrow - pos);
    uint32_t p = producer == "source" ? 0 : static_cast<uint32_t>(std::stoul(producer.substr(1))) + 1;
    auto end = t.find(", ", arrow);
    auto list = t.substr(arrow + 3, end == std::string::npos ? std::string::npos : end - arrow - 3);
    uint32_t first = 0;
    for (size_t i = 0; i + 1 < list.size();) {
      auto next = list.find(' ', i + 1);
      auto e = list.substr(i + 1, next == std::string::npos ? std::string::npos : next - i - 1);
      auto n = static_cast<uint32_t>(std::stoul(e.substr(1)));
      uint32_t stage = e[0] == 'k' ? n + 1 : keyed + 1 + n;
      uint32_t size = e[0] == 'k' ? m.max_key_groups : m.layout.sink_instances.at(n);
      if (p < edges.size())
        edges[p].push_back({stage, first, size});
      first += size;
      i = next == std::string::npos ? list.size() : next;
    }
    pos = end == std::string::npos ? t.size() : end + 2;
  }
  return edges;
}

/// Whether anything of savepoint `dir` is in flight: an output no consumer
/// image applied, or a consumer that applied what its source would read
/// again. A job whose shape changed can only resume from one without.
error check_drained(const fs::path& dir, const manifest& m) {
  auto quoted = "savepoint '" + dir.string() + "'";
  auto edges = old_edges(m);
  auto keyed = static_cast<uint32_t>(m.operators.size());
  // Every consumer's marks: (consumer stage, index) → producer (pid or index) → seq.
  std::map<std::pair<uint32_t, uint32_t>, std::map<uint64_t, uint64_t>> marks;
  // Every producer's sent outputs: (producer pid, flat target) → highest seq.
  std::map<std::pair<uint64_t, uint32_t>, uint64_t> sent;
  for (auto& ref : m.bodies) {
    auto img = read_image(dir, ref);
    if (!img)
      return img.error();
    auto pid = journal::partition_id_of(ref.stage, ref.index);
    auto& mine = marks[{ref.stage, ref.index}];
    try {
      if (ref.stage == 0 || ref.stage > keyed) {
        auto c = decode_checkpoint(img->snapshot);
        for (auto& p : c.channels) {
          if (ref.stage == 0)
            sent[{pid, static_cast<uint32_t>(p.peer)}] = p.seq - 1; // next seq
          else
            mine[p.peer] = std::max(mine[p.peer], p.seq);
        }
        continue;
      }
      auto note = [&](const std::vector<position>& inputs, const std::vector<target_batch>& outs) {
        for (auto& p : inputs)
          mine[p.peer] = std::max(mine[p.peer], p.seq);
        for (auto& o : outs) {
          auto& s = sent[{pid, o.target}];
          s = std::max(s, o.batch.last_seq());
        }
      };
      if (!img->snapshot.empty()) {
        auto snap = decode_snapshot(img->snapshot);
        note(snap.inputs, snap.outbox);
        for (auto& p : snap.next_seqs) {
          auto& s = sent[{pid, static_cast<uint32_t>(p.peer)}];
          s = std::max(s, p.seq - 1);
        }
      }
      for (auto& [seq, body] : img->entries) {
        auto e = decode_entry(body);
        note(e.inputs, e.outputs);
      }
    } catch (const std::exception& e) {
      return error{errc::corrupt, quoted + ": the image of stage " + std::to_string(ref.stage) + " index "
                                    + std::to_string(ref.index) + " does not decode: " + e.what()};
    }
  }
  for (auto& [key, last] : sent) {
    auto [pid, target] = key;
    auto p = journal::stage_of(pid);
    for (auto& e : p < edges.size() ? edges[p] : std::vector<old_edge>{})
      if (target >= e.first && target < e.first + e.size) {
        bool to_sink = e.stage > keyed;
        auto& consumer = marks[{e.stage, target - e.first}];
        auto got = consumer[to_sink ? journal::index_of(pid) : pid];
        if (got != last)
          return error{errc::invalid_argument,
                       quoted + " has records in flight (stage " + std::to_string(p) + " index " + std::to_string(journal::index_of(pid))
                         + " sent up to " + std::to_string(last) + ", its consumer applied " + std::to_string(got)
                         + "); a job whose operators changed resumes only from a stop's savepoint "
                           "(eddy-cluster stop --with-savepoint, or SIGUSR2)"};
      }
  }
  return {};
}

} // namespace

expected<restore_plan> check_savepoint(const job& j, const fs::path& dir, bool verify_all) {
  auto m = read_manifest(dir);
  if (!m)
    return m.error();
  auto& cfg = j.config();
  auto& g = j.graph();
  auto quoted = "savepoint '" + dir.string() + "'";
  if (m->job != cfg.name)
    return error{errc::invalid_argument, quoted + " is of job '" + m->job + "', not '" + cfg.name + "'"};
  if (m->max_key_groups != cfg.max_key_groups)
    return error{errc::invalid_argument, quoted + " has " + std::to_string(m->max_key_groups)
                                           + " key groups; start the job with --max-key-groups "
                                           + std::to_string(m->max_key_groups)};
  if (m->layout.splits.empty() || m->layout.sink_instances.size() != m->sinks.size())
    return error{errc::corrupt, quoted + " has a job layout that does not match its sinks"};
  restore_plan plan;
  auto old_keyed = static_cast<uint32_t>(m->operators.size());
  auto new_keyed = static_cast<uint32_t>(g.keyed.size());
  plan.stage_of.assign(old_keyed + 1 + m->sinks.size(), -1);
  plan.stage_of[0] = 0;
  auto ops = match_operators(j, *m);
  for (uint32_t o = 0; o < old_keyed; ++o) {
    auto& op = m->operators[o];
    if (op.stage != o + 1)
      return error{errc::corrupt, quoted + " lists its operators out of order"};
    if (ops[o] < 0) {
      if (!cfg.allow_non_restored_state)
        return error{errc::invalid_argument, quoted + " holds the state of " + quoted_op(op.uid)
                                               + ", which the job does not have; start with "
                                                 "--allow-non-restored-state to drop it"};
      plan.dropped.push_back(quoted_op(op.uid));
      continue;
    }
    plan.stage_of[o + 1] = ops[o];
    if (auto err = check_states(j, op, static_cast<uint32_t>(ops[o]), plan.evolutions[static_cast<uint32_t>(ops[o])]))
      return error{err.code(), quoted + ": " + err.message()};
  }
  // Sinks by name; a new sink starts empty, a dropped one's position goes.
  plan.layout.split_hint = m->layout.split_hint;
  plan.layout.splits = m->layout.splits;
  std::vector<bool> taken(g.sinks.size(), false);
  for (size_t k = 0; k < g.sinks.size(); ++k)
    plan.layout.sink_instances.push_back(
      std::clamp<uint32_t>(cfg.parallelism, 1, std::max<uint32_t>(g.sinks[k]->max_instances, 1)));
  for (size_t s = 0; s < m->sinks.size(); ++s) {
    for (size_t k = 0; k < g.sinks.size(); ++k)
      if (!taken[k] && g.sinks[k]->name == m->sinks[s].name) {
        taken[k] = true;
        plan.stage_of[old_keyed + 1 + s] = new_keyed + 1 + k;
        plan.layout.sink_instances[k] = m->layout.sink_instances[s];
        break;
      }
    if (plan.stage_of[old_keyed + 1 + s] < 0)
      plan.dropped.push_back("sink '" + m->sinks[s].name + "'");
  }
  for (size_t s = 0; s < plan.stage_of.size(); ++s)
    plan.reset_channels = plan.reset_channels || plan.stage_of[s] != static_cast<int64_t>(s);
  plan.reset_channels = plan.reset_channels || m->shape != shape_of(j) || old_keyed != new_keyed
                        || m->sinks.size() != g.sinks.size();
  for (auto& b : m->bodies)
    if (b.stage >= plan.stage_of.size() || (b.stage >= 1 && b.stage <= old_keyed && b.index >= cfg.max_key_groups))
      return error{errc::corrupt, quoted + " holds an image of stage " + std::to_string(b.stage) + " index "
                                    + std::to_string(b.index) + ", which its job does not have"};
  if (verify_all)
    if (auto err = verify_bodies(dir, m->bodies))
      return err;
  if (plan.reset_channels)
    if (auto err = check_drained(dir, *m))
      return err;
  plan.m = std::move(*m);
  return plan;
}

namespace {

/// The image of a keyed partition of `stage` after an upgrade: its state
/// read by the job's logic (through the evolution of its types) and written
/// again, with its channel positions kept (same shape) or started over.
image rewritten(const job& j, const restore_plan& plan, uint32_t stage, const image& img) {
  probed_logic p{j.graph().keyed[stage - 1]};
  auto e = plan.evolutions.find(stage);
  detail::evolution_scope scope{e == plan.evolutions.end() ? nullptr : &e->second};
  std::vector<std::string> entries;
  uint64_t last = img.snapshot_seq;
  for (auto& [seq, body] : img.entries) {
    entries.push_back(body);
    last = std::max(last, seq);
  }
  auto the_plan = plan_of(j, plan.layout);
  auto& st = the_plan.stage(stage);
  auto producer_stage = static_cast<uint32_t>(std::max(st.producer, 0));
  input_channels inputs{producer_stage, the_plan.stage(producer_stage).indexes};
  outbox outputs{st.flat_size};
  snapshot_record snap;
  if (plan.reset_channels) {
    if (!img.snapshot.empty())
      p.logic->restore(decode_snapshot(img.snapshot).state);
    for (auto& body : entries)
      p.logic->apply_log(decode_entry(body).state_log);
    p.logic->snapshot(snap.state);
  } else {
    replay(*p.logic, img.snapshot, entries, inputs, outputs);
    snap = snapshot_of(*p.logic, inputs, outputs, in_flight_entries{});
  }
  image out;
  out.snapshot_seq = std::max<uint64_t>(last, 1);
  out.snapshot = encode(snap);
  return out;
}

/// A source's or sink's checkpoint with its channels started over.
image without_channels(const image& img) {
  auto c = decode_checkpoint(img.snapshot);
  c.channels.clear();
  image out = img;
  out.snapshot = encode(c);
  return out;
}

} // namespace

error restore_into(const job& j, journal::sqlite_journal& jn, const fs::path& dir, const restore_plan& plan,
                   const std::function<bool(uint32_t, uint32_t)>& holds, const std::string& where) {
  auto id = fs::absolute(dir).lexically_normal().string();
  auto restored = jn.meta(restored_key);
  if (!restored)
    return restored.error();
  auto parts = jn.partitions();
  if (!parts)
    return parts.error();
  if (*restored && **restored == id && !parts->empty())
    return {}; // restarted after the restore: its state is the journal's now
  if (!parts->empty())
    return error{errc::invalid_argument, where + " already holds the state of a run" +
                                           (*restored ? " restored from '" + **restored + "'" : std::string{})
                                           + ": resume a savepoint into a new or empty state directory"};
  if (auto err = store_layout(jn, plan.layout))
    return error{err.code(), where + ": " + err.message()};
  auto keyed = static_cast<uint32_t>(j.graph().keyed.size());
  for (auto& ref : plan.m.bodies) {
    auto to = plan.stage_of.at(ref.stage);
    if (to < 0 || !holds(static_cast<uint32_t>(to), ref.index))
      continue;
    auto stage = static_cast<uint32_t>(to);
    auto img = read_image(dir, ref);
    if (!img)
      return img.error();
    try {
      if (stage >= 1 && stage <= keyed && plan.rewrites(stage))
        *img = rewritten(j, plan, stage, *img);
      else if ((stage == 0 || stage > keyed) && plan.reset_channels && !img->snapshot.empty())
        *img = without_channels(*img);
    } catch (const std::exception& e) {
      return error{errc::corrupt, "savepoint '" + dir.string() + "': the state of stage " + std::to_string(ref.stage)
                                    + " index " + std::to_string(ref.index) + " cannot be restored: " + e.what()};
    }
    stage_image(jn, journal::partition_id_of(stage, ref.index), *img);
  }
  auto statuses = jn.commit();
  if (!statuses)
    return error{statuses.error().code(), where + ": " + statuses.error().message()};
  for (auto s : *statuses)
    if (s != journal::write_status::written)
      return error{errc::corrupt, where + ": the journal refused an image of savepoint '" + dir.string() + "'"};
  return jn.meta(restored_key, id);
}

} // namespace eddy::actors::savepoint
