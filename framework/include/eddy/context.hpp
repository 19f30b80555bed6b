#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "eddy/codec.hpp"
#include "eddy/dataflow/output_port.hpp"
#include "eddy/side_output.hpp"
#include "eddy/time.hpp"

namespace eddy {

class timer_service;

namespace dataflow {
template <class F, class In, class Out>
class process_logic;
template <class B, class In>
class event_sourced_logic;
} // namespace dataflow

/// What a keyed process function sees of the record it processes: the
/// current key and event time, and `emit` for its outputs. Outputs leave the
/// partition only after the journal entry that produced them is durable.
/// Owned by the partition; valid only during the call that received it.
template <class Out>
class context {
public:
  using output_type = Out;

  /// Sends `x` downstream with the current record's event time.
  void emit(const Out& x) {
    next_(x, time_);
  }
  /// Sends `x` downstream with event time `time`.
  void emit(const Out& x, int64_t time) {
    next_(x, time);
  }
  /// Event time of the record being processed.
  int64_t timestamp() const noexcept {
    return time_;
  }
  /// Canonical bytes of the current key.
  std::string_view key_bytes() const noexcept {
    return key_;
  }
  /// The current key, decoded.
  template <class K>
  K key() const {
    return decode_key<K>(key_);
  }
  /// The operator's event-time clock: records at or before it are late.
  int64_t watermark() const noexcept {
    return watermark_;
  }
  /// Wall-clock milliseconds since the epoch.
  int64_t current_processing_time() const {
    return processing_time_now();
  }
  /// The current key's timers (durable); `on_timer(ts, ctx)` receives them.
  timer_service& timers() {
    return *timers_;
  }
  /// Sends `x` to side output `tag` with the current event time; like emit,
  /// it leaves the partition only once durable.
  template <class T>
  void output(const side_output<T>& tag, const T& x) {
    port_->emit_side(tag.id(), &x, time_);
  }

private:
  template <class F, class In, class O>
  friend class dataflow::process_logic;
  template <class B, class In>
  friend class dataflow::event_sourced_logic;

  dataflow::push_fn<Out> next_;
  std::string_view key_;
  int64_t time_ = 0;
  int64_t watermark_ = min_time;
  timer_service* timers_ = nullptr;
  const dataflow::output_port* port_ = nullptr;
};

/// What an event-sourced command handler decides: domain events to persist
/// (applied through `on_event` after the handler returns, in order) and
/// outputs to emit. Valid only during the on_command call.
template <class Event, class Out>
class effects {
public:
  using event_type = Event;
  using output_type = Out;

  void persist(Event e) {
    events_.push_back(std::move(e));
  }
  void emit(const Out& x) {
    ctx_->emit(x);
  }
  int64_t timestamp() const noexcept {
    return ctx_->timestamp();
  }
  template <class K>
  K key() const {
    return ctx_->template key<K>();
  }
  template <class T>
  void output(const side_output<T>& tag, const T& x) {
    ctx_->output(tag, x);
  }

private:
  template <class B, class In>
  friend class dataflow::event_sourced_logic;

  std::vector<Event> events_;
  context<Out>* ctx_ = nullptr;
};

/// Receives the outputs of a flat_map step.
template <class T>
class collector {
public:
  using value_type = T;

  explicit collector(const dataflow::push_fn<T>& next, const dataflow::output_port* port = nullptr)
    : next_(&next), port_(port) {
  }
  void operator()(const T& x) {
    (*next_)(x, time_);
  }
  /// Sends `x` to side output `tag` instead (e.g. a dead letter).
  template <class U>
  void output(const side_output<U>& tag, const U& x) {
    if (port_)
      port_->emit_side(tag.id(), &x, time_);
  }
  void time(int64_t t) noexcept {
    time_ = t;
  }

private:
  const dataflow::push_fn<T>* next_;
  const dataflow::output_port* port_;
  int64_t time_ = 0;
};

} // namespace eddy
