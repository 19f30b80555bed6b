// streams(): one split per stream, read with XREAD (no BLOCK) after the last
// delivered id; a bounded split ends at the id fixed in its descriptor.

#include "eddy/connectors/redis/streams.hpp"

#include <algorithm>

#include "connection.hpp"
#include "stream_id.hpp"

namespace eddy::connectors::redis {

namespace {

using detail::connection;
using detail::retry_policy;
using detail::stream_id;

constexpr std::string_view unbounded = "+";

std::string text_of(const redisReply& r) {
  return std::string{r.str, r.len};
}

std::string prefix_of(const endpoint& server) {
  return "redis://" + address_of(server) + "/";
}

/// Reads one stream after a position, up to an end id or forever.
class stream_reader final : public source<entry> {
public:
  stream_reader(endpoint server, std::string stream, std::optional<stream_id> end, size_t batch,
                retry_policy retry)
    : conn_(std::move(server), retry), end_(end), batch_(std::max<size_t>(batch, 1)) {
    scratch_.stream = std::move(stream);
  }

  std::string name() const override {
    return prefix_of(conn_.server()) + scratch_.stream;
  }

  error open(std::string_view position) override {
    delivered_.clear();
    after_ = stream_id{};
    if (!position.empty()) {
      auto id = stream_id::parse(position);
      if (!id)
        return error{errc::corrupt, name() + ": position '" + std::string{position}
                                      + "' is not a stream id"};
      after_ = *id;
      delivered_ = position;
    }
    finished_ = end_ && after_ >= *end_;
    return {};
  }

  expected<size_t> read(size_t max, const std::function<void(const entry&)>& fn) override {
    // Fewer than `max` tells the runtime we caught up (it then waits a
    // watermark interval), so keep asking until the stream runs dry.
    size_t n = 0;
    while (n < max && !finished_) {
      auto want = std::min(max - n, batch_);
      auto got = read_batch(want, fn);
      if (!got)
        return got.error();
      n += *got;
      if (*got < want)
        break;
    }
    return n;
  }

  bool finished() const override {
    return finished_;
  }

  std::string position() const override {
    return delivered_;
  }

private:
  /// One XREAD of up to `count` entries after the last delivered.
  expected<size_t> read_batch(size_t count, const std::function<void(const entry&)>& fn) {
    auto count_text = std::to_string(count);
    auto after = delivered_.empty() ? std::string{"0-0"} : delivered_;
    auto r = conn_.run({"XREAD", "COUNT", count_text, "STREAMS", scratch_.stream, after});
    if (!r)
      return error{r.error().code(), r.error().message() + " (reading " + scratch_.stream + ")"};
    if ((*r)->type != REDIS_REPLY_ARRAY || (*r)->elements == 0) { // nil: nothing new
      if (end_)
        return error{errc::corrupt, name() + ": entries up to " + end_->to_string()
                                      + " are gone (deleted or trimmed while the job ran)"};
      return size_t{0};
    }
    auto& entries = *(*r)->element[0]->element[1];
    size_t n = 0;
    for (size_t i = 0; i < entries.elements && !finished_; ++i) {
      auto& e = *entries.element[i];
      auto id = stream_id::parse(std::string_view{e.element[0]->str, e.element[0]->len});
      if (!id)
        return error{errc::corrupt, name() + ": the server sent the id '"
                                      + text_of(*e.element[0]) + "'"};
      if (end_ && *id > *end_) {
        finished_ = true; // appended after the job first started
        break;
      }
      fill(e);
      fn(scratch_);
      delivered_ = scratch_.id;
      after_ = *id;
      ++n;
      finished_ = end_ && after_ >= *end_;
    }
    return n;
  }

  /// Copies entry `e` into scratch_, reusing its strings' memory.
  void fill(const redisReply& e) {
    scratch_.id.assign(e.element[0]->str, e.element[0]->len);
    auto& kv = *e.element[1];
    scratch_.fields.resize(kv.type == REDIS_REPLY_ARRAY ? kv.elements / 2 : 0);
    for (size_t j = 0; j < scratch_.fields.size(); ++j) {
      scratch_.fields[j].first.assign(kv.element[2 * j]->str, kv.element[2 * j]->len);
      scratch_.fields[j].second.assign(kv.element[2 * j + 1]->str, kv.element[2 * j + 1]->len);
    }
  }

