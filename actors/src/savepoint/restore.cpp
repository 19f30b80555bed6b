#include "restore.hpp"

#include "job_layout.hpp"
#include "savepoint/bodies.hpp"
#include "state_dir.hpp"

namespace eddy::actors::savepoint {

namespace fs = std::filesystem;

namespace {

constexpr const char* restored_key = "restored_from";

} // namespace

expected<manifest> check_savepoint(const job& j, const fs::path& dir) {
  auto m = read_manifest(dir);
  if (!m)
    return m.error();
  auto& cfg = j.config();
  auto quoted = "savepoint '" + dir.string() + "'";
  if (m->job != cfg.name)
    return error{errc::invalid_argument, quoted + " is of job '" + m->job + "', not '" + cfg.name + "'"};
  if (m->max_key_groups != cfg.max_key_groups)
    return error{errc::invalid_argument, quoted + " has " + std::to_string(m->max_key_groups)
                                           + " key groups; start the job with --max-key-groups "
                                           + std::to_string(m->max_key_groups)};
  auto& g = j.graph();
  if (m->layout.sink_instances.size() != g.sinks.size() || m->layout.splits.empty())
    return error{errc::corrupt, quoted + " has a job layout that does not match the job's sinks"};
  if (m->shape != shape_of(j))
    return error{errc::invalid_argument, quoted + " is of a job shaped '" + m->shape + "', not '" + shape_of(j) + "'"};
  for (auto& o : m->operators)
    if (o.stage < 1 || o.stage > g.keyed.size() || g.keyed[o.stage - 1].name != o.name)
      return error{errc::invalid_argument, quoted + " has state of operator '" + o.name + "', which the job does not have"};
  for (auto& b : m->bodies)
    if (b.stage > g.keyed.size() + g.sinks.size() || (b.stage >= 1 && b.stage <= g.keyed.size() && b.index >= cfg.max_key_groups))
      return error{errc::corrupt, quoted + " holds an image of stage " + std::to_string(b.stage) + " index "
                                    + std::to_string(b.index) + ", which no job of its shape has"};
  return m;
}

error restore_into(journal::sqlite_journal& jn, const fs::path& dir, const manifest& m,
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
  if (auto err = store_layout(jn, m.layout))
    return error{err.code(), where + ": " + err.message()};
  for (auto& ref : m.bodies) {
    if (!holds(ref.stage, ref.index))
      continue;
    auto img = read_image(dir, ref);
    if (!img)
      return img.error();
    stage_image(jn, journal::partition_id_of(ref.stage, ref.index), *img);
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
