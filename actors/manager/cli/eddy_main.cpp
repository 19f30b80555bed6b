// eddy: the command line client of eddy-manager's REST API (README.md of
// actors/manager). Tables for people by default, --json for scripts. Exit
// codes: 0 done, 1 the operation failed, 2 bad usage (or input the manager
// refused as bad, HTTP 400).

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "tables.hpp"

namespace {

using nlohmann::json;
using eddy::cli::cell;
using eddy::cli::time_of;

struct failure {
  int code;
  std::string message;
};

struct options {
  std::string manager = "http://127.0.0.1:8081";
  bool json_out = false;
  bool no_wait = false;
  int timeout_s = 300;
};

class client {
public:
  explicit client(const options& o) : url_(o.manager), http_(o.manager) {
    if (!http_.is_valid())
      throw failure{2, "--manager: '" + o.manager + "' is not an http:// URL"};
    http_.set_connection_timeout(5);
    http_.set_read_timeout(360); // an upgrade's check takes a savepoint first
    if (auto* token = std::getenv("EDDY_TOKEN"); token && *token)
      http_.set_bearer_token_auth(token);
  }

  /// The reply's JSON body; throws `failure` unless the status is 2xx.
  json call(const std::string& method, const std::string& path, const json& body = nullptr) {
    auto payload = body.is_null() ? std::string{} : body.dump();
    httplib::Result r = method == "GET"      ? http_.Get(path)
                        : method == "DELETE" ? http_.Delete(path)
                        : method == "PATCH"  ? http_.Patch(path, payload, "application/json")
                                             : http_.Post(path, payload, "application/json");
    if (!r)
      throw failure{1, "cannot reach the manager at " + url_ + ": " + httplib::to_string(r.error())};
    json reply = json::parse(r->body, nullptr, false);
    if (r->status / 100 != 2) {
      auto message = reply.is_object() && reply.contains("message") ? reply["message"].get<std::string>() : r->body;
      throw failure{r->status == 400 ? 2 : 1, message};
    }
    return reply.is_discarded() ? json(r->body) : reply;
  }

private:
  std::string url_;
  httplib::Client http_;
};

/// `s` percent-encoded for a URL's path or query (RFC 3986 unreserved kept).
std::string encoded(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~')
      out += static_cast<char>(ch);
    else
      out += {'%', hex[ch >> 4], hex[ch & 15]};
  }
  return out;
}

std::string deployment_path(const std::string& name) {
  return "/api/v1/deployments/" + encoded(name);
}

void print_deployments(const json& list) {
  std::vector<std::vector<std::string>> rows;
  for (auto& d : list)
    rows.push_back({cell(d["name"]), cell(d["desired_state"]), cell(d["status"]["state"]), cell(d["status"]["job_id"]),
                    cell(d["spec"]["workers"]), cell(d["spec"]["parallelism"]), cell(d["spec_version"]),
                    cell(d["status"]["restarts"]), cell(d["spec"]["binary"])});
  eddy::cli::print_table(std::cout, {"NAME", "DESIRED", "STATE", "JOB", "WORKERS", "PARALLELISM", "SPEC", "RESTARTS", "BINARY"},
                         rows);
}

void print_status(const json& d) {
  auto& s = d["spec"];
  std::string args;
  for (auto& a : s["args"])
    args += " " + a.get<std::string>();
  std::cout << "deployment " << cell(d["name"]) << ": " << cell(d["status"]["state"]) << " (desired "
            << cell(d["desired_state"]) << ")\n"
            << "  job:          " << cell(d["status"]["job_id"]) << " " << cell(d["status"]["job_state"]) << "\n"
            << "  spec version: " << cell(d["spec_version"]) << " (the job runs version "
            << cell(d["status"]["running_spec_version"]) << ")\n"
            << "  command:      " << cell(s["binary"]) << args << "\n"
            << "  scale:        " << cell(s["workers"]) << " worker(s), parallelism " << cell(s["parallelism"]) << "\n"
            << "  strategies:   upgrade " << cell(s["upgrade_strategy"]) << ", restore " << cell(s["restore_strategy"])
            << ", restart " << cell(s["restart_policy"]["type"]) << " (" << cell(d["status"]["restarts"]) << " of "
            << cell(s["restart_policy"]["max_restarts"]) << ")\n"
            << "  savepoints:   " << (s["savepoint_interval_s"] == 0 ? std::string{"on request"} : "every " + cell(s["savepoint_interval_s"]) + " s")
            << "\n";
  if (!d["status"]["last_failure"].is_null())
    std::cout << "  last failure: " << cell(d["status"]["last_failure"]) << "\n";
}