  connection conn_;
  std::optional<stream_id> end_; ///< last id to deliver; none: unbounded
  size_t batch_;
  entry scratch_;                ///< the value fn sees; its stream is fixed
  std::string delivered_;        ///< id of the last entry delivered, "" before
  stream_id after_;
  bool finished_ = false;
};

/// The source streams() returns: a prototype that names the splits and
/// makes their readers; it is never read itself.
class streams_source final : public source<entry> {
public:
  streams_source(endpoint server, std::vector<std::string> names, stream_options options)
    : server_(std::move(server)), names_(std::move(names)), options_(options) {
  }

  std::string name() const override {
    std::string all;
    for (auto& n : names_)
      all += (all.empty() ? "" : ",") + n;
    return prefix_of(server_) + all;
  }

  error check() const override {
    if (names_.empty())
      return error{errc::invalid_argument, name() + ": no stream names given"};
    for (auto& n : names_)
      if (n.empty())
        return error{errc::invalid_argument, name() + ": a stream name is empty"};
      else if (std::count(names_.begin(), names_.end(), n) > 1)
        return error{errc::invalid_argument, name() + ": stream '" + n + "' is named twice"};
    connection conn{server_, retry()};
    if (auto err = conn.connect())
      return err;
    for (auto& n : names_) {
      auto type = conn.run({"TYPE", n});
      if (!type)
        return type.error();
      auto t = text_of(**type);
      if (t != "stream" && t != "none")
        return error{errc::invalid_argument, name() + ": key '" + n + "' is a " + t
                                               + ", not a stream"};
    }
    return {};
  }

  expected<std::vector<std::string>> splits(uint32_t) const override {
    std::vector<std::string> out;
    connection conn{server_, retry()};
    for (auto& n : names_) {
      if (options_.follow) {
        out.push_back(std::string{unbounded} + " " + n);
        continue;
      }
      // The end of a bounded split: the stream's last id now, at first start.
      auto last = conn.run({"XREVRANGE", n, "+", "-", "COUNT", "1"});
      if (!last)
        return last.error();
      auto& r = **last;
      auto end = r.type == REDIS_REPLY_ARRAY && r.elements > 0 ? text_of(*r.element[0]->element[0])
                                                               : std::string{"0-0"};
      out.push_back(end + " " + n);
    }
    return out;
  }

  expected<std::unique_ptr<source<entry>>> reader(const std::string& split) const override {
    auto space = split.find(' ');
    auto stream = space == std::string::npos ? std::string{} : split.substr(space + 1);
    if (std::find(names_.begin(), names_.end(), stream) == names_.end())
      return error{errc::invalid_argument, name() + " has no split '" + split + "'"};
    auto end_text = std::string_view{split}.substr(0, space);
    std::optional<stream_id> end;
    if (end_text != unbounded) {
      end = stream_id::parse(end_text);
      if (!end)
        return error{errc::corrupt, name() + ": split '" + split + "' has a bad end id"};
    }
    return std::unique_ptr<source<entry>>{
      std::make_unique<stream_reader>(server_, stream, end, options_.batch, retry())};
  }

  error open(std::string_view) override {
    return error{errc::invalid_argument, name() + " is read through its splits, one per stream"};
  }
  expected<size_t> read(size_t, const std::function<void(const entry&)>&) override {
    return error{errc::invalid_argument, name() + " is read through its splits, one per stream"};
  }
  bool finished() const override {
    return true;
  }
  std::string position() const override {
    return {};
  }

private:
  retry_policy retry() const {
    return {options_.reconnects, options_.backoff_ms};
  }

  endpoint server_;
  std::vector<std::string> names_;
  stream_options options_;
};

} // namespace

std::unique_ptr<eddy::source<entry>> streams(endpoint server, std::vector<std::string> names,
                                             stream_options options) {
  return std::make_unique<streams_source>(std::move(server), std::move(names), options);
}

} // namespace eddy::connectors::redis
