#include "eddy/job.hpp"

#include <charconv>
#include <set>
#include <sstream>

namespace eddy {

namespace {

/// Options the framework owns, with their help lines. Boolean ones take no value.
const std::vector<std::pair<std::string, std::string>> framework_options = {
  {"state-dir", "DIR   where the journal and snapshots live (required)"},
  {"parallelism", "N   instances of each keyed operator (1..max-key-groups, default 1)"},
  {"max-key-groups", "M   key groups per job, fixed for its state (1..32768, default 128)"},
  {"no-journal", "   snapshots only: faster, not exactly-once"},
  {"snapshot-every", "N   snapshot a partition every N journal entries (default 1000)"},
  {"snapshot-interval-ms", "T   ... or every T ms (default 10000)"},
  {"restart-budget", "N   restarts of one partition per minute before the job fails (default 5)"},
  {"idle-timeout-ms", "T   an input silent for T ms stops holding the watermark back (default 0: never)"},
  {"watermark-interval-ms", "T   the source and keyed operators send watermarks without data at most every T ms (default 5)"},
  {"channel-budget-mib", "M   MiB all channels together may hold unacknowledged before producers pause (default 16; 4 in a cluster)"},
  {"from-savepoint", "PATH   start from this savepoint, at any --parallelism or number of workers (into a new state directory)"},
  {"allow-non-restored-state", "   with --from-savepoint: drop the state of operators the job no longer has"},
  {"check-savepoint", "PATH   only check that this job can start from savepoint PATH (operators, states, their types) and exit: 0 it can, 2 it cannot"},
  {"savepoint-dir", "DIR   where savepoints go (default STATE-DIR/savepoints); SIGUSR1 takes one, SIGUSR2 stops with one"},
  {"threads", "N   scheduler threads (default: cores)"},
  {"log-level", "L   trace, debug, info, warn, error, off (default info)"},
  {"log-format", "F   text (default) or json: every log line one JSON object (time, level, logger, node, message)"},
  {"metrics-listen", "HOST:PORT   serve Prometheus metrics at http://HOST:PORT/metrics (port 0: any free one, written to STATE-DIR/metrics.address; default: off)"},
  {"role", "R   local (default: the whole job here), coordinator or worker"},
  {"listen", "HOST:PORT   coordinator: where workers reach it (default 127.0.0.1:0, any free port)"},
  {"coordinator", "HOST:PORT   worker: the coordinator to join (required with --role worker)"},
  {"workers", "N   coordinator: workers the job runs on (default 1)"},
  {"connect-timeout-ms", "T   worker: give up reaching the coordinator after T ms (default 5000)"},
  {"heartbeat-ms", "T   cluster: nodes send heartbeats every T ms (default 200)"},
  {"peer-timeout-ms", "T   cluster: a node silent for T ms is lost (default 2000)"},
};

const std::set<std::string> boolean_options = {"no-journal", "help", "allow-non-restored-state"};

} // namespace

job::job(std::string name) : name_(std::move(name)) {
  config_.name = name_;
}

job::job(std::string name, int argc, char** argv) : job(std::move(name)) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0 || a.size() == 2) {
      errors_.push_back("unexpected argument '" + a + "'");
      continue;
    }
    a.erase(0, 2);
    std::string value;
    if (auto eq = a.find('='); eq != std::string::npos) {
      value = a.substr(eq + 1);
      a.erase(eq);
    } else if (!boolean_options.count(a)) {
      if (i + 1 >= argc) {
        errors_.push_back("option --" + a + " needs a value");
        continue;
      }
      value = argv[++i];
    }
    if (options_.count(a))
      errors_.push_back("option --" + a + " given twice");
    options_[a] = value;
  }
  help_ = options_.erase("help") > 0;
  for (auto& [opt, help] : framework_options)
    help_lines_.emplace_back(opt, help);

  config_.state_dir = arg("state-dir", "", "");
  config_.check_savepoint = arg("check-savepoint", "", "");
  if (config_.state_dir.empty() && config_.check_savepoint.empty() && !help_)
    errors_.push_back("option --state-dir is required");
  config_.max_key_groups = static_cast<uint32_t>(
    int_arg("max-key-groups", default_max_key_groups, 1, max_max_key_groups));
  config_.parallelism =
    static_cast<uint32_t>(int_arg("parallelism", 1, 1, config_.max_key_groups));
  config_.journal = options_.erase("no-journal") == 0;
  config_.snapshot_every_entries =
    static_cast<uint64_t>(int_arg("snapshot-every", 1000, 1, 1'000'000'000));
  config_.snapshot_interval_ms =
    static_cast<uint64_t>(int_arg("snapshot-interval-ms", 10'000, 1, 86'400'000));
  config_.restart_budget = static_cast<uint32_t>(int_arg("restart-budget", 5, 0, 1000));
  config_.idle_timeout_ms = int_arg("idle-timeout-ms", 0, 0, 86'400'000);
  config_.watermark_interval_ms = int_arg("watermark-interval-ms", 5, 0, 60'000);
  config_.from_savepoint = arg("from-savepoint", "", "");
  config_.allow_non_restored_state = options_.erase("allow-non-restored-state") > 0;
  if (config_.allow_non_restored_state && config_.from_savepoint.empty() && config_.check_savepoint.empty())
    errors_.push_back("option --allow-non-restored-state needs --from-savepoint or --check-savepoint");
  config_.savepoint_dir = arg("savepoint-dir", "", "");
  if (config_.savepoint_dir.empty() && !config_.state_dir.empty())
    config_.savepoint_dir = config_.state_dir / "savepoints";
  config_.threads = static_cast<uint32_t>(int_arg("threads", 0, 0, 256));
  config_.log_level = arg("log-level", "info", "");
  static const std::set<std::string> levels = {"trace", "debug", "info", "warn", "error", "off"};
  if (!levels.count(config_.log_level))
    errors_.push_back("option --log-level: '" + config_.log_level
                      + "' is not one of trace, debug, info, warn, error, off");
  config_.log_format = arg("log-format", "text", "");
  if (config_.log_format != "text" && config_.log_format != "json")
    errors_.push_back("option --log-format: '" + config_.log_format + "' is not one of text, json");
  config_.metrics_listen = arg("metrics-listen", "", "");
  parse_cluster_options();
  help_lines_.resize(framework_options.size());
}

void job::parse_cluster_options() {
  auto role = arg("role", "local", "");
  if (role == "coordinator")
    config_.role = node_role::coordinator;
  else if (role == "worker")
    config_.role = node_role::worker;
  else if (role != "local")
    errors_.push_back("option --role: '" + role + "' is not one of local, coordinator, worker");
  config_.listen = arg("listen", config_.listen, "");
  config_.coordinator = arg("coordinator", "", "");
  config_.workers = static_cast<uint32_t>(int_arg("workers", 1, 1, 1024));
  config_.connect_timeout_ms = static_cast<uint64_t>(int_arg("connect-timeout-ms", 5'000, 1, 3'600'000));
  config_.heartbeat_ms = static_cast<uint64_t>(int_arg("heartbeat-ms", 200, 10, 60'000));
  config_.peer_timeout_ms = static_cast<uint64_t>(int_arg("peer-timeout-ms", 2'000, 50, 3'600'000));
  if (config_.peer_timeout_ms <= 2 * config_.heartbeat_ms)
    errors_.push_back("option --peer-timeout-ms must be more than twice --heartbeat-ms");
  // Between nodes what is unacknowledged queues in CAF's one BASP broker per
  // node, ahead of the coordinator's messages: less of it in a cluster cut
  // failover and handoff times by a third to a half, at no cost in
  // throughput (bench/RESULTS.md, issue 9).
  config_.channel_budget_bytes =
    static_cast<uint64_t>(int_arg("channel-budget-mib", config_.role == node_role::local ? 16 : 4, 1, 1 << 20)) << 20;
  if (config_.role == node_role::worker && config_.coordinator.empty() && !help_)
    errors_.push_back("option --coordinator HOST:PORT is required with --role worker");
  if (config_.role != node_role::worker && !config_.coordinator.empty())
    errors_.push_back("option --coordinator is for --role worker only");
}

std::optional<std::string> job::claim(const std::string& name, const std::string& help) {
  help_lines_.emplace_back(name, help);
  if (auto i = options_.find(name); i != options_.end()) {
    claimed_.insert(*i);
    options_.erase(i);
  }
  auto c = claimed_.find(name);
  return c == claimed_.end() ? std::nullopt : std::optional{c->second};
}

std::string job::arg(const std::string& name, const std::string& help) {
  auto value = claim(name, help);
  if (!value && !help_)
    errors_.push_back("option --" + name + " is required");
  return value.value_or("");
}

std::string job::arg(const std::string& name, const std::string& fallback,
                     const std::string& help) {
  return claim(name, help).value_or(fallback);
}

int64_t job::int_arg(const std::string& name, int64_t fallback, int64_t min, int64_t max,
                     const std::string& help) {
  auto given = claim(name, help);
  if (!given)
    return fallback;
  auto& text = *given;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    errors_.push_back("option --" + name + ": '" + text + "' is not a whole number");
    return fallback;
  }
  if (value < min || value > max) {
    errors_.push_back("option --" + name + ": " + text + " is out of range " + std::to_string(min)
                      + ".." + std::to_string(max));
    return fallback;
  }
  return value;
}

void job::fail(std::string message) {
  errors_.push_back(std::move(message));
}

std::vector<std::string> job::problems() const {
  auto result = errors_;
  for (auto& [name, value] : options_)
    result.push_back("unknown option --" + name);
  if (!graph_.source) {
    result.push_back("job '" + name_ + "' has no source");
    return result;
  }
  auto check_edges = [&](const std::vector<dataflow::output_edge>& edges, const std::string& of) {
    for (auto& e : edges)
      if (e.kind == dataflow::output_edge::none)
        result.push_back("job '" + name_ + "': " + (e.side_id ? "a side output" : "the output")
                         + " of " + of + " ends in neither key_by().process() nor sink()");
  };
  check_edges(graph_.source->outputs, "the source");
  for (auto& k : graph_.keyed)
    check_edges(k.outputs, "operator " + k.name);
  return result;
}

std::string job::usage() const {
  std::ostringstream out;
  out << "usage: " << name_ << " [options]\n";
  for (auto& [name, help] : help_lines_)
    out << "  --" << name << " " << help << "\n";
  return out.str();
}

} // namespace eddy
