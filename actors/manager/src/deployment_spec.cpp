#include "deployment_spec.hpp"

#include <filesystem>
#include <regex>
#include <set>

#include <unistd.h>

namespace eddy::manager {

using nlohmann::json;

namespace {

template <class E>
struct names {
  std::vector<std::pair<E, std::string>> all;

  std::string of(E e) const {
    for (auto& [v, n] : all)
      if (v == e)
        return n;
    return "?";
  }

  E parse(const json& v, const std::string& field) const {
    std::string list;
    for (auto& [e, n] : all) {
      list += (list.empty() ? "" : ", ") + n;
      if (v.is_string() && v.get<std::string>() == n)
        return e;
    }
    throw spec_error("field '" + field + "': " + v.dump() + " is not one of " + list);
  }
};

const names<desired_state> desired_names{
  {{desired_state::running, "RUNNING"}, {desired_state::suspended, "SUSPENDED"}, {desired_state::cancelled, "CANCELLED"}}};
const names<upgrade_strategy> upgrade_names{{{upgrade_strategy::stateful, "STATEFUL"}, {upgrade_strategy::stateless, "STATELESS"}}};
const names<restore_strategy> restore_names{{{restore_strategy::latest_savepoint, "LATEST_SAVEPOINT"},
                                             {restore_strategy::latest_state, "LATEST_STATE"},
                                             {restore_strategy::none, "NONE"}}};

uint64_t number(const json& v, const std::string& field, uint64_t low, uint64_t high) {
  if (!v.is_number_integer() || v.get<int64_t>() < static_cast<int64_t>(low) || v.get<uint64_t>() > high)
    throw spec_error("field '" + field + "': " + v.dump() + " is not a whole number from " + std::to_string(low)
                     + " to " + std::to_string(high));
  return v.get<uint64_t>();
}

void object(const json& v, const std::string& field) {
  if (!v.is_object())
    throw spec_error("field '" + field + "': " + v.dump() + " is not an object");
}

restart_policy apply_restart(restart_policy base, const json& patch) {
  object(patch, "spec.restart_policy");
  for (auto& [key, v] : patch.items()) {
    auto field = "spec.restart_policy." + key;
    if (key == "type") {
      if (v != "ON_FAILURE" && v != "NEVER")
        throw spec_error("field '" + field + "': " + v.dump() + " is not one of ON_FAILURE, NEVER");
      base.on_failure = v == "ON_FAILURE";
    } else if (key == "max_restarts")
      base.max_restarts = static_cast<uint32_t>(number(v, field, 0, 1000));
    else if (key == "backoff_s")
      base.backoff_s = static_cast<uint32_t>(number(v, field, 0, 3600));
    else
      throw spec_error("unknown field '" + field + "'");
  }
  return base;
}

} // namespace

std::string to_string(desired_state s) {
  return desired_names.of(s);
}
std::string to_string(upgrade_strategy s) {
  return upgrade_names.of(s);
}
std::string to_string(restore_strategy s) {
  return restore_names.of(s);
}

desired_state desired_state_of(const json& v, const std::string& field) {
  return desired_names.parse(v, field);
}

deployment_spec apply_spec(deployment_spec base, const json& patch) {
  object(patch, "spec");
  for (auto& [key, v] : patch.items()) {
    auto field = "spec." + key;
    if (key == "binary") {
      if (!v.is_string() || v.get<std::string>().empty())
        throw spec_error("field '" + field + "': " + v.dump() + " is not a path");
      base.binary = v.get<std::string>();
    } else if (key == "args") {
      if (!v.is_array())
        throw spec_error("field '" + field + "': " + v.dump() + " is not a list of strings");
      base.args.clear();
      for (auto& a : v) {
        if (!a.is_string())
          throw spec_error("field '" + field + "': " + a.dump() + " is not a string");
        base.args.push_back(a.get<std::string>());
      }
    } else if (key == "parallelism")
      base.parallelism = static_cast<uint32_t>(number(v, field, 1, 32768));
    else if (key == "workers")
      base.workers = static_cast<uint32_t>(number(v, field, 1, 64));
    else if (key == "upgrade_strategy")
      base.upgrade = upgrade_names.parse(v, field);
    else if (key == "restore_strategy")
      base.restore = restore_names.parse(v, field);
    else if (key == "savepoint_interval_s")
      base.savepoint_interval_s = number(v, field, 0, 30 * 86400);
    else if (key == "restart_policy")
      base.restart = apply_restart(base.restart, v);
    else
      throw spec_error("unknown field '" + field + "'");
  }
  return base;
}

void check_spec(const deployment_spec& spec) {
  namespace fs = std::filesystem;
  if (spec.binary.empty())
    throw spec_error("field 'spec.binary' is required");
  if (fs::path{spec.binary}.is_relative())
    throw spec_error("field 'spec.binary': '" + spec.binary + "' is not an absolute path");
  std::error_code ec;
  if (!fs::is_regular_file(spec.binary, ec) || ::access(spec.binary.c_str(), X_OK) != 0)
    throw spec_error("field 'spec.binary': '" + spec.binary + "' is not an executable file");
  // The manager and its launcher give each node these; a spec field holds the rest.
  static const std::set<std::string> owned = {"state-dir", "role", "coordinator", "workers", "listen",
                                              "savepoint-dir", "from-savepoint", "check-savepoint",
                                              "allow-non-restored-state", "parallelism"};
  for (auto& a : spec.args) {
    if (a.rfind("--", 0) != 0)
      continue;
    auto option = a.substr(2, a.find('=') == std::string::npos ? std::string::npos : a.find('=') - 2);
    if (owned.count(option))
      throw spec_error("field 'spec.args' must not contain '--" + option + "': "
                       + (option == "parallelism" ? "use field 'spec.parallelism'" : "the manager sets it"));
  }
  if (spec.upgrade == upgrade_strategy::stateful && spec.restore == restore_strategy::none)
    throw spec_error("upgrade strategy STATEFUL needs restore strategy LATEST_SAVEPOINT or LATEST_STATE: with "
                     "NONE every upgrade and resume would start without state (use STATELESS to mean that)");
  if (spec.parallelism > 32768 || spec.workers > 64)
    throw spec_error("parallelism or workers out of range");
}

void check_name(const std::string& name) {
  static const std::regex good{"[a-z0-9][a-z0-9_.-]{0,62}"};
  if (!std::regex_match(name, good))
    throw spec_error("name '" + name + "' must be 1 to 63 of a-z, 0-9, '-', '_', '.', starting with a letter or digit");
}

json to_json(const deployment_spec& spec) {
  return {{"binary", spec.binary},
          {"args", spec.args},
          {"parallelism", spec.parallelism},
          {"workers", spec.workers},
          {"upgrade_strategy", to_string(spec.upgrade)},
          {"restore_strategy", to_string(spec.restore)},
          {"savepoint_interval_s", spec.savepoint_interval_s},
          {"restart_policy",
           {{"type", spec.restart.on_failure ? "ON_FAILURE" : "NEVER"},
            {"max_restarts", spec.restart.max_restarts},
            {"backoff_s", spec.restart.backoff_s}}}};
}

} // namespace eddy::manager
