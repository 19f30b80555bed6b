#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "deployment_spec.hpp"
#include "sqlite_db.hpp"

namespace eddy::manager {

/// A deployment as the catalog holds it: its spec (versioned: every change
/// counts), what it is asked to be, and what it was last seen to be.
struct deployment_record {
  int64_t id = 0;
  std::string name;
  deployment_spec spec;
  int64_t spec_version = 1;
  desired_state desired = desired_state::running;
  std::string state;        ///< observed: STARTING, RUNNING, SUSPENDING, SUSPENDED, UPGRADING,
                            ///< CANCELLING, CANCELLED, RESTARTING, FAILED, FINISHED
  int64_t job_id = 0;       ///< the current or last job, 0: none yet
  int64_t restarts = 0;     ///< failures restarted since the last start asked for
  std::string last_failure;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

/// One run of a deployment's job: a cluster started by the launcher.
struct job_record {
  int64_t id = 0;
  int64_t deployment_id = 0;
  deployment_spec spec;
  int64_t spec_version = 0;
  std::string dir;            ///< the launcher's cluster directory
  std::string state;          ///< STARTING, RUNNING, FINISHED, FAILED, SUSPENDED, CANCELLED, UPGRADED
  std::string restored_from;  ///< a savepoint's path, "state of job N", or "" (empty)
  int64_t started_ms = 0;
  int64_t ended_ms = 0;
  std::optional<int64_t> exit_code;
  std::string failure;
};

struct savepoint_record {
  int64_t id = 0;
  int64_t deployment_id = 0;
  int64_t job_id = 0;
  std::string origin; ///< MANUAL, PERIODIC, SUSPEND, UPGRADE, DISCOVERED
  std::string state;  ///< PENDING, COMPLETED, FAILED
  std::string path;
  int64_t size_bytes = 0;
  int64_t requested_ms = 0;
  int64_t completed_ms = 0;
  std::string failure;
};

struct event_record {
  int64_t id = 0;
  int64_t deployment_id = 0;
  int64_t job_id = 0;
  int64_t time_ms = 0;
  std::string kind;    ///< e.g. DEPLOYED, JOB_STARTED, JOB_FAILED, SAVEPOINT_COMPLETED
  std::string message; ///< the reason, in words
};

int64_t now_ms();

/// The manager's records in SQLite (DATA/catalog.db): deployments, their
/// jobs, savepoints and events. Records outlive jobs and deployments: a
/// deleted deployment is marked deleted, its savepoints stay until deleted
/// one by one. Every method is one transaction and thread-safe.
class catalog {
public:
  /// The schema version this build writes; older catalogs are migrated on
  /// open, newer ones refused (a downgrade would misread them).
  static int64_t latest_version();

  explicit catalog(const std::filesystem::path& file);

  int64_t version();

  // -- deployments --
  int64_t add_deployment(const std::string& name, const deployment_spec& spec, desired_state desired);
  std::optional<deployment_record> deployment(const std::string& name);
  std::optional<deployment_record> deployment(int64_t id);
  std::vector<deployment_record> deployments();
  /// The name of deployment `id`, deleted or not ("" if none).
  std::string deployment_name(int64_t id);
  /// A new spec and/or desired state; the spec version grows when the spec changes.
  void change_deployment(int64_t id, const std::optional<deployment_spec>& spec, std::optional<desired_state> desired);
  void observe(int64_t id, const std::string& state);
  void set_current_job(int64_t id, int64_t job_id);
  void set_restarts(int64_t id, int64_t restarts, const std::string& last_failure);
  void delete_deployment(int64_t id);

  // -- jobs --
  int64_t add_job(int64_t deployment_id, const deployment_spec& spec, int64_t spec_version, const std::string& dir,
                  const std::string& restored_from);
  std::optional<job_record> job(int64_t id);
  std::vector<job_record> jobs(int64_t deployment_id);
  void end_job(int64_t id, const std::string& state, std::optional<int64_t> exit_code, const std::string& failure);
  void job_state(int64_t id, const std::string& state);

  // -- savepoints --
  int64_t request_savepoint(int64_t deployment_id, int64_t job_id, const std::string& origin);
  void complete_savepoint(int64_t id, const std::string& path, int64_t size_bytes);
  void fail_savepoint(int64_t id, const std::string& failure);
  std::optional<savepoint_record> savepoint(int64_t id);
  std::vector<savepoint_record> savepoints(std::optional<int64_t> deployment_id);
  std::optional<savepoint_record> latest_savepoint(int64_t deployment_id);
  bool knows_savepoint_path(const std::string& path);
  void delete_savepoint(int64_t id);

  // -- events --
  void event(int64_t deployment_id, int64_t job_id, const std::string& kind, const std::string& message);
  std::vector<event_record> events(int64_t deployment_id);

private:
  void migrate(const std::filesystem::path& file);

  std::mutex mutex_;
  sqlite_db db_;
};

} // namespace eddy::manager
