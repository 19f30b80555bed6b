#include "rest_api.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "api_json.hpp"
#include "catalog.hpp"
#include "dashboard_page.hpp"
#include "job_graph.hpp"
#include "launcher.hpp"
#include "node_metrics.hpp"
#include "reconciler.hpp"

namespace eddy::manager {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

/// An error for the client: its status code and message.
struct api_error {
  int status;
  std::string message;
};

void reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(2) + "\n", "application/json");
}

json body_of(const httplib::Request& req) {
  try {
    auto body = json::parse(req.body);
    if (!body.is_object())
      throw api_error{400, "the request body must be a JSON object"};
    return body;
  } catch (const json::parse_error& e) {
    throw api_error{400, std::string{"the request body is not JSON: "} + e.what()};
  }
}

void only_fields(const json& body, std::initializer_list<const char*> allowed) {
  for (auto& [key, v] : body.items())
    if (std::find_if(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; }) == allowed.end())
      throw api_error{400, "unknown field '" + key + "'"};
}

template <class Records>
json array_of(const Records& records) {
  json all = json::array();
  for (auto& r : records)
    all.push_back(to_json(r));
  return all;
}

/// Runs `handle`, turning what it throws into a JSON error reply.
template <class Handle>
httplib::Server::Handler guarded(Handle handle) {
  return [handle](const httplib::Request& req, httplib::Response& res) {
    try {
      handle(req, res);
    } catch (const api_error& e) {
      reply(res, e.status, {{"message", e.message}, {"status", e.status}});
    } catch (const spec_error& e) {
      reply(res, 400, {{"message", e.what()}, {"status", 400}});
    } catch (const std::exception& e) {
      spdlog::error("{} {}: {}", req.method, req.path, e.what());
      reply(res, 500, {{"message", e.what()}, {"status", 500}});
    }
  };
}

class api {
public:
  api(catalog& records, reconciler& driver, const launcher& run) : records_(records), driver_(driver), launcher_(run) {}

  deployment_record find(const std::string& name) {
    auto d = records_.deployment(name);
    if (!d)
      throw api_error{404, "no deployment named '" + name + "'"};
    return *d;
  }

  json view(const deployment_record& d) {
    return to_json(d, d.job_id ? records_.job(d.job_id) : std::nullopt);
  }

  void list(const httplib::Request&, httplib::Response& res) {
    json all = json::array();
    for (auto& d : records_.deployments())
      all.push_back(view(d));
    reply(res, 200, all);
  }

  void create(const httplib::Request& req, httplib::Response& res) {
    auto body = body_of(req);
    only_fields(body, {"name", "desired_state", "spec"});
    if (!body.contains("name") || !body["name"].is_string())
      throw api_error{400, "field 'name' is required and must be a string"};
    auto name = body["name"].get<std::string>();
    check_name(name);
    if (!body.contains("spec"))
      throw api_error{400, "field 'spec' is required"};
    auto spec = apply_spec({}, body["spec"]);
    check_spec(spec);
    auto desired = body.contains("desired_state") ? desired_state_of(body["desired_state"], "desired_state")
                                                  : desired_state::running;
    if (records_.deployment(name))
      throw api_error{409, "a deployment named '" + name + "' exists"};
    auto id = records_.add_deployment(name, spec, desired);
    records_.event(id, 0, "DEPLOYED", "created with desired state " + to_string(desired) + ": " + spec.binary);
    driver_.wake();
    reply(res, 201, view(*records_.deployment(id)));
  }

  void get(const httplib::Request& req, httplib::Response& res) {
    reply(res, 200, view(find(req.matches[1])));
  }

