#include "catalog.hpp"

#include <chrono>

namespace eddy::manager {

using nlohmann::json;

namespace {

/// Migration N takes a catalog from version N-1 to N; each runs once, in a
/// transaction with the version it sets. Never edit one that has shipped:
/// add the next.
const std::vector<std::string> migrations = {
  // 1: the records.
  R"(CREATE TABLE deployments(
       id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, spec TEXT NOT NULL,
       spec_version INTEGER NOT NULL, desired TEXT NOT NULL, state TEXT NOT NULL, job_id INTEGER,
       restarts INTEGER NOT NULL DEFAULT 0, last_failure TEXT, created_ms INTEGER NOT NULL,
       updated_ms INTEGER NOT NULL, deleted_ms INTEGER);
     CREATE UNIQUE INDEX deployments_by_live_name ON deployments(name) WHERE deleted_ms IS NULL;
     CREATE TABLE jobs(
       id INTEGER PRIMARY KEY AUTOINCREMENT, deployment_id INTEGER NOT NULL REFERENCES deployments(id),
       spec TEXT NOT NULL, spec_version INTEGER NOT NULL, dir TEXT NOT NULL, state TEXT NOT NULL,
       restored_from TEXT NOT NULL, started_ms INTEGER NOT NULL, ended_ms INTEGER, exit_code INTEGER,
       failure TEXT);
     CREATE TABLE savepoints(
       id INTEGER PRIMARY KEY AUTOINCREMENT, deployment_id INTEGER NOT NULL REFERENCES deployments(id),
       job_id INTEGER, origin TEXT NOT NULL, state TEXT NOT NULL, path TEXT, size_bytes INTEGER,
       requested_ms INTEGER NOT NULL, completed_ms INTEGER, failure TEXT);
     CREATE TABLE events(
       id INTEGER PRIMARY KEY AUTOINCREMENT, deployment_id INTEGER NOT NULL REFERENCES deployments(id),
       job_id INTEGER, time_ms INTEGER NOT NULL, kind TEXT NOT NULL, message TEXT NOT NULL))",
  // 2: a deployment's events and savepoints are read by deployment, newest last.
  R"(CREATE INDEX events_by_deployment ON events(deployment_id, id);
     CREATE INDEX savepoints_by_deployment ON savepoints(deployment_id, id))",
};

const char* deployment_columns =
  "id, name, spec, spec_version, desired, state, job_id, restarts, last_failure, created_ms, updated_ms";
const char* job_columns =
  "id, deployment_id, spec, spec_version, dir, state, restored_from, started_ms, ended_ms, exit_code, failure";
const char* savepoint_columns =
  "id, deployment_id, job_id, origin, state, path, size_bytes, requested_ms, completed_ms, failure";

deployment_spec spec_of(const std::string& text) {
  return apply_spec({}, json::parse(text));
}

deployment_record deployment_of(const db_row& r) {
  return {r.integer(0), r.text(1), spec_of(r.text(2)), r.integer(3), desired_state_of(r.text(4), "desired"),
          r.text(5),    r.integer(6), r.integer(7), r.text(8), r.integer(9), r.integer(10)};
}

job_record job_of(const db_row& r) {
  return {r.integer(0), r.integer(1), spec_of(r.text(2)), r.integer(3), r.text(4), r.text(5), r.text(6),
          r.integer(7), r.integer(8), r.null(9) ? std::nullopt : std::optional{r.integer(9)}, r.text(10)};
}

savepoint_record savepoint_of(const db_row& r) {
  return {r.integer(0), r.integer(1), r.integer(2), r.text(3), r.text(4),
          r.text(5),    r.integer(6), r.integer(7), r.integer(8), r.text(9)};
}

db_value text(const std::string& s) {
  return s;
}

db_value integer(int64_t n) {
  return n;
}

} // namespace

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

catalog::catalog(const std::filesystem::path& file) : db_(file.string()) {
  migrate(file);
}

void catalog::migrate(const std::filesystem::path& file) {
  db_.script("CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)");
  auto rows = db_.query("SELECT version FROM schema_version");
  int64_t at = rows.empty() ? 0 : rows.front().integer(0);
  if (rows.empty())
    db_.script("INSERT INTO schema_version VALUES (0)");
  if (at > static_cast<int64_t>(migrations.size()))
    throw db_error("catalog '" + file.string() + "' has schema version " + std::to_string(at)
                   + ", newer than this manager's " + std::to_string(migrations.size())
                   + ": run the manager that wrote it");
  for (; at < static_cast<int64_t>(migrations.size()); ++at) {
    db_.script("BEGIN IMMEDIATE");
    try {
      db_.script(migrations[static_cast<size_t>(at)]);
      db_.query("UPDATE schema_version SET version = ?1", {integer(at + 1)});
      db_.script("COMMIT");
    } catch (...) {
      db_.script("ROLLBACK");
      throw;
    }
  }
}

