#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace eddy::manager {

/// What a deployment is asked to be (Ververica's desired state).
enum class desired_state { running, suspended, cancelled };
/// How a running deployment takes a new spec: STATEFUL stops it with a
/// savepoint and starts the new spec from it; STATELESS stops it and starts
/// the new spec by the restore strategy.
enum class upgrade_strategy { stateful, stateless };
/// Where a (re)started job's state comes from.
enum class restore_strategy { latest_savepoint, latest_state, none };

struct restart_policy {
  bool on_failure = true;     ///< restart a failed job from its latest state
  uint32_t max_restarts = 3;  ///< ... at most this often in a row, then FAILED
  uint32_t backoff_s = 1;     ///< wait before each restart
};

/// A deployment's spec: which job, how big, how it is operated.
struct deployment_spec {
  std::string binary;
  std::vector<std::string> args;
  uint32_t parallelism = 1;
  uint32_t workers = 1;
  upgrade_strategy upgrade = upgrade_strategy::stateful;
  restore_strategy restore = restore_strategy::latest_state;
  uint64_t savepoint_interval_s = 0; ///< 0: no periodic savepoints
  restart_policy restart;

  /// The spec's job, unchanged by scale: an upgrade if this differs.
  bool same_job(const deployment_spec& other) const {
    return binary == other.binary && args == other.args;
  }
};

std::string to_string(desired_state s);
std::string to_string(upgrade_strategy s);
std::string to_string(restore_strategy s);

/// Parsing fails with a message naming the field, for a 400 reply.
struct spec_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

desired_state desired_state_of(const nlohmann::json& v, const std::string& field);

/// `patch` applied to `base` (fields not in `patch` stay as they are):
/// unknown fields, wrong types and out-of-range values throw spec_error.
deployment_spec apply_spec(deployment_spec base, const nlohmann::json& patch);

/// Throws spec_error unless `spec` can run: the binary exists and is
/// executable, the job arguments leave the launcher's options alone, and the
/// strategies go together.
void check_spec(const deployment_spec& spec);

/// Throws spec_error unless `name` can name a deployment (and a directory).
void check_name(const std::string& name);

nlohmann::json to_json(const deployment_spec& spec);

} // namespace eddy::manager