  void patch(const httplib::Request& req, httplib::Response& res) {
    auto body = body_of(req);
    only_fields(body, {"desired_state", "spec"});
    auto d = find(req.matches[1]);
    auto hold = driver_.lock(d.id);
    d = find(req.matches[1]);
    std::optional<deployment_spec> spec;
    if (body.contains("spec")) {
      auto next = apply_spec(d.spec, body["spec"]);
      check_spec(next);
      if (to_json(next) != to_json(d.spec))
        spec = next;
    }
    std::optional<desired_state> desired;
    if (body.contains("desired_state"))
      desired = desired_state_of(body["desired_state"], "desired_state");
    auto target = spec ? *spec : d.spec;
    if (spec && !spec->same_job(d.spec) && target.upgrade == upgrade_strategy::stateful) {
      if (auto why = driver_.refuse_upgrade(d, *spec)) {
        records_.event(d.id, d.job_id, "UPGRADE_REFUSED", *why + "; the deployment keeps its spec");
        throw api_error{409, *why};
      }
    }
    records_.change_deployment(d.id, spec, desired);
    if (spec)
      records_.event(d.id, d.job_id, "SPEC_CHANGED",
                     "spec version " + std::to_string(d.spec_version + 1) + ": " + to_json(*spec).dump());
    if (desired && *desired != d.desired)
      records_.event(d.id, d.job_id, "DESIRED_STATE", to_string(d.desired) + " -> " + to_string(*desired));
    // A user's change starts a failed or finished deployment afresh.
    if ((spec || desired) && (d.state == "FAILED" || d.state == "FINISHED")) {
      records_.set_restarts(d.id, 0, d.last_failure);
      records_.observe(d.id, "STARTING");
    }
    driver_.wake();
    reply(res, 200, view(*records_.deployment(d.id)));
  }

  void remove(const httplib::Request& req, httplib::Response& res) {
    auto d = find(req.matches[1]);
    auto hold = driver_.lock(d.id);
    auto job = d.job_id ? records_.job(d.job_id) : std::nullopt;
    if (d.desired != desired_state::cancelled || (job && (job->state == "RUNNING" || job->state == "STARTING")))
      throw api_error{409, "deployment '" + d.name + "' is " + d.state
                             + ": cancel it first (PATCH desired_state CANCELLED), then delete it"};
    records_.delete_deployment(d.id);
    auto kept = records_.savepoints(d.id).size();
    reply(res, 200, {{"message", "deployment '" + d.name + "' deleted; its " + std::to_string(kept)
                                   + " savepoint(s) are kept (GET /api/v1/savepoints, DELETE /api/v1/savepoints/ID)"}});
  }

  void request_savepoint(const httplib::Request& req, httplib::Response& res) {
    auto d = find(req.matches[1]);
    if (!req.body.empty())
      only_fields(body_of(req), {});
    auto job = running_job(d);
    if (d.desired != desired_state::running)
      throw api_error{409, "deployment '" + d.name + "' is asked to be " + to_string(d.desired) + ", not to run"};
    auto id = records_.request_savepoint(d.id, job.id, "MANUAL");
    records_.event(d.id, job.id, "SAVEPOINT_REQUESTED", "savepoint " + std::to_string(id) + " asked for");
    driver_.wake();
    reply(res, 202, to_json(*records_.savepoint(id), d.name));
  }

  void savepoints_of(const httplib::Request& req, httplib::Response& res) {
    auto d = find(req.matches[1]);
    json all = json::array();
    for (auto& s : records_.savepoints(d.id))
      all.push_back(to_json(s, d.name));
    reply(res, 200, all);
  }

  void all_savepoints(const httplib::Request&, httplib::Response& res) {
    json all = json::array();
    for (auto& s : records_.savepoints(std::nullopt))
      all.push_back(to_json(s, records_.deployment_name(s.deployment_id)));
    reply(res, 200, all);
  }

  savepoint_record savepoint(const std::string& id) {
    auto s = std::all_of(id.begin(), id.end(), ::isdigit) && !id.empty() && id.size() < 18
               ? records_.savepoint(std::stoll(id))
               : std::nullopt;
    if (!s)
      throw api_error{404, "no savepoint with id '" + id + "'"};
    return *s;
  }

  void get_savepoint(const httplib::Request& req, httplib::Response& res) {
    auto s = savepoint(req.matches[1]);
    reply(res, 200, to_json(s, records_.deployment_name(s.deployment_id)));
  }

  void delete_savepoint(const httplib::Request& req, httplib::Response& res) {
    auto s = savepoint(req.matches[1]);
    if (s.state == "PENDING")
      throw api_error{409, "savepoint " + std::to_string(s.id) + " is being taken"};
    if (!s.path.empty())
      fs::remove_all(s.path);
    records_.delete_savepoint(s.id);
    reply(res, 200, {{"message", "savepoint " + std::to_string(s.id) + " deleted"}});
  }

  void jobs(const httplib::Request& req, httplib::Response& res) {
    reply(res, 200, array_of(records_.jobs(find(req.matches[1]).id)));
  }

