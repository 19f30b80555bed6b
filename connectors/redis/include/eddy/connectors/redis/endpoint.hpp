#pragma once

#include <string>
#include <string_view>

#include "eddy/error.hpp"

namespace eddy::connectors::redis {

/// Where a Redis server listens, and how to log in to it.
struct endpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password; ///< sent with AUTH when not empty
  int db = 0;           ///< selected with SELECT when not 0
};

/// Parses `redis://[:password@]host[:port][/db]` (port 6379 and db 0 when
/// left out). Fails with errc::invalid_argument naming `url` otherwise.
expected<endpoint> parse_endpoint(std::string_view url);

/// "host:port", for messages.
std::string address_of(const endpoint& e);

} // namespace eddy::connectors::redis
