#include "taking.hpp"

#include <chrono>
#include <ctime>
#include <set>

#include "savepoint/bodies.hpp"
#include "savepoint/durable_file.hpp"
#include "savepoint/logic_probe.hpp"
#include "state_dir.hpp"

namespace eddy::actors::savepoint {

namespace fs = std::filesystem;

namespace {

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

/// 20261203-121502-123: sorts by time.
std::string stamp(int64_t ms) {
  std::time_t secs = ms / 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s-%03d", buf, static_cast<int>(ms % 1000));
  return out;
}

} // namespace

expected<target> begin(const fs::path& root, const std::string& to) {
  target t;
  std::error_code ec;
  if (to.empty()) {
    fs::create_directories(root, ec);
    if (ec)
      return error{errc::io, "cannot create the savepoint directory '" + root.string() + "': " + ec.message()};
    // What a savepoint killed while it was written left: the job takes one at a time.
    for (auto it = fs::directory_iterator(root, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
      auto name = it->path().filename().string();
      if (name.rfind(".savepoint-", 0) == 0 && name.size() > 8 && name.ends_with(".pending"))
        fs::remove_all(it->path(), ec);
    }
    ec.clear();
    for (auto ms = now_ms();; ++ms) { // two in the same ms get the next one
      t.final = root / ("savepoint-" + stamp(ms));
      if (!fs::exists(t.final, ec))
        break;
    }
  } else {
    t.final = fs::absolute(to).lexically_normal();
    if (t.final.filename().empty())
      t.final = t.final.parent_path();
    if (fs::exists(t.final, ec))
      return error{errc::invalid_argument, "savepoint target '" + to + "' exists already"};
    fs::create_directories(t.final.parent_path(), ec);
  }
  t.pending = t.final.parent_path() / ("." + t.final.filename().string() + ".pending");
  fs::remove_all(t.pending, ec);
  fs::create_directories(t.pending, ec);
  if (ec)
    return error{errc::io, "cannot create '" + t.pending.string() + "': " + ec.message()};
  return t;
}

manifest manifest_of(const job& j, const job_layout& layout, const std::string& origin) {
  manifest m;
  auto& cfg = j.config();
  m.job = cfg.name;
  m.shape = shape_of(j);
  m.max_key_groups = cfg.max_key_groups;
  m.parallelism = cfg.parallelism;
  m.origin = origin;
  m.created_ms = now_ms();
  m.layout = layout;
  auto& g = j.graph();
  for (uint32_t s = 1; s <= g.keyed.size(); ++s) {
    auto& k = g.keyed[s - 1];
    operator_info op{s, k.name, k.id(), {}};
    for (auto& [name, schema] : states_of(k))
      op.states.push_back({name, schema});
    m.operators.push_back(std::move(op));
  }
  for (uint32_t k = 0; k < g.sinks.size(); ++k)
    m.sinks.push_back({static_cast<uint32_t>(g.keyed.size() + 1 + k), g.sinks[k]->name});
  return m;
}

expected<std::vector<body_ref>> write_copies(const fs::path& pending,
                                             const std::vector<std::pair<std::string, std::string>>& copies) {
  std::vector<body_ref> all;
  for (auto& [path, name] : copies) {
    fs::path copy = path;
    auto refs = write_bodies(copy, pending, name);
    std::error_code ec;
    fs::remove_all(copy.parent_path(), ec);
    if (!refs)
      return refs.error();
    all.insert(all.end(), refs->begin(), refs->end());
  }
  return all;
}

error finish(const target& t, const manifest& m) {
  std::set<std::pair<uint32_t, uint32_t>> seen;
  for (auto& b : m.bodies)
    if (!seen.insert({b.stage, b.index}).second)
      return error{errc::corrupt, "two journals hold stage " + std::to_string(b.stage) + " index "
                                    + std::to_string(b.index) + ": the savepoint is not consistent"};
  if (auto err = write_manifest(t.pending, m))
    return err;
  if (auto err = sync_path(t.pending))
    return err;
  std::error_code ec;
  fs::rename(t.pending, t.final, ec);
  if (ec)
    return error{errc::io, "cannot rename '" + t.pending.string() + "' to '" + t.final.string() + "': " + ec.message()};
  return sync_path(t.final.parent_path());
}

void abandon(const target& t) {
  std::error_code ec;
  fs::remove_all(t.pending, ec);
}

} // namespace eddy::actors::savepoint