  void events(const httplib::Request& req, httplib::Response& res) {
    reply(res, 200, array_of(records_.events(find(req.matches[1]).id)));
  }

  /// The node logs of a job (default: the current one), as text: the
  /// cluster directory's while it runs, the copy kept once it has ended.
  void logs(const httplib::Request& req, httplib::Response& res) {
    auto d = find(req.matches[1]);
    int64_t job_id = d.job_id;
    if (req.has_param("job")) {
      auto j = req.get_param_value("job");
      if (j.empty() || j.size() > 17 || !std::all_of(j.begin(), j.end(), ::isdigit))
        throw api_error{400, "parameter 'job': '" + j + "' is not a job id"};
      job_id = std::stoll(j);
    }
    auto job = job_id ? records_.job(job_id) : std::nullopt;
    if (!job || job->deployment_id != d.id)
      throw api_error{404, "deployment '" + d.name + "' has no job " + std::to_string(job_id)};
    auto node = req.has_param("node") ? req.get_param_value("node") : "";
    if (!node.empty() && node.find('/') != std::string::npos)
      throw api_error{400, "parameter 'node': '" + node + "' is not a node name"};
    bool live = job->state == "RUNNING" || job->state == "STARTING";
    fs::path dir = live ? fs::path{job->dir} : driver_.deployment_dir(d) / "jobs" / std::to_string(job->id);
    std::vector<fs::path> files;
    std::error_code ec;
    for (auto& e : fs::directory_iterator(dir, ec))
      if (e.path().extension() == ".log" && (node.empty() || e.path().stem() == node))
        files.push_back(e.path());
    std::sort(files.begin(), files.end());
    if (files.empty())
      throw api_error{404, "job " + std::to_string(job->id) + " has no log" + (node.empty() ? "" : " of node '" + node + "'")};
    std::ostringstream out;
    for (auto& f : files) {
      if (node.empty())
        out << "==> " << f.stem().string() << " <==\n";
      out << std::ifstream{f}.rdbuf();
    }
    res.set_content(out.str(), "text/plain");
  }

  /// The running job's graph: its plan.json and two scrapes of its nodes,
  /// the one of the last request when recent enough, else one 0.5 s ago.
  void graph(const httplib::Request& req, httplib::Response& res) {
    auto d = find(req.matches[1]);
    auto job = running_job(d);
    fs::path dir = job.dir;
    std::ifstream in{dir / "state" / "coordinator" / "plan.json"};
    auto plan = json::parse(in, nullptr, false);
    if (plan.is_discarded())
      throw api_error{503, "job " + std::to_string(job.id) + " has not placed its tasks yet"};
    auto nodes = metrics_nodes(dir);
    auto now = scrape_nodes(nodes, std::chrono::milliseconds{1000});
    scrape before;
    {
      std::lock_guard lock{scrapes_mutex_};
      auto last = scrapes_.find(job.id);
      auto age = last == scrapes_.end() ? 0.0 : std::chrono::duration<double>(now.at - last->second.at).count();
      if (age >= 0.2 && age <= 60)
        before = last->second;
    }
    if (before.samples.empty()) {
      before = now;
      std::this_thread::sleep_for(std::chrono::milliseconds{500});
      now = scrape_nodes(nodes, std::chrono::milliseconds{1000});
    }
    {
      std::lock_guard lock{scrapes_mutex_};
      scrapes_[job.id] = now;
    }
    auto g = job_graph(plan, before, now);
    g["job_id"] = job.id;
    g["restarts"] = d.restarts;
    json last_exception = nullptr;
    for (auto& e : records_.events(d.id))
      if (e.kind == "JOB_FAILED")
        last_exception = {{"time_ms", e.time_ms}, {"job_id", e.job_id}, {"message", e.message}};
    g["last_exception"] = last_exception;
    reply(res, 200, g);
  }

  /// Queryable state: one key's current state, read from its partition.
  void state(const httplib::Request& req, httplib::Response& res) {
    auto d = find(req.matches[1]);
    auto job = running_job(d);
    auto asked = launcher_.query(job.dir, req.matches[2], req.matches[3]);
    auto answer = json::parse(asked.output, nullptr, false);
    if (asked.exit_code == 0 && answer.is_object())
      return reply(res, 200, answer);
    auto why = tail_of(asked.output, 1);
    auto prefix = std::string{"eddy-cluster: "};
    if (why.rfind(prefix, 0) == 0)
      why.erase(0, prefix.size());
    int status = asked.exit_code == 2 ? (why.find("has no keyed operator") != std::string::npos ? 404 : 400) : 503;
    throw api_error{status, why};
  }

