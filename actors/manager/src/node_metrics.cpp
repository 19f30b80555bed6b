#include "node_metrics.hpp"

#include <fstream>
#include <sstream>

#include <httplib.h>

namespace eddy::manager {

namespace fs = std::filesystem;

namespace {

/// Label values are quoted with \\, \" and \n escaped (text format 0.0.4).
bool parse_labels(const std::string& text, size_t& at, std::map<std::string, std::string>& labels) {
  while (at < text.size() && text[at] != '}') {
    auto eq = text.find('=', at);
    if (eq == std::string::npos || eq + 1 >= text.size() || text[eq + 1] != '"')
      return false;
    auto key = text.substr(at, eq - at);
    std::string value;
    size_t i = eq + 2;
    for (; i < text.size() && text[i] != '"'; ++i) {
      if (text[i] == '\\' && i + 1 < text.size()) {
        ++i;
        value += text[i] == 'n' ? '\n' : text[i];
      } else {
        value += text[i];
      }
    }
    if (i >= text.size())
      return false;
    labels[key] = value;
    at = i + 1;
    if (at < text.size() && text[at] == ',')
      ++at;
  }
  if (at >= text.size())
    return false;
  ++at; // '}'
  return true;
}

} // namespace

std::vector<metric_sample> parse_exposition(const std::string& text) {
  std::vector<metric_sample> samples;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#')
      continue;
    metric_sample s;
    auto end = line.find_first_of("{ ");
    if (end == std::string::npos)
      continue;
    s.name = line.substr(0, end);
    size_t at = end;
    if (line[at] == '{' && !parse_labels(line, ++at, s.labels))
      continue;
    try {
      s.value = std::stod(line.substr(at));
    } catch (...) {
      continue; // NaN and +Inf parse; anything else is not a sample
    }
    samples.push_back(std::move(s));
  }
  return samples;
}

std::vector<metrics_node> metrics_nodes(const fs::path& cluster_dir) {
  std::vector<metrics_node> nodes;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(cluster_dir / "state", ec)) {
    std::ifstream in{e.path() / "metrics.address"};
    std::string address;
    if (std::getline(in, address) && !address.empty())
      nodes.push_back({e.path().filename().string(), address});
  }
  return nodes;
}

scrape scrape_nodes(const std::vector<metrics_node>& nodes, std::chrono::milliseconds timeout) {
  scrape s;
  s.at = std::chrono::steady_clock::now();
  for (auto& n : nodes) {
    httplib::Client c{"http://" + n.address};
    c.set_connection_timeout(timeout);
    c.set_read_timeout(timeout);
    auto r = c.Get("/metrics");
    s.up[n.name] = r && r->status == 200;
    if (s.up[n.name])
      for (auto& sample : parse_exposition(r->body))
        s.samples.push_back(std::move(sample));
  }
  return s;
}

} // namespace eddy::manager
