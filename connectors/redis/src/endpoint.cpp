#include "eddy/connectors/redis/endpoint.hpp"

#include <charconv>

namespace eddy::connectors::redis {

namespace {

/// The decimal number `text` if it is one within [lo, hi].
bool parse_int(std::string_view text, int lo, int hi, int& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size() && out >= lo && out <= hi;
}

} // namespace

expected<endpoint> parse_endpoint(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return error{errc::invalid_argument, "bad Redis URL '" + std::string{url} + "': "
                                           + std::string{why}
                                           + " (expected redis://[:password@]host[:port][/db])"};
  };
  constexpr std::string_view scheme = "redis://";
  if (!url.starts_with(scheme))
    return bad("it does not start with redis://");
  auto rest = url.substr(scheme.size());
  endpoint e;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    auto login = rest.substr(0, at);
    if (!login.starts_with(':'))
      return bad("only a password is supported before '@', as ':password@'");
    e.password = login.substr(1);
    rest = rest.substr(at + 1);
  }
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    if (!parse_int(rest.substr(slash + 1), 0, 1 << 20, e.db))
      return bad("the database after '/' is not a number");
    rest = rest.substr(0, slash);
  }
  if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    if (!parse_int(rest.substr(colon + 1), 1, 65535, e.port))
      return bad("the port is not a number in 1..65535");
    rest = rest.substr(0, colon);
  }
  if (rest.empty())
    return bad("the host is empty");
  e.host = rest;
  return e;
}

std::string address_of(const endpoint& e) {
  return e.host + ":" + std::to_string(e.port);
}

} // namespace eddy::connectors::redis
