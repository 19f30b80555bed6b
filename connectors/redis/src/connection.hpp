#pragma once

// A blocking hiredis connection with Eddy errors: connect (AUTH, SELECT),
// reconnect with backoff, single commands and pipelined batches in RESP.

#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/connectors/redis/endpoint.hpp"
#include "eddy/error.hpp"

namespace eddy::connectors::redis::detail {

struct reply_deleter {
  void operator()(redisReply* r) const noexcept {
    freeReplyObject(r);
  }
};
using reply = std::unique_ptr<redisReply, reply_deleter>;

/// Appends `args` to `out` as one RESP command (what hiredis would format),
/// so a batch of commands is one buffer and one write.
void append_command(std::string& out, std::initializer_list<std::string_view> args);
void append_command(std::string& out, const std::vector<std::string_view>& args);

/// How often to reconnect, and the first wait (doubled each time).
struct retry_policy {
  int reconnects = 5;
  int backoff_ms = 100;
};

/// One connection to one server. Owned by one thread; not thread-safe.
/// Errors name the server ("redis 127.0.0.1:6379: ..."); a broken
/// connection (I/O error, EOF, timeout) is closed and errc::unavailable,
/// a server's error reply is errc::io with the server's message.
class connection {
public:
  connection(endpoint server, retry_policy retry);

  const endpoint& server() const noexcept {
    return server_;
  }
  bool connected() const noexcept {
    return ctx_ != nullptr;
  }

  /// Connects (once) with a 2 s timeout, then AUTH and SELECT as configured.
  [[nodiscard]] error connect();

  /// Closes, then connects again up to retry.reconnects times with backoff.
  [[nodiscard]] error reconnect();

  /// Runs one idempotent command, reconnecting and repeating it if the
  /// connection breaks. Error replies are errors.
  [[nodiscard]] expected<reply> run(std::initializer_list<std::string_view> args);

  /// Sends the RESP bytes `commands` and reads `count` replies, without any
  /// retry; error replies are returned as replies, for the caller to judge.
  [[nodiscard]] expected<std::vector<reply>> pipeline(const std::string& commands, size_t count);

  /// "redis 127.0.0.1:6379: <what>", the prefix of every error.
  std::string describe(std::string_view what) const;

private:
  [[nodiscard]] error broken(std::string_view during);
  [[nodiscard]] expected<reply> run_once(const std::string& command);

  endpoint server_;
  retry_policy retry_;
  std::unique_ptr<redisContext, void (*)(redisContext*)> ctx_{nullptr, redisFree};
};

} // namespace eddy::connectors::redis::detail
