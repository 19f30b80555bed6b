#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace eddy::manager {

/// One sample of Prometheus' text exposition: `name{labels} value`.
struct metric_sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

/// The samples of exposition text (comments and malformed lines skipped).
std::vector<metric_sample> parse_exposition(const std::string& text);

/// A node of a job's cluster and where it serves /metrics.
struct metrics_node {
  std::string name;    ///< "coordinator", "worker-1", or "local"
  std::string address; ///< HOST:PORT from its STATE-DIR/metrics.address
};

/// The nodes of the cluster in `cluster_dir` that serve metrics.
std::vector<metrics_node> metrics_nodes(const std::filesystem::path& cluster_dir);

/// Every node's samples at one moment (a node that does not answer within
/// `timeout` is missing from `up`).
struct scrape {
  std::chrono::steady_clock::time_point at;
  std::vector<metric_sample> samples;
  std::map<std::string, bool> up; ///< by node name
};

scrape scrape_nodes(const std::vector<metrics_node>& nodes, std::chrono::milliseconds timeout);

} // namespace eddy::manager
