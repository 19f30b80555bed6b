#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "eddy/connectors/redis/endpoint.hpp"
#include "eddy/connectors/redis/streams.hpp"
#include "eddy/sink.hpp"

namespace eddy::connectors::redis {

/// How xadd() writes.
struct sink_options {
  /// Names the sink's marks: they live in the hash "eddy:marks:<sink_id>:<i>"
  /// of instance i. Empty: the stream's name. Give two sinks into one stream
  /// different ids.
  std::string sink_id;
  /// The most instances the runtime may run; each commits on its own.
  uint32_t max_instances = 1;
  /// Reconnects after a lost connection before commit() fails, and the wait
  /// before the first of them (doubled each time).
  int reconnects = 5;
  int backoff_ms = 100;
};

namespace detail {

/// The Redis side of xadd(): stages XADDs and commits them with the marks.
///
/// open() reads the marks hash; add() formats one `XADD stream * f v ...`
/// into a pending buffer; commit(marks) sends MULTI, the pending XADDs, DEL
/// and HSET of the marks hash, and EXEC in one write and reads the replies
/// (one round trip). Owned by one thread; not thread-safe.
class stream_writer {
public:
  stream_writer(endpoint server, std::string stream, sink_options options, uint32_t instance);
  stream_writer(stream_writer&&) noexcept;
  stream_writer& operator=(stream_writer&&) noexcept;
  ~stream_writer();

  /// "redis://host:port/<stream>".
  std::string name() const;

  /// Fails unless the server answers and `stream` is a stream or missing.
  [[nodiscard]] error check() const;

  /// Connects, drops staged XADDs and returns the stored marks (empty if none).
  [[nodiscard]] expected<sink_marks> open();

  /// Stages one XADD of `values`; fails if there are none (XADD needs one).
  [[nodiscard]] error add(const fields& values);

  /// Commits the staged XADDs with `marks` in one MULTI/EXEC; returns the
  /// number of commits this writer made, as text (for logs only).
  [[nodiscard]] expected<std::string> commit(const sink_marks& marks);

  const sink_options& options() const noexcept;
  const endpoint& server() const noexcept;
  const std::string& stream() const noexcept;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The sink behind xadd(): turns each value into fields and hands them to
/// its stream_writer; the prototype is instance 0 of 1.
template <class T>
class xadd_sink final : public sink<T> {
public:
  using to_fields_fn = std::function<fields(const T&)>;

  xadd_sink(stream_writer writer, to_fields_fn to_fields)
    : writer_(std::move(writer)), to_fields_(std::move(to_fields)) {
  }

  std::string name() const override {
    return writer_.name();
  }
  error check() const override {
    return writer_.check();
  }
  uint32_t max_instances() const override {
    return writer_.options().max_instances;
  }
  expected<std::unique_ptr<sink<T>>> instance(uint32_t index, uint32_t count) const override {
    if (index >= count || count > max_instances())
      return error{errc::invalid_argument, name() + " has no instance " + std::to_string(index)
                                             + " of " + std::to_string(count)};
    stream_writer w{writer_.server(), writer_.stream(), writer_.options(), index};
    return std::unique_ptr<sink<T>>{std::make_unique<xadd_sink>(std::move(w), to_fields_)};
  }
  expected<std::optional<sink_marks>> open(std::string_view) override {
    auto marks = writer_.open();
    if (!marks)
      return marks.error();
    return std::optional<sink_marks>{std::move(*marks)};
  }
  error write(const T& value) override {
    return writer_.add(to_fields_(value));
  }
  expected<std::string> commit(const sink_marks& marks) override {
    return writer_.commit(marks);
  }

private:
  stream_writer writer_;
  to_fields_fn to_fields_;
};

} // namespace detail

/// Returns an exactly-once sink that appends each value as an entry
/// `XADD stream * <to_fields(value)>` to the Redis stream `stream`, keeping
/// its marks in the target (eddy::sink): commit(marks) sends MULTI, the
/// batch's XADDs, the marks into the hash "eddy:marks:<sink_id>:<instance>"
/// and EXEC, pipelined in one round trip; open() returns the marks of that
/// hash (an empty list for a fresh sink) and the runtime drops what they
/// cover. Instances (up to options.max_instances) append to the same stream
/// with ids from the server, each with its own marks.
///
/// check() fails with errc::unavailable naming host:port when the server
/// cannot be reached, and errc::invalid_argument when `stream` is empty or a
/// key of another type. A commit whose connection breaks reconnects with
/// backoff; it asks the marks hash whether its EXEC went through before it
/// sends the transaction again, so a retry never writes a batch twice. When
/// the reconnects are spent it fails, naming the server.
template <class T>
std::unique_ptr<eddy::sink<T>> xadd(endpoint server, std::string stream,
                                    std::function<fields(const T&)> to_fields,
                                    sink_options options = {}) {
  detail::stream_writer writer{std::move(server), std::move(stream), std::move(options), 0};
  return std::make_unique<detail::xadd_sink<T>>(std::move(writer), std::move(to_fields));
}

} // namespace eddy::connectors::redis
