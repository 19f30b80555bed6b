#pragma once

#include <nlohmann/json.hpp>

#include "catalog.hpp"

namespace eddy::manager {

// The REST API's view of the catalog's records.
nlohmann::json to_json(const deployment_record& d, const std::optional<job_record>& job);
nlohmann::json to_json(const job_record& j);
nlohmann::json to_json(const savepoint_record& s, const std::string& deployment);
nlohmann::json to_json(const event_record& e);

} // namespace eddy::manager