  /// Prometheus' http_sd_configs: one target group per node of every running job.
  void prometheus_targets(const httplib::Request&, httplib::Response& res) {
    json groups = json::array();
    for (auto& d : records_.deployments()) {
      auto job = d.job_id ? records_.job(d.job_id) : std::nullopt;
      if (!job || job->state != "RUNNING")
        continue;
      for (auto& n : metrics_nodes(job->dir))
        groups.push_back({{"targets", {n.address}},
                          {"labels", {{"deployment", d.name}, {"job_id", std::to_string(job->id)}, {"node", n.name}}}});
    }
    reply(res, 200, groups);
  }

private:
  job_record running_job(const deployment_record& d) {
    auto job = d.job_id ? records_.job(d.job_id) : std::nullopt;
    if (!job || job->state != "RUNNING")
      throw api_error{409, "deployment '" + d.name + "' has no running job (it is " + d.state + ")"};
    return *job;
  }

  catalog& records_;
  reconciler& driver_;
  const launcher& launcher_;
  std::mutex scrapes_mutex_;
  std::map<int64_t, scrape> scrapes_; ///< the last scrape of each job, for rates
};

} // namespace

void serve_api(httplib::Server& server, catalog& records, reconciler& driver, const launcher& run,
               const std::string& token) {
  auto a = std::make_shared<api>(records, driver, run);
  auto bind = [a](void (api::*f)(const httplib::Request&, httplib::Response&)) {
    return guarded([a, f](const httplib::Request& req, httplib::Response& res) { ((*a).*f)(req, res); });
  };
  const std::string d = "/api/v1/deployments";
  const std::string name = "/([^/]+)";
  server.Get(d, bind(&api::list));
  server.Post(d, bind(&api::create));
  server.Get(d + name, bind(&api::get));
  server.Patch(d + name, bind(&api::patch));
  server.Delete(d + name, bind(&api::remove));
  server.Post(d + name + "/savepoints", bind(&api::request_savepoint));
  server.Get(d + name + "/savepoints", bind(&api::savepoints_of));
  server.Get(d + name + "/jobs", bind(&api::jobs));
  server.Get(d + name + "/events", bind(&api::events));
  server.Get(d + name + "/logs", bind(&api::logs));
  server.Get(d + name + "/graph", bind(&api::graph));
  server.Get(d + name + "/state/([^/]+)/(.+)", bind(&api::state));
  server.Get("/api/v1/prometheus-targets", bind(&api::prometheus_targets));
  server.Get("/api/v1/savepoints", bind(&api::all_savepoints));
  server.Get("/api/v1/savepoints/([^/]+)", bind(&api::get_savepoint));
  server.Delete("/api/v1/savepoints/([^/]+)", bind(&api::delete_savepoint));
  server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(dashboard_page(), "text/html; charset=utf-8");
  });
  server.Get("/api/v1/health", guarded([&records](const httplib::Request&, httplib::Response& res) {
    reply(res, 200, {{"status", "UP"}, {"catalog_schema_version", records.version()}});
  }));

  server.set_pre_routing_handler([token](const httplib::Request& req, httplib::Response& res) {
    // The page itself holds no data: it asks for the token, then sends it with every API call.
    if (token.empty() || req.path == "/" || req.get_header_value("Authorization") == "Bearer " + token)
      return httplib::Server::HandlerResponse::Unhandled;
    res.set_header("WWW-Authenticate", "Bearer");
    reply(res, 401, {{"message", req.has_header("Authorization") ? "the bearer token is wrong"
                                                                  : "this manager needs 'Authorization: Bearer TOKEN'"},
                     {"status", 401}});
    return httplib::Server::HandlerResponse::Handled;
  });
  server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty())
      return;
    auto message = res.status == 404 ? "no such resource: " + req.method + " " + req.path
                                     : "request refused (" + std::to_string(res.status) + ")";
    reply(res, res.status, {{"message", message}, {"status", res.status}});
  });
}

} // namespace eddy::manager
