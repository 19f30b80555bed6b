// xadd()'s Redis side: XADDs staged in one RESP buffer, committed with the
// marks in one pipelined MULTI/EXEC; a retry first asks whether it landed.

#include <algorithm>
#include <charconv>
#include <chrono>
#include <thread>

#include "connection.hpp"
#include "eddy/connectors/redis/xadd.hpp"

namespace eddy::connectors::redis::detail {

namespace {

std::string text_of(const redisReply& r) {
  return std::string{r.str, r.len};
}

uint64_t number_of(const redisReply& r, bool& ok) {
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(r.str, r.str + r.len, n);
  ok = ok && r.type == REDIS_REPLY_STRING && ec == std::errc{} && end == r.str + r.len;
  return n;
}

} // namespace

struct stream_writer::impl {
  endpoint server;
  std::string stream;
  sink_options options;
  std::string marks_key;
  connection conn;
  std::string pending;        ///< staged XADDs, as RESP
  size_t pending_count = 0;
  sink_marks committed;       ///< the marks of the last commit (or of open())
  uint64_t commits = 0;
  std::vector<std::string_view> args; ///< reused by add()

  impl(endpoint s, std::string st, sink_options o, uint32_t instance)
    : server(std::move(s)), stream(std::move(st)), options(std::move(o)),
      marks_key("eddy:marks:" + (options.sink_id.empty() ? stream : options.sink_id) + ":"
                + std::to_string(instance)),
      conn(server, {options.reconnects, options.backoff_ms}) {
  }

  std::string name() const {
    return "redis://" + address_of(server) + "/" + stream;
  }

  /// The marks in the hash, sorted by channel.
  expected<sink_marks> stored_marks() {
    auto r = conn.run({"HGETALL", marks_key});
    if (!r)
      return r.error();
    sink_marks marks;
    auto& h = **r;
    for (size_t i = 0; i + 1 < h.elements; i += 2) {
      bool ok = true;
      sink_mark m{number_of(*h.element[i], ok), number_of(*h.element[i + 1], ok)};
      if (!ok)
        return error{errc::corrupt, name() + ": hash " + marks_key + " holds '"
                                      + text_of(*h.element[i]) + "' = '"
                                      + text_of(*h.element[i + 1]) + "', not a mark"};
      marks.push_back(m);
    }
    std::sort(marks.begin(), marks.end(),
              [](const sink_mark& a, const sink_mark& b) { return a.channel < b.channel; });
    return marks;
  }

  /// MULTI, the staged XADDs, the marks, EXEC: one buffer; `replies` is set
  /// to how many the server sends back.
  std::string transaction(const sink_marks& marks, size_t& replies) const {
    std::string tx;
    tx.reserve(pending.size() + 64 + marks.size() * 48);
    append_command(tx, {"MULTI"});
    tx += pending;
    append_command(tx, {"DEL", marks_key});
    replies = 1 + pending_count + 1 + 1; // MULTI, XADDs, DEL, EXEC
    if (!marks.empty()) {
      std::vector<std::string> numbers;
      numbers.reserve(2 * marks.size());
      for (auto& m : marks) {
        numbers.push_back(std::to_string(m.channel));
        numbers.push_back(std::to_string(m.seq));
      }
      std::vector<std::string_view> hset{"HSET", marks_key};
      hset.insert(hset.end(), numbers.begin(), numbers.end());
      append_command(tx, hset);
      ++replies;
    }
    append_command(tx, {"EXEC"});
    return tx;
  }

