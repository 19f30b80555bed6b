#include "redis_out.hpp"

#include <hiredis/hiredis.h>

#include <memory>

#include "eddy/connectors/redis/endpoint.hpp"

namespace telematics {

std::string append_to_stream(const std::string& url, const std::string& stream,
                             const std::vector<sample>& samples) {
  namespace redis = eddy::connectors::redis;
  auto server = redis::parse_endpoint(url);
  if (!server)
    return server.error().message();
  auto where = "Redis " + redis::address_of(*server) + ": ";
  std::unique_ptr<redisContext, void (*)(redisContext*)> c{
    redisConnect(server->host.c_str(), server->port), redisFree};
  if (!c || c->err)
    return where + (c ? c->errstr : "cannot connect");
  auto command = [&](std::vector<std::string> args) {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (auto& a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    return redisAppendCommandArgv(c.get(), static_cast<int>(args.size()), argv.data(), lengths.data());
  };
  if (!server->password.empty())
    command({"AUTH", server->password});
  if (server->db != 0)
    command({"SELECT", std::to_string(server->db)});
  size_t pending = (server->password.empty() ? 0 : 1) + (server->db != 0 ? 1 : 0);
  // Replies are read every 1000 commands, so the pipeline stays bounded.
  auto drain = [&]() -> std::string {
    for (; pending > 0; --pending) {
      void* reply = nullptr;
      if (redisGetReply(c.get(), &reply) != REDIS_OK)
        return where + c->errstr;
      auto* r = static_cast<redisReply*>(reply);
      std::string error = r->type == REDIS_REPLY_ERROR ? where + r->str : "";
      freeReplyObject(r);
      if (!error.empty())
        return error;
    }
    return {};
  };
  for (auto& s : samples) {
    command({"XADD", stream, "*", "vehicle", std::to_string(s.vehicle), "driver",
             std::to_string(s.driver), "ts_ms", std::to_string(s.ts), "lat", std::to_string(s.lat),
             "lon", std::to_string(s.lon), "speed_kmh", std::to_string(s.speed_kmh)});
    if (++pending >= 1000)
      if (auto e = drain(); !e.empty())
        return e;
  }
  return drain();
}

} // namespace telematics
