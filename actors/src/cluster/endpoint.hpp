#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <caf/all.hpp>

#include "eddy/error.hpp"

namespace eddy::actors::cluster {

/// A HOST:PORT a node listens on or connects to.
struct endpoint {
  std::string host;
  uint16_t port = 0;

  std::string text() const {
    return host + ":" + std::to_string(port);
  }
};

/// `text` as HOST:PORT; errc::invalid_argument naming `option` when it is not one.
expected<endpoint> parse_endpoint(const std::string& text, const std::string& option);

/// Publishes `agent` at `where` (port 0: any free one) with CAF's middleman;
/// the endpoint it listens on, or an error naming `where`.
expected<endpoint> listen(caf::actor_system& sys, const caf::actor& agent, const endpoint& where);

/// The actor published at `where`, connecting again while the connection
/// is refused, until `timeout`. A peer that accepts but never completes
/// CAF's handshake (which has no timeout of its own) also gives up at
/// `timeout`. Call from a thread that is not one of CAF's workers.
expected<caf::actor> connect(caf::actor_system& sys, const endpoint& where,
                             std::chrono::milliseconds timeout);

} // namespace eddy::actors::cluster
