#include "metrics/http_endpoint.hpp"

#include <sys/socket.h>

#include <chrono>

#include <httplib.h>

#include "metrics/exposition.hpp"

namespace eddy::actors::metrics {

expected<std::unique_ptr<http_endpoint>> http_endpoint::start(const std::string& host,
                                                              uint16_t port, const registry& reg) {
  std::unique_ptr<http_endpoint> ep{new http_endpoint};
  ep->server_ = std::make_unique<httplib::Server>();
  // httplib's default adds SO_REUSEPORT, with which a second node binds the
  // same port and takes half the scrapes: an address in use must fail.
  ep->server_->set_socket_options([](auto sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  ep->server_->Get("/metrics", [&reg](const httplib::Request&, httplib::Response& res) {
    res.set_content(exposition(reg), exposition_content_type);
  });
  int bound = port;
  if (port == 0)
    bound = ep->server_->bind_to_any_port(host);
  else if (!ep->server_->bind_to_port(host, port))
    bound = -1;
  if (bound <= 0)
    return error{errc::invalid_argument, "cannot serve metrics on " + host + ":"
                                           + std::to_string(port) + ": cannot bind"};
  ep->address_ = host + ":" + std::to_string(bound);
  ep->thread_ = std::thread{[s = ep->server_.get()] { s->listen_after_bind(); }};
  // stop() does nothing to a server not yet running: wait until it runs,
  // so that the destructor always ends the thread.
  for (int i = 0; i < 2000 && !ep->server_->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (!ep->server_->is_running())
    return error{errc::io, "cannot serve metrics on " + ep->address_ + ": the server did not start"};
  return ep;
}

http_endpoint::~http_endpoint() {
  server_->stop();
  if (thread_.joinable())
    thread_.join();
}

} // namespace eddy::actors::metrics