void print_savepoints(const json& list) {
  std::vector<std::vector<std::string>> rows;
  for (auto& s : list)
    rows.push_back({cell(s["id"]), cell(s["state"]), cell(s["origin"]), cell(s["job_id"]), time_of(s["completed_ms"]),
                    s["size_bytes"].is_number() ? std::to_string(s["size_bytes"].get<int64_t>() / 1024) + " KiB" : "-",
                    s["state"] == "FAILED" ? cell(s["failure"]) : cell(s["path"])});
  eddy::cli::print_table(std::cout, {"ID", "STATE", "ORIGIN", "JOB", "TAKEN (UTC)", "SIZE", "PATH"}, rows);
}

void print_events(const json& list) {
  std::vector<std::vector<std::string>> rows;
  for (auto& e : list)
    rows.push_back({time_of(e["time_ms"]), cell(e["job_id"]), cell(e["kind"]), cell(e["message"])});
  eddy::cli::print_table(std::cout, {"TIME (UTC)", "JOB", "EVENT", "MESSAGE"}, rows);
}

std::string fixed(const json& v, int digits) {
  if (!v.is_number())
    return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", digits, v.get<double>());
  return text;
}

void print_graph(const json& g) {
  std::vector<std::vector<std::string>> rows;
  for (auto& op : g["operators"])
    rows.push_back({cell(op["stage"]), cell(op["kind"]), cell(op["name"]), cell(op["uid"]), cell(op["parallelism"]),
                    fixed(op["records_in_per_s"], 0), fixed(op["records_out_per_s"], 0),
                    fixed(op["backpressured_ratio"].is_number() ? json(100 * op["backpressured_ratio"].get<double>()) : json(nullptr), 0) + "%",
                    fixed(op["watermark_lag_s"], 1), cell(op["restarts"])});
  eddy::cli::print_table(std::cout, {"STAGE", "KIND", "OPERATOR", "UID", "PARALLELISM", "IN/S", "OUT/S", "BACKPRESSURE", "WATERMARK LAG (S)", "RESTARTS"}, rows);
  if (!g["last_exception"].is_null())
    std::cout << "last exception: " << cell(g["last_exception"]["message"]) << "\n";
}

/// Polls deployment `name` until `done` says it reached what was asked;
/// fails when it failed instead, or after the timeout.
json await(client& c, const options& o, const std::string& name, const std::string& what,
           const std::function<bool(const json&)>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{o.timeout_s};
  for (;;) {
    auto d = c.call("GET", deployment_path(name));
    if (done(d))
      return d;
    if (d["status"]["state"] == "FAILED")
      throw failure{1, "deployment '" + name + "' failed: " + cell(d["status"]["last_failure"])};
    if (std::chrono::steady_clock::now() > deadline)
      throw failure{1, "deployment '" + name + "' is " + cell(d["status"]["state"]) + ", not " + what + ", after "
                         + std::to_string(o.timeout_s) + " s (eddy events " + name + ")"};
    std::this_thread::sleep_for(std::chrono::milliseconds{200});
  }
}

bool running_its_spec(const json& d) {
  return d["status"]["state"] == "RUNNING" && d["status"]["running_spec_version"] == d["spec_version"];
}

std::vector<std::string> absolute_command(std::vector<std::string> command) {
  if (command.empty())
    throw failure{2, "give the job after '--': BINARY JOB-ARGS..."};
  if (command[0].find('/') != std::string::npos)
    command[0] = std::filesystem::absolute(command[0]).lexically_normal().string();
  return command;
}

std::string upper(std::string s) {
  for (auto& ch : s)
    ch = ch == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

/// Prints `result` as JSON, or `human` for people.
void show(const options& o, const json& result, const std::function<void()>& human) {
  if (o.json_out)
    std::cout << result.dump(2) << "\n";
  else
    human();
}

} // namespace

