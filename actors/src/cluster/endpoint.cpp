#include "endpoint.hpp"

#include <charconv>
#include <future>
#include <thread>

#include <caf/io/middleman.hpp>

namespace eddy::actors::cluster {

expected<endpoint> parse_endpoint(const std::string& text, const std::string& option) {
  auto colon = text.rfind(':');
  auto bad = [&] {
    return error{errc::invalid_argument,
                 "option " + option + ": '" + text + "' is not HOST:PORT (e.g. 127.0.0.1:7400)"};
  };
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    return bad();
  endpoint e;
  e.host = text.substr(0, colon);
  unsigned port = 0;
  auto* first = text.data() + colon + 1;
  auto* last = text.data() + text.size();
  auto [end, ec] = std::from_chars(first, last, port);
  if (ec != std::errc{} || end != last || port > 65535)
    return bad();
  e.port = static_cast<uint16_t>(port);
  return e;
}

expected<endpoint> listen(caf::actor_system& sys, const caf::actor& agent, const endpoint& where) {
  auto port = sys.middleman().publish(agent, where.port, where.host.c_str(), true);
  if (!port)
    return error{errc::invalid_argument,
                 "cannot listen on " + where.text() + ": " + sys.render(port.error())};
  return endpoint{where.host, *port};
}

expected<caf::actor> connect(caf::actor_system& sys, const endpoint& where,
                             std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last_error = "no answer";
  while (std::chrono::steady_clock::now() < deadline) {
    // remote_actor blocks until the handshake completes, which a peer that
    // accepted but hangs never does: wait for it on a thread of its own.
    auto attempt = std::make_shared<std::promise<caf::expected<caf::actor>>>();
    auto result = attempt->get_future();
    std::thread{[&sys, where, attempt] {
      attempt->set_value(sys.middleman().remote_actor(where.host, where.port));
    }}.detach();
    if (result.wait_until(deadline) != std::future_status::ready)
      return error{errc::unavailable, where.text() + " accepted the connection but did not answer within "
                                        + std::to_string(timeout.count()) + " ms"};
    auto got = result.get();
    if (got)
      return *got;
    last_error = sys.render(got.error());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return error{errc::unavailable, "nothing answers at " + where.text() + " (" + last_error
                                    + ") within " + std::to_string(timeout.count()) + " ms"};
}

} // namespace eddy::actors::cluster
