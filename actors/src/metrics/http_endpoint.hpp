#pragma once

#include <memory>
#include <string>
#include <thread>

#include "eddy/error.hpp"
#include "metrics/registry.hpp"

namespace httplib {
class Server;
}

namespace eddy::actors::metrics {

/// Serves `GET /metrics` (exposition.hpp) of a registry over HTTP with
/// cpp-httplib, on a thread of its own, so that scrapes never wait for the
/// actors and the actors never wait for a scrape. Owned by the node's main
/// function; the destructor stops the server and joins its thread.
class http_endpoint {
public:
  /// Listens on `host`:`port` (port 0: any free one) and starts serving;
  /// an error naming the address when it cannot bind.
  static expected<std::unique_ptr<http_endpoint>> start(const std::string& host, uint16_t port,
                                                        const registry& reg);

  ~http_endpoint();
  http_endpoint(const http_endpoint&) = delete;
  http_endpoint& operator=(const http_endpoint&) = delete;

  /// HOST:PORT it listens on, with the port it bound.
  const std::string& address() const noexcept {
    return address_;
  }

private:
  http_endpoint() = default;

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::string address_;
};

} // namespace eddy::actors::metrics
