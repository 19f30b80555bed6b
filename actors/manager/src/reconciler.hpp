#pragma once

#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "catalog.hpp"
#include "launcher.hpp"

namespace eddy::manager {

/// Drives every deployment towards its desired state, one step at a time:
/// starts, restarts (by the restart policy), upgrades (by the upgrade
/// strategy), suspends, cancels, takes the savepoints asked for or due, and
/// records each transition as an event with its reason. Everything it knows
/// it reads from the catalog and the cluster directories, so a manager
/// killed at any point and started again carries on where that left off.
class reconciler {
public:
  reconciler(catalog& records, const launcher& run, std::filesystem::path data);
  ~reconciler();

  /// Adopts the jobs a previous manager left running, then reconciles every
  /// few hundred ms on a thread of its own until destroyed.
  void start();
  /// Reconcile now: a deployment changed.
  void wake();

  /// Operations on one deployment go one at a time: the loop's and the
  /// API's (an upgrade check takes a savepoint).
  std::unique_lock<std::mutex> lock(int64_t deployment_id);

  std::filesystem::path deployment_dir(const deployment_record& d) const;
  std::filesystem::path cluster_dir(const deployment_record& d) const { return deployment_dir(d) / "cluster"; }
  std::filesystem::path savepoint_path(const deployment_record& d, int64_t savepoint_id) const;

  /// Why `next` may not replace `d`'s spec by a STATEFUL upgrade: the new
  /// binary cannot start from a savepoint of the old one (taken now when the
  /// job runs, else the latest). Empty: it can. The caller holds lock(d.id).
  std::optional<std::string> refuse_upgrade(const deployment_record& d, const deployment_spec& next);

private:
  void run();
  void adopt();
  void reconcile(const deployment_record& d);
  void ended(const deployment_record& d, const job_record& job, std::optional<int> exit_code);
  void start_job(const deployment_record& d, const std::filesystem::path& savepoint, const std::string& restored_from);
  void start_by_strategy(const deployment_record& d);
  void start_empty(const deployment_record& d);
  void take_savepoint(const deployment_record& d, const job_record& job, const savepoint_record& s);
  bool stop_job(const deployment_record& d, const job_record& job, const std::string& origin,
                const std::string& ended_state);
  void discover_savepoints(const deployment_record& d);
  void archive_logs(const deployment_record& d, const job_record& job);
  bool due(int64_t deployment_id) const;
  void retry_later(int64_t deployment_id, int64_t ms);

  catalog& records_;
  const launcher& launcher_;
  std::filesystem::path data_;

  std::mutex locks_mutex_;
  std::map<int64_t, std::shared_ptr<std::mutex>> locks_;

  // Loop state: only the loop's thread touches these.
  std::map<int64_t, int64_t> not_before_ms_;    ///< backoff of restarts and failed operations
  std::map<int64_t, int64_t> gone_since_ms_;    ///< coordinator neither running nor ended (a supervised restart)
  std::map<int64_t, int64_t> last_savepoint_ms_;

  std::mutex wake_mutex_;
  std::condition_variable woken_;
  bool wake_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace eddy::manager