  /// Sends the transaction once; errc::unavailable when the connection broke
  /// (it may or may not have been applied).
  error send(const std::string& tx, size_t replies) {
    auto r = conn.pipeline(tx, replies);
    if (!r)
      return r.error();
    // An error before EXEC (a command Redis refused to queue) aborts it all;
    // one inside EXEC's reply ran, and Redis does not roll the rest back.
    for (size_t i = 0; i + 1 < r->size(); ++i)
      if ((*r)[i]->type == REDIS_REPLY_ERROR)
        return error{errc::io, conn.describe("MULTI on " + stream + " refused: " + text_of(*(*r)[i]))};
    auto& exec = *r->back();
    if (exec.type == REDIS_REPLY_ERROR)
      return error{errc::io, conn.describe("EXEC on " + stream + " failed: " + text_of(exec))};
    for (size_t i = 0; i < exec.elements; ++i)
      if (exec.element[i]->type == REDIS_REPLY_ERROR)
        return error{errc::io, conn.describe("EXEC on " + stream + " partly failed: "
                                             + text_of(*exec.element[i]))};
    return {};
  }
};

stream_writer::stream_writer(endpoint server, std::string stream, sink_options options,
                             uint32_t instance)
  : impl_(std::make_unique<impl>(std::move(server), std::move(stream), std::move(options), instance)) {
}
stream_writer::stream_writer(stream_writer&&) noexcept = default;
stream_writer& stream_writer::operator=(stream_writer&&) noexcept = default;
stream_writer::~stream_writer() = default;

std::string stream_writer::name() const {
  return impl_->name();
}

const sink_options& stream_writer::options() const noexcept {
  return impl_->options;
}
const endpoint& stream_writer::server() const noexcept {
  return impl_->server;
}
const std::string& stream_writer::stream() const noexcept {
  return impl_->stream;
}

error stream_writer::check() const {
  if (impl_->stream.empty())
    return error{errc::invalid_argument, name() + ": the stream name is empty"};
  if (impl_->options.max_instances == 0)
    return error{errc::invalid_argument, name() + ": max_instances is 0"};
  connection conn{impl_->server, {impl_->options.reconnects, impl_->options.backoff_ms}};
  if (auto err = conn.connect())
    return err;
  auto type = conn.run({"TYPE", impl_->stream});
  if (!type)
    return type.error();
  auto t = text_of(**type);
  if (t != "stream" && t != "none")
    return error{errc::invalid_argument, name() + ": key '" + impl_->stream + "' is a " + t
                                           + ", not a stream"};
  return {};
}

expected<sink_marks> stream_writer::open() {
  impl_->pending.clear(); // an uncommitted transaction dies with its process
  impl_->pending_count = 0;
  auto marks = impl_->stored_marks();
  if (marks)
    impl_->committed = *marks;
  return marks;
}

error stream_writer::add(const fields& values) {
  if (values.empty())
    return error{errc::invalid_argument, name() + ": a value gave no fields (XADD needs one)"};
  auto& args = impl_->args;
  args.clear();
  args.push_back("XADD");
  args.push_back(impl_->stream);
  args.push_back("*");
  for (auto& [k, v] : values) {
    args.push_back(k);
    args.push_back(v);
  }
  append_command(impl_->pending, args);
  ++impl_->pending_count;
  return {};
}

expected<std::string> stream_writer::commit(const sink_marks& marks) {
  auto& d = *impl_;
  if (d.pending_count == 0 && marks == d.committed)
    return std::to_string(d.commits); // nothing new: no round trip
  size_t replies = 0;
  auto tx = d.transaction(marks, replies);
  auto err = d.conn.connected() ? d.send(tx, replies) : error{errc::unavailable, "not connected"};
  for (int attempt = 0; err && err.code() == errc::unavailable && attempt < d.options.reconnects;
       ++attempt) {
    if (auto lost = d.conn.reconnect()) {
      err = error{lost.code(), d.name() + ": commit failed: " + lost.message()};
      break;
    }
    // The connection broke around EXEC: if the marks are stored, it landed.
    auto stored = d.stored_marks();
    if (!stored) {
      err = stored.error();
      continue;
    }
    if (*stored == marks && !marks.empty() && marks != d.committed) {
      err = {};
      break;
    }
    // Neither ours nor the new ones: the server lost acknowledged commits
    // (restarted without appendfsync always, or failed over to a replica).
    if (*stored != d.committed) {
      err = error{errc::corrupt, d.name() + ": the server lost acknowledged commits (hash "
                                   + d.marks_key + " went back to older marks); exactly-once "
                                   "needs appendonly yes with appendfsync always"};
      break;
    }
    err = d.send(tx, replies);
  }
  if (err)
    return error{err.code(), err.message().starts_with(d.name()) ? err.message()
                                                                 : d.name() + ": " + err.message()};
  d.pending.clear();
  d.pending_count = 0;
  d.committed = marks;
  return std::to_string(++d.commits);
}

} // namespace eddy::connectors::redis::detail
