#pragma once

// A bare hiredis client for tests: run a command, get its reply as text,
// an integer or a list of texts. Throws on a broken connection.

#include <hiredis/hiredis.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace eddy::test {

class redis_client {
public:
  explicit redis_client(int port) : ctx_(redisConnect("127.0.0.1", port), redisFree) {
    if (!ctx_ || ctx_->err)
      throw std::runtime_error("redis_client: cannot connect to port " + std::to_string(port));
  }

  /// The flattened reply of `args`: strings, numbers as text, nested arrays
  /// flattened in order; an error reply as "ERR ...".
  std::vector<std::string> run(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* raw = static_cast<redisReply*>(
      redisCommandArgv(ctx_.get(), static_cast<int>(args.size()), argv.data(), lens.data()));
    if (raw == nullptr)
      throw std::runtime_error("redis_client: connection broken running " + args.front());
    std::vector<std::string> out;
    flatten(*raw, out);
    freeReplyObject(raw);
    return out;
  }

  /// The first item of run(args), "" when the reply is empty or nil.
  std::string one(const std::vector<std::string>& args) {
    auto r = run(args);
    return r.empty() ? std::string{} : r.front();
  }

private:
  static void flatten(const redisReply& r, std::vector<std::string>& out) {
    switch (r.type) {
      case REDIS_REPLY_ARRAY:
        for (size_t i = 0; i < r.elements; ++i)
          flatten(*r.element[i], out);
        break;
      case REDIS_REPLY_INTEGER:
        out.push_back(std::to_string(r.integer));
        break;
      case REDIS_REPLY_NIL:
        break;
      default:
        out.emplace_back(r.str, r.len);
    }
  }

  std::unique_ptr<redisContext, void (*)(redisContext*)> ctx_;
};

} // namespace eddy::test