int64_t catalog::latest_version() {
  return static_cast<int64_t>(migrations.size());
}

int64_t catalog::version() {
  std::lock_guard lock{mutex_};
  return db_.query("SELECT version FROM schema_version").front().integer(0);
}

int64_t catalog::add_deployment(const std::string& name, const deployment_spec& spec, desired_state desired) {
  std::lock_guard lock{mutex_};
  auto now = now_ms();
  db_.query("INSERT INTO deployments(name, spec, spec_version, desired, state, created_ms, updated_ms) "
            "VALUES (?1, ?2, 1, ?3, ?4, ?5, ?5)",
            {text(name), text(to_json(spec).dump()), text(to_string(desired)),
             text(desired == desired_state::running ? "STARTING" : to_string(desired)), integer(now)});
  return db_.last_insert_id();
}

std::optional<deployment_record> catalog::deployment(const std::string& name) {
  std::lock_guard lock{mutex_};
  auto rows = db_.query(std::string{"SELECT "} + deployment_columns
                          + " FROM deployments WHERE name = ?1 AND deleted_ms IS NULL",
                        {text(name)});
  return rows.empty() ? std::nullopt : std::optional{deployment_of(rows.front())};
}

std::optional<deployment_record> catalog::deployment(int64_t id) {
  std::lock_guard lock{mutex_};
  auto rows = db_.query(std::string{"SELECT "} + deployment_columns + " FROM deployments WHERE id = ?1 AND deleted_ms IS NULL",
                        {integer(id)});
  return rows.empty() ? std::nullopt : std::optional{deployment_of(rows.front())};
}

std::vector<deployment_record> catalog::deployments() {
  std::lock_guard lock{mutex_};
  std::vector<deployment_record> all;
  for (auto& r : db_.query(std::string{"SELECT "} + deployment_columns
                           + " FROM deployments WHERE deleted_ms IS NULL ORDER BY name"))
    all.push_back(deployment_of(r));
  return all;
}

std::string catalog::deployment_name(int64_t id) {
  std::lock_guard lock{mutex_};
  auto rows = db_.query("SELECT name FROM deployments WHERE id = ?1", {integer(id)});
  return rows.empty() ? std::string{} : rows.front().text(0);
}

void catalog::change_deployment(int64_t id, const std::optional<deployment_spec>& spec,
                                std::optional<desired_state> desired) {
  std::lock_guard lock{mutex_};
  if (spec)
    db_.query("UPDATE deployments SET spec = ?2, spec_version = spec_version + 1, updated_ms = ?3 WHERE id = ?1",
              {integer(id), text(to_json(*spec).dump()), integer(now_ms())});
  if (desired)
    db_.query("UPDATE deployments SET desired = ?2, updated_ms = ?3 WHERE id = ?1",
              {integer(id), text(to_string(*desired)), integer(now_ms())});
}

void catalog::observe(int64_t id, const std::string& state) {
  std::lock_guard lock{mutex_};
  db_.query("UPDATE deployments SET state = ?2, updated_ms = ?3 WHERE id = ?1 AND state != ?2",
            {integer(id), text(state), integer(now_ms())});
}

void catalog::set_current_job(int64_t id, int64_t job_id) {
  std::lock_guard lock{mutex_};
  db_.query("UPDATE deployments SET job_id = ?2 WHERE id = ?1", {integer(id), integer(job_id)});
}

void catalog::set_restarts(int64_t id, int64_t restarts, const std::string& last_failure) {
  std::lock_guard lock{mutex_};
  db_.query("UPDATE deployments SET restarts = ?2, last_failure = ?3 WHERE id = ?1",
            {integer(id), integer(restarts), text(last_failure)});
}

void catalog::delete_deployment(int64_t id) {
  std::lock_guard lock{mutex_};
  db_.query("UPDATE deployments SET deleted_ms = ?2 WHERE id = ?1", {integer(id), integer(now_ms())});
}

int64_t catalog::add_job(int64_t deployment_id, const deployment_spec& spec, int64_t spec_version,
                         const std::string& dir, const std::string& restored_from) {
  std::lock_guard lock{mutex_};
  db_.query("INSERT INTO jobs(deployment_id, spec, spec_version, dir, state, restored_from, started_ms) "
            "VALUES (?1, ?2, ?3, ?4, 'STARTING', ?5, ?6)",
            {integer(deployment_id), text(to_json(spec).dump()), integer(spec_version), text(dir),
             text(restored_from), integer(now_ms())});
  return db_.last_insert_id();
}

std::optional<job_record> catalog::job(int64_t id) {
  std::lock_guard lock{mutex_};
  auto rows = db_.query(std::string{"SELECT "} + job_columns + " FROM jobs WHERE id = ?1", {integer(id)});
  return rows.empty() ? std::nullopt : std::optional{job_of(rows.front())};
}

