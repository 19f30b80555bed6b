#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "deployment_spec.hpp"
#include "subprocess.hpp"

namespace eddy::manager {

/// What a cluster directory says about its job.
struct cluster_view {
  bool running = false;          ///< the coordinator's process is alive
  std::optional<int> exit_code;  ///< once the coordinator has ended for good
};

/// Runs deployments' jobs through `scripts/eddy-cluster` (one cluster
/// directory per deployment), and reads what that leaves in the directory.
class launcher {
public:
  explicit launcher(std::filesystem::path script) : script_(std::move(script)) {}

  const std::filesystem::path& script() const { return script_; }

  /// Starts `spec`'s job in `dir`, from `savepoint` when given, else from
  /// what `dir` holds; returns once it runs on every worker.
  process_result start(const std::filesystem::path& dir, const deployment_spec& spec,
                       const std::filesystem::path& savepoint, bool allow_non_restored) const;
  /// Takes a savepoint of the running job into `to`.
  process_result savepoint(const std::filesystem::path& dir, const std::filesystem::path& to) const;
  /// Stops the job, with a savepoint into `to` first unless `to` is empty.
  process_result stop(const std::filesystem::path& dir, const std::filesystem::path& to) const;
  /// One key's current state in the running job's operator (JSON on stdout):
  /// exit 0, 1 not now (a failover), 2 no such operator or key.
  process_result query(const std::filesystem::path& dir, const std::string& op, const std::string& key) const;
  /// Asks `spec`'s binary whether it can start from `savepoint` (exit 0) or not (2, and why).
  process_result check(const deployment_spec& spec, const std::filesystem::path& savepoint,
                       bool allow_non_restored) const;

  static cluster_view observe(const std::filesystem::path& dir);
  /// The line of the coordinator's log that says why the job failed.
  static std::string failure_of(const std::filesystem::path& dir);

private:
  std::filesystem::path script_;
};

/// The last lines of a command's output, for an event or an error reply.
std::string tail_of(const std::string& output, size_t lines = 3);

} // namespace eddy::manager
