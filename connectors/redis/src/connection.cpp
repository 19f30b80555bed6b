#include "connection.hpp"

#include <sys/time.h>

#include <chrono>
#include <thread>

namespace eddy::connectors::redis::detail {

namespace {

template <class Args>
void append_args(std::string& out, const Args& args) {
  out += '*';
  out += std::to_string(args.size());
  out += "\r\n";
  for (auto a : args) {
    out += '$';
    out += std::to_string(a.size());
    out += "\r\n";
    out.append(a.data(), a.size());
    out += "\r\n";
  }
}

std::string text_of(const redisReply& r) {
  return std::string{r.str, r.len};
}

} // namespace

void append_command(std::string& out, std::initializer_list<std::string_view> args) {
  append_args(out, args);
}

void append_command(std::string& out, const std::vector<std::string_view>& args) {
  append_args(out, args);
}

connection::connection(endpoint server, retry_policy retry)
  : server_(std::move(server)), retry_(retry) {
}

std::string connection::describe(std::string_view what) const {
  return "redis " + address_of(server_) + ": " + std::string{what};
}

error connection::broken(std::string_view during) {
  std::string why = ctx_ && ctx_->err ? ctx_->errstr : "connection lost";
  ctx_.reset();
  return error{errc::unavailable, describe(std::string{during} + ": " + why)};
}

error connection::connect() {
  if (ctx_)
    return {};
  timeval connect_timeout{2, 0};
  ctx_.reset(redisConnectWithTimeout(server_.host.c_str(), server_.port, connect_timeout));
  if (!ctx_ || ctx_->err)
    return broken("cannot connect");
  // A server that stops answering must not hang a read or commit forever.
  timeval io_timeout{10, 0};
  if (redisSetTimeout(ctx_.get(), io_timeout) != REDIS_OK)
    return broken("cannot set a timeout");
  std::string setup;
  size_t count = 0;
  if (!server_.password.empty()) {
    append_command(setup, {"AUTH", server_.password});
    ++count;
  }
  if (server_.db != 0) {
    append_command(setup, {"SELECT", std::to_string(server_.db)});
    ++count;
  }
  if (count == 0)
    append_command(setup, {"PING"}), ++count; // a listening port is not yet a Redis server
  auto replies = pipeline(setup, count);
  if (!replies)
    return replies.error();
  for (auto& r : *replies)
    if (r->type == REDIS_REPLY_ERROR) {
      ctx_.reset();
      return error{errc::unavailable, describe("refused the login: " + text_of(*r))};
    }
  return {};
}

error connection::reconnect() {
  ctx_.reset();
  error last;
  auto wait = std::chrono::milliseconds{retry_.backoff_ms};
  for (int attempt = 0; attempt < retry_.reconnects; ++attempt) {
    std::this_thread::sleep_for(wait);
    wait *= 2;
    last = connect();
    if (!last)
      return {};
  }
  if (!last)
    last = error{errc::unavailable, describe("not reconnected")};
  return error{last.code(), last.message() + " (gave up after " + std::to_string(retry_.reconnects)
                              + " reconnects)"};
}

expected<reply> connection::run_once(const std::string& command) {
  auto replies = pipeline(command, 1);
  if (!replies)
    return replies.error();
  auto r = std::move(replies->front());
  if (r->type == REDIS_REPLY_ERROR)
    return error{errc::io, describe(text_of(*r))};
  return r;
}

expected<reply> connection::run(std::initializer_list<std::string_view> args) {
  std::string command;
  append_command(command, args);
  if (auto err = connect(); err && (err = reconnect()))
    return err;
  auto r = run_once(command);
  if (r || r.error().code() != errc::unavailable)
    return r;
  if (auto err = reconnect())
    return err;
  return run_once(command);
}

expected<std::vector<reply>> connection::pipeline(const std::string& commands, size_t count) {
  if (!ctx_)
    return error{errc::unavailable, describe("not connected")};
  if (redisAppendFormattedCommand(ctx_.get(), commands.data(), commands.size()) != REDIS_OK)
    return broken("cannot send");
  std::vector<reply> replies;
  replies.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_.get(), &raw) != REDIS_OK || raw == nullptr)
      return broken("no reply");
    replies.emplace_back(static_cast<redisReply*>(raw));
  }
  return replies;
}

} // namespace eddy::connectors::redis::detail