std::vector<job_record> catalog::jobs(int64_t deployment_id) {
  std::lock_guard lock{mutex_};
  std::vector<job_record> all;
  for (auto& r : db_.query(std::string{"SELECT "} + job_columns + " FROM jobs WHERE deployment_id = ?1 ORDER BY id",
                           {integer(deployment_id)}))
    all.push_back(job_of(r));
  return all;
}

void catalog::end_job(int64_t id, const std::string& state, std::optional<int64_t> exit_code,
                      const std::string& failure) {
  std::lock_guard lock{mutex_};
  db_.query("UPDATE jobs SET state = ?2, exit_code = ?3, failure = ?4, ended_ms = ?5 WHERE id = ?1",
            {integer(id), text(state), exit_code ? integer(*exit_code) : db_value{}, text(failure),
             integer(now_ms())});
}

void catalog::job_state(int64_t id, const std::string& state) {
  std::lock_guard lock{mutex_};
  db_.query("UPDATE jobs SET state = ?2 WHERE id = ?1", {integer(id), text(state)});
}

int64_t catalog::request_savepoint(int64_t deployment_id, int64_t job_id, const std::string& origin) {
  std::lock_guard lock{mutex_};
  db_.query("INSERT INTO savepoints(deployment_id, job_id, origin, state, requested_ms) "
            "VALUES (?1, ?2, ?3, 'PENDING', ?4)",
            {integer(deployment_id), job_id ? integer(job_id) : db_value{}, text(origin), integer(now_ms())});
  return db_.last_insert_id();
}

void catalog::complete_savepoint(int64_t id, const std::string& path, int64_t size_bytes) {
  std::lock_guard lock{mutex_};
  db_.query("UPDATE savepoints SET state = 'COMPLETED', path = ?2, size_bytes = ?3, completed_ms = ?4 WHERE id = ?1",
            {integer(id), text(path), integer(size_bytes), integer(now_ms())});
}

void catalog::fail_savepoint(int64_t id, const std::string& failure) {
  std::lock_guard lock{mutex_};
  db_.query("UPDATE savepoints SET state = 'FAILED', failure = ?2, completed_ms = ?3 WHERE id = ?1",
            {integer(id), text(failure), integer(now_ms())});
}

std::optional<savepoint_record> catalog::savepoint(int64_t id) {
  std::lock_guard lock{mutex_};
  auto rows = db_.query(std::string{"SELECT "} + savepoint_columns + " FROM savepoints WHERE id = ?1", {integer(id)});
  return rows.empty() ? std::nullopt : std::optional{savepoint_of(rows.front())};
}

std::vector<savepoint_record> catalog::savepoints(std::optional<int64_t> deployment_id) {
  std::lock_guard lock{mutex_};
  std::vector<savepoint_record> all;
  auto rows = deployment_id
                ? db_.query(std::string{"SELECT "} + savepoint_columns
                              + " FROM savepoints WHERE deployment_id = ?1 ORDER BY id",
                            {integer(*deployment_id)})
                : db_.query(std::string{"SELECT "} + savepoint_columns + " FROM savepoints ORDER BY id");
  for (auto& r : rows)
    all.push_back(savepoint_of(r));
  return all;
}

std::optional<savepoint_record> catalog::latest_savepoint(int64_t deployment_id) {
  std::lock_guard lock{mutex_};
  auto rows = db_.query(std::string{"SELECT "} + savepoint_columns
                          + " FROM savepoints WHERE deployment_id = ?1 AND state = 'COMPLETED' "
                            "ORDER BY completed_ms DESC, id DESC LIMIT 1",
                        {integer(deployment_id)});
  return rows.empty() ? std::nullopt : std::optional{savepoint_of(rows.front())};
}

bool catalog::knows_savepoint_path(const std::string& path) {
  std::lock_guard lock{mutex_};
  return !db_.query("SELECT 1 FROM savepoints WHERE path = ?1", {text(path)}).empty();
}

void catalog::delete_savepoint(int64_t id) {
  std::lock_guard lock{mutex_};
  db_.query("DELETE FROM savepoints WHERE id = ?1", {integer(id)});
}

void catalog::event(int64_t deployment_id, int64_t job_id, const std::string& kind, const std::string& message) {
  std::lock_guard lock{mutex_};
  db_.query("INSERT INTO events(deployment_id, job_id, time_ms, kind, message) VALUES (?1, ?2, ?3, ?4, ?5)",
            {integer(deployment_id), job_id ? integer(job_id) : db_value{}, integer(now_ms()), text(kind),
             text(message)});
}

std::vector<event_record> catalog::events(int64_t deployment_id) {
  std::lock_guard lock{mutex_};
  std::vector<event_record> all;
  for (auto& r : db_.query("SELECT id, deployment_id, job_id, time_ms, kind, message FROM events "
                           "WHERE deployment_id = ?1 ORDER BY id",
                           {integer(deployment_id)}))
    all.push_back({r.integer(0), r.integer(1), r.integer(2), r.integer(3), r.text(4), r.text(5)});
  return all;
}

} // namespace eddy::manager
