#include "api_json.hpp"

namespace eddy::manager {

using nlohmann::json;

namespace {

json optional_ms(int64_t ms) {
  return ms ? json(ms) : json(nullptr);
}

} // namespace

json to_json(const deployment_record& d, const std::optional<job_record>& job) {
  json status = {{"state", d.state},
                 {"job_id", d.job_id ? json(d.job_id) : json(nullptr)},
                 {"job_state", job ? json(job->state) : json(nullptr)},
                 {"running_spec_version", job ? json(job->spec_version) : json(nullptr)},
                 {"restarts", d.restarts},
                 {"last_failure", d.last_failure.empty() ? json(nullptr) : json(d.last_failure)}};
  return {{"name", d.name},
          {"desired_state", to_string(d.desired)},
          {"spec", to_json(d.spec)},
          {"spec_version", d.spec_version},
          {"status", status},
          {"created_ms", d.created_ms},
          {"updated_ms", d.updated_ms}};
}

json to_json(const job_record& j) {
  return {{"id", j.id},
          {"state", j.state},
          {"spec_version", j.spec_version},
          {"spec", to_json(j.spec)},
          {"restored_from", j.restored_from.empty() ? json(nullptr) : json(j.restored_from)},
          {"dir", j.dir},
          {"started_ms", j.started_ms},
          {"ended_ms", optional_ms(j.ended_ms)},
          {"exit_code", j.exit_code ? json(*j.exit_code) : json(nullptr)},
          {"failure", j.failure.empty() ? json(nullptr) : json(j.failure)}};
}

json to_json(const savepoint_record& s, const std::string& deployment) {
  return {{"id", s.id},
          {"deployment", deployment},
          {"job_id", s.job_id ? json(s.job_id) : json(nullptr)},
          {"origin", s.origin},
          {"state", s.state},
          {"path", s.path.empty() ? json(nullptr) : json(s.path)},
          {"size_bytes", s.size_bytes},
          {"requested_ms", s.requested_ms},
          {"completed_ms", optional_ms(s.completed_ms)},
          {"failure", s.failure.empty() ? json(nullptr) : json(s.failure)}};
}

json to_json(const event_record& e) {
  return {{"id", e.id},
          {"job_id", e.job_id ? json(e.job_id) : json(nullptr)},
          {"time_ms", e.time_ms},
          {"kind", e.kind},
          {"message", e.message}};
}

} // namespace eddy::manager
