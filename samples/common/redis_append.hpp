#pragma once

// What a sample's `generate` command uses to fill a Redis stream: records
// appended with XADD, pipelined in batches (one round trip per batch).
// Header-only; a sample that includes it links hiredis (PkgConfig::hiredis).

#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "eddy/connectors/redis/endpoint.hpp"

namespace samples {

/// Appends `records` to stream `stream` on `url` (redis://HOST:PORT), each
/// as `XADD stream * columns[0] value[0] ...`, `batch` commands per round
/// trip. Returns "" or what went wrong, naming the server.
inline std::string redis_append(const std::string& url, const std::string& stream,
                                const std::vector<std::string>& columns,
                                const std::vector<std::vector<std::string>>& records,
                                size_t batch = 1000) {
  auto server = eddy::connectors::redis::parse_endpoint(url);
  if (!server)
    return server.error().message();
  auto where = "Redis " + eddy::connectors::redis::address_of(*server);
  timeval timeout{5, 0};
  std::unique_ptr<redisContext, void (*)(redisContext*)> c{
    redisConnectWithTimeout(server->host.c_str(), server->port, timeout), redisFree};
  if (!c || c->err)
    return where + ": cannot connect: " + (c ? c->errstr : "out of memory");
  auto command = [&](std::vector<std::string> args) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    return redisAppendCommandArgv(c.get(), static_cast<int>(argv.size()), argv.data(), lens.data());
  };
  auto replies = [&](size_t n) -> std::string {
    for (size_t i = 0; i < n; ++i) {
      void* reply = nullptr;
      if (redisGetReply(c.get(), &reply) != REDIS_OK)
        return where + ": " + c->errstr;
      std::unique_ptr<redisReply, void (*)(void*)> r{static_cast<redisReply*>(reply), freeReplyObject};
      if (r->type == REDIS_REPLY_ERROR)
        return where + ": " + std::string{r->str, r->len};
    }
    return {};
  };
  size_t pending = 0;
  if (!server->password.empty()) {
    command({"AUTH", server->password});
    ++pending;
  }
  if (server->db != 0) {
    command({"SELECT", std::to_string(server->db)});
    ++pending;
  }
  for (auto& record : records) {
    std::vector<std::string> args{"XADD", stream, "*"};
    for (size_t i = 0; i < columns.size() && i < record.size(); ++i) {
      args.push_back(columns[i]);
      args.push_back(record[i]);
    }
    if (command(std::move(args)) != REDIS_OK)
      return where + ": " + c->errstr;
    if (++pending == batch) {
      if (auto problem = replies(pending); !problem.empty())
        return problem;
      pending = 0;
    }
  }
  return replies(pending);
}

} // namespace samples
