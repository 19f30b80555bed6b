#pragma once

// Helpers for tests that scrape a node's Prometheus /metrics: find the
// address the node wrote, fetch the exposition, add up a metric's samples,
// and run promtool on it. Header-only.

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>

#include <httplib.h>

#include "integration/process.hpp"

namespace eddy::test {

/// The HOST:PORT in `state_dir/metrics.address`, waiting up to `timeout`
/// for the node to write it; "" if it did not.
inline std::string metrics_address(const std::filesystem::path& state_dir,
                                   std::chrono::steady_clock::duration timeout = std::chrono::seconds{30}) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto lines = lines_of(slurp(state_dir / "metrics.address"));
    if (!lines.empty() && !lines.front().empty())
      return lines.front();
    if (std::chrono::steady_clock::now() >= deadline)
      return {};
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
}

/// The body of `GET http://address/metrics`; "" when it fails or is not 200.
inline std::string scrape(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos)
    return {};
  httplib::Client client{address.substr(0, colon), std::stoi(address.substr(colon + 1))};
  client.set_connection_timeout(std::chrono::seconds{2});
  client.set_read_timeout(std::chrono::seconds{5});
  auto res = client.Get("/metrics");
  return res && res->status == 200 ? res->body : std::string{};
}

/// Scrapes `address` until `pred(exposition)` holds or `timeout` passes; the last scrape.
template <class Pred>
std::string scrape_until(const std::string& address, Pred pred,
                         std::chrono::seconds timeout = std::chrono::seconds{30}) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto text = scrape(address);
  while (!pred(text) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
    text = scrape(address);
  }
  return text;
}

/// The sum of the samples of metric `name` (exactly that name, any labels)
/// whose label text contains `label_part`.
inline double sum_of(const std::string& exposition, const std::string& name,
                     const std::string& label_part = "") {
  double sum = 0;
  for (auto& line : lines_of(exposition)) {
    if (line.empty() || line.front() == '#' || line.rfind(name, 0) != 0)
      continue;
    auto rest = line.substr(name.size());
    if (rest.empty() || (rest.front() != '{' && rest.front() != ' '))
      continue; // another metric whose name starts with `name`
    auto space = rest.rfind(' ');
    if (rest.substr(0, space).find(label_part) == std::string::npos)
      continue;
    sum += std::stod(rest.substr(space + 1));
  }
  return sum;
}

/// `promtool check metrics` on `exposition`: its exit status and output.
inline std::pair<int, std::string> promtool_check(const std::string& exposition,
                                                  const std::filesystem::path& scratch) {
  auto in = scratch / "promtool.in";
  auto out = scratch / "promtool.out";
  {
    std::ofstream f{in, std::ios::binary};
    f << exposition;
  }
  auto status = run({"/bin/sh", "-c", "/usr/bin/promtool check metrics < '" + in.string() + "'"},
                    out, out, std::chrono::seconds{30});
  return {status.exited ? status.code : -1, slurp(out)};
}

} // namespace eddy::test