int main(int argc, char** argv) {
  options o;
  if (auto* m = std::getenv("EDDY_MANAGER"); m && *m)
    o.manager = m;
  CLI::App app{"eddy: deploys and operates Eddy jobs through eddy-manager (token from $EDDY_TOKEN)"};
  app.require_subcommand(1);
  app.add_option("--manager", o.manager, "the manager's URL (default $EDDY_MANAGER or http://127.0.0.1:8081)");
  app.add_flag("--json", o.json_out, "print the manager's JSON, for scripts");
  app.add_flag("--no-wait", o.no_wait, "return once the manager accepted the change");
  app.add_option("--timeout", o.timeout_s, "seconds to wait for a change to take effect")->check(CLI::PositiveNumber);

  std::string name, op, key, restore, upgrade, restart, node;
  std::vector<std::string> command;
  std::optional<uint32_t> parallelism, workers, interval, max_restarts;
  std::optional<int64_t> job;
  auto with_scale = [&](CLI::App* s) {
    s->add_option("--parallelism", parallelism, "instances of each keyed operator")->check(CLI::PositiveNumber);
    s->add_option("--workers", workers, "worker processes")->check(CLI::PositiveNumber);
  };
  auto named = [&](const char* cmd, const char* help) {
    auto* s = app.add_subcommand(cmd, help);
    s->add_option("NAME", name, "the deployment")->required();
    return s;
  };
  auto* deploy = named("deploy", "create a deployment and start its job");
  with_scale(deploy);
  deploy->add_option("--upgrade", upgrade, "stateful (default) or stateless")->check(CLI::IsMember({"stateful", "stateless"}));
  deploy->add_option("--restore", restore, "latest-state (default), latest-savepoint or none")
    ->check(CLI::IsMember({"latest-savepoint", "latest-state", "none"}));
  deploy->add_option("--savepoint-interval", interval, "take a savepoint every S seconds (default: never)");
  deploy->add_option("--restart", restart, "on-failure (default) or never")->check(CLI::IsMember({"on-failure", "never"}));
  deploy->add_option("--max-restarts", max_restarts, "restarts in a row before the deployment is FAILED (default 3)");
  deploy->add_option("command", command, "-- BINARY JOB-ARGS...")->required();
  auto* list = app.add_subcommand("list", "list the deployments");
  auto* status = named("status", "show one deployment");
  auto* savepoint = named("savepoint", "take a savepoint of the running job and print its path");
  auto* suspend = named("suspend", "stop the job with a savepoint");
  auto* resume = named("resume", "start the job again from its latest savepoint, at a new scale if given");
  with_scale(resume);
  auto* upgrade_cmd = named("upgrade", "replace the job's binary and arguments (by the upgrade strategy)");
  upgrade_cmd->add_option("command", command, "-- BINARY JOB-ARGS...")->required();
  auto* scale = named("scale", "change parallelism and workers of a running job (by the upgrade strategy)");
  with_scale(scale);
  auto* cancel = named("cancel", "stop the job without a savepoint; records stay");
  auto* remove = named("delete", "delete a cancelled deployment; its savepoints stay");
  auto* savepoints = named("savepoints", "list a deployment's savepoints");
  auto* events = named("events", "list a deployment's events");
  auto* jobs = named("jobs", "list a deployment's jobs");
  auto* graph = named("graph", "show the running job's operators: parallelism, rates, backpressure, watermark lag");
  auto* query = named("query", "print one key's current state in an operator of the running job");
  query->add_option("OPERATOR", op, "the operator's uid (or name)")->required();
  query->add_option("KEY", key, "the key, as text")->required();
  auto* logs = named("logs", "print the node logs of the current (or --job) job");
  logs->add_option("--node", node, "coordinator, worker-1, ...");
  logs->add_option("--job", job, "a job id (eddy jobs NAME)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  try {
    client c{o};
    auto path = deployment_path(name);
    if (deploy->parsed()) {
      command = absolute_command(command);
      json spec = {{"binary", command[0]}, {"args", std::vector<std::string>(command.begin() + 1, command.end())}};
      if (parallelism)
        spec["parallelism"] = *parallelism;
      if (workers)
        spec["workers"] = *workers;
      if (!upgrade.empty())
        spec["upgrade_strategy"] = upper(upgrade);
      if (!restore.empty())
        spec["restore_strategy"] = upper(restore);
      if (interval)
        spec["savepoint_interval_s"] = *interval;
      if (!restart.empty())
        spec["restart_policy"]["type"] = upper(restart);
      if (max_restarts)
        spec["restart_policy"]["max_restarts"] = *max_restarts;
      auto d = c.call("POST", "/api/v1/deployments", {{"name", name}, {"spec", spec}});
      if (!o.no_wait)
        d = await(c, o, name, "RUNNING", running_its_spec);
      show(o, d, [&] { std::cout << "deployment " << name << ": " << cell(d["status"]["state"]) << ", job " << cell(d["status"]["job_id"]) << "\n"; });
    } else if (list->parsed()) {
      auto all = c.call("GET", "/api/v1/deployments");
      show(o, all, [&] { print_deployments(all); });
    } else if (status->parsed()) {
      auto d = c.call("GET", path);
      show(o, d, [&] { print_status(d); });
    } else if (savepoint->parsed()) {
      auto s = c.call("POST", path + "/savepoints");
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{o.timeout_s};
      while (!o.no_wait && s["state"] == "PENDING") {
        if (std::chrono::steady_clock::now() > deadline)
          throw failure{1, "savepoint " + cell(s["id"]) + " is still being taken after " + std::to_string(o.timeout_s) + " s"};
        std::this_thread::sleep_for(std::chrono::milliseconds{200});
        s = c.call("GET", "/api/v1/savepoints/" + cell(s["id"]));
      }
      if (s["state"] == "FAILED")
        throw failure{1, "savepoint " + cell(s["id"]) + " failed: " + cell(s["failure"])};
      show(o, s, [&] { std::cout << (s["state"] == "PENDING" ? "savepoint " + cell(s["id"]) + " requested" : cell(s["path"])) << "\n"; });
    } else if (suspend->parsed() || cancel->parsed()) {
      auto target = suspend->parsed() ? "SUSPENDED" : "CANCELLED";
      auto d = c.call("PATCH", path, {{"desired_state", target}});
      if (!o.no_wait)
        d = await(c, o, name, target, [&](const json& d) { return d["status"]["state"] == target; });
      show(o, d, [&] { std::cout << "deployment " << name << ": " << cell(d["status"]["state"]) << "\n"; });
    } else if (resume->parsed() || scale->parsed() || upgrade_cmd->parsed()) {
      json body = json::object();
      if (resume->parsed())
        body["desired_state"] = "RUNNING";
      json spec = json::object();
      if (parallelism)
        spec["parallelism"] = *parallelism;
      if (workers)
        spec["workers"] = *workers;
      if (upgrade_cmd->parsed()) {
        command = absolute_command(command);
        spec["binary"] = command[0];
        spec["args"] = std::vector<std::string>(command.begin() + 1, command.end());
      }
      if (scale->parsed() && spec.empty())
        throw failure{2, "scale needs --parallelism or --workers"};
      if (!spec.empty())
        body["spec"] = spec;
      auto d = c.call("PATCH", path, body);
      if (!o.no_wait)
        d = await(c, o, name, "RUNNING its spec", running_its_spec);
      show(o, d, [&] {
        std::cout << "deployment " << name << ": " << cell(d["status"]["state"]) << ", job " << cell(d["status"]["job_id"])
                  << ", spec version " << cell(d["spec_version"]) << "\n";
      });
    } else if (remove->parsed()) {
      auto r = c.call("DELETE", path);
      show(o, r, [&] { std::cout << cell(r["message"]) << "\n"; });
    } else if (savepoints->parsed()) {
      auto all = c.call("GET", path + "/savepoints");
      show(o, all, [&] { print_savepoints(all); });
    } else if (events->parsed()) {
      auto all = c.call("GET", path + "/events");
      show(o, all, [&] { print_events(all); });
    } else if (jobs->parsed()) {
      auto all = c.call("GET", path + "/jobs");
      show(o, all, [&] {
        std::vector<std::vector<std::string>> rows;
        for (auto& j : all)
          rows.push_back({cell(j["id"]), cell(j["state"]), cell(j["spec_version"]), cell(j["spec"]["workers"]),
                          cell(j["spec"]["parallelism"]), time_of(j["started_ms"]), time_of(j["ended_ms"]),
                          cell(j["restored_from"]), cell(j["failure"])});
        eddy::cli::print_table(std::cout, {"ID", "STATE", "SPEC", "WORKERS", "PARALLELISM", "STARTED (UTC)", "ENDED (UTC)", "RESTORED FROM", "FAILURE"}, rows);
      });
    } else if (graph->parsed()) {
      auto g = c.call("GET", path + "/graph");
      show(o, g, [&] { print_graph(g); });
    } else if (query->parsed()) {
      auto q = c.call("GET", path + "/state/" + encoded(op) + "/" + encoded(key));
      show(o, q, [&] {
        std::cout << "operator " << cell(q["operator"]) << ", key " << cell(q["key"]) << " (key group "
                  << cell(q["key_group"]) << "):\n";
        for (auto& [state, value] : q["states"].items())
          std::cout << "  " << state << ": " << value.dump() << "\n";
      });
    } else if (logs->parsed()) {
      std::string query;
      if (!node.empty())
        query += "node=" + encoded(node);
      if (job)
        query += (query.empty() ? "" : "&") + std::string{"job="} + std::to_string(*job);
      auto text = c.call("GET", path + "/logs" + (query.empty() ? "" : "?" + query));
      std::cout << (text.is_string() ? text.get<std::string>() : text.dump(2));
    }
    return 0;
  } catch (const failure& f) {
    std::cerr << "eddy: " << f.message << std::endl;
    return f.code;
  }
}
