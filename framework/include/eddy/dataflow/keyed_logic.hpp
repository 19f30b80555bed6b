#pragma once

// The two user styles, as partition logic: a keyed process function with
// managed state handles, and an event-sourced behavior.

#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

#include "eddy/codec.hpp"
#include "eddy/context.hpp"
#include "eddy/dataflow/partition_logic.hpp"
#include "eddy/dataflow/traits.hpp"
#include "eddy/detail/json_writer.hpp"
#include "eddy/state.hpp"

namespace eddy::dataflow {

/// The output type of keyed process function `F`: `F::output`, else deduced
/// from `on_record(const In&, context<Out>&)`.
template <class F, class = void>
struct process_output {
  using type = typename member_args<decltype(&F::on_record)>::template arg<1>::output_type;
};
template <class F>
struct process_output<F, std::void_t<typename F::output>> {
  using type = typename F::output;
};

/// Runs keyed process function `F` on records of type `In`.
template <class F, class In, class Out>
class process_logic final : public partition_logic {
public:
  template <class... Args>
  process_logic(push_fn<Out> next, const output_port& port, Args&&... args) {
    detail::state_registry::scope scope{&registry_};
    timers_.emplace(); // state id 0; the function's handles follow
    fn_.emplace(std::forward<Args>(args)...);
    ctx_.next_ = std::move(next);
    ctx_.timers_ = &*timers_;
    ctx_.port_ = &port;
  }

  void process(const record_view& r) override {
    registry_.current_key(r.key);
    ctx_.key_ = r.key;
    ctx_.time_ = r.time;
    reader rd{r.payload};
    rd.read(input_);
    fn_->on_record(static_cast<const In&>(input_), ctx_);
  }
  void advance_watermark(int64_t wm) override {
    ctx_.watermark_ = wm;
    timers_->fire_event_timers(wm, [this](int64_t ts) { on_timer(ts); });
  }
  void fire_processing_timers(int64_t now) override {
    timers_->fire_processing_timers(now, [this](int64_t ts) { on_timer(ts); });
  }
  int64_t next_processing_timer() const override {
    return timers_->next_processing_time().value_or(max_time);
  }
  void take_log(std::string& out) override {
    registry_.take_log(out);
  }
  void logging(bool on) override {
    registry_.logging(on);
  }
  void apply_log(std::string_view log) override {
    registry_.apply_log(log);
  }
  void snapshot(std::string& out) const override {
    registry_.snapshot(out);
  }
  void restore(std::string_view bytes) override {
    registry_.restore(bytes);
  }
  size_t key_count() const override {
    return registry_.key_count();
  }
  std::vector<std::pair<std::string, std::string>> states() const override {
    return registry_.states();
  }
  std::string state_json(std::string_view key) const override {
    return registry_.state_json(key);
  }
  size_t cleanup_expired(int64_t now, size_t budget) override {
    return registry_.cleanup_expired(now, budget);
  }
  uint64_t late_dropped() const override {
    if constexpr (requires(const F& f) { f.late_dropped(); })
      return fn_->late_dropped();
    else
      return 0;
  }

private:
  /// Calls the function's on_timer, if it has one, for the current key.
  void on_timer(int64_t ts) {
    if constexpr (requires(F& f, context<Out>& c) { f.on_timer(ts, c); }) {
      ctx_.key_ = registry_.current_key();
      ctx_.time_ = ts;
      fn_->on_timer(ts, ctx_);
    }
  }

  detail::state_registry registry_; // before the handles: they register here
  std::optional<timer_service> timers_;
  std::optional<F> fn_;
  context<Out> ctx_;
  stored_t<In> input_{}; // reused so decoding does not allocate per record
};

/// Types of event-sourced behavior `B`: its state, events and outputs, from
/// `B::event` / `B::output` or deduced from
/// `on_command(const state&, const Cmd&, effects<Event, Out>&)`.
template <class B, class = void>
struct behavior_types {
  using effects_type = typename member_args<decltype(&B::on_command)>::template arg<2>;
  using event = typename effects_type::event_type;
  using output = typename effects_type::output_type;
};
template <class B>
struct behavior_types<B, std::void_t<typename B::event, typename B::output>> {
  using event = typename B::event;
  using output = typename B::output;
};

/// Runs event-sourced behavior `B` on commands of type `In`. The change log
/// holds the domain events: `varint key size, key bytes, event`.
template <class B, class In>
class event_sourced_logic final : public partition_logic {
public:
  using state_type = typename B::state;
  using event_type = typename behavior_types<B>::event;
  using output_type = typename behavior_types<B>::output;

  template <class... Args>
  event_sourced_logic(push_fn<output_type> next, const output_port& port, Args&&... args)
    : behavior_(std::forward<Args>(args)...) {
    ctx_.next_ = std::move(next);
    ctx_.port_ = &port;
    fx_.ctx_ = &ctx_;
  }

  void process(const record_view& r) override {
    ctx_.key_ = r.key;
    ctx_.time_ = r.time;
    reader rd{r.payload};
    rd.read(input_);
    auto& s = states_.try_emplace(std::string{r.key}).first->second;
    fx_.events_.clear();
    behavior_.on_command(static_cast<const state_type&>(s), static_cast<const In&>(input_), fx_);
    for (const auto& e : fx_.events_) {
      apply(s, e);
      if (!logging_)
        continue;
      writer w{log_};
      w.varint(r.key.size());
      w.bytes(r.key.data(), r.key.size());
      w.write(e);
    }
  }
  void advance_watermark(int64_t wm) override {
    ctx_.watermark_ = wm;
  }
  void fire_processing_timers(int64_t) override {
  }
  int64_t next_processing_timer() const override {
    return max_time;
  }
  void take_log(std::string& out) override {
    out.swap(log_);
    log_.clear();
  }
  void logging(bool on) override {
    logging_ = on;
  }
  void apply_log(std::string_view log) override {
    reader r{log};
    event_type e{};
    while (!r.at_end()) {
      auto key = r.bytes(r.varint());
      r.read(e);
      apply(states_.try_emplace(std::string{key}).first->second, e);
    }
  }
  void snapshot(std::string& out) const override {
    writer{out}.write(states_map());
  }
  void restore(std::string_view bytes) override {
    reader r{bytes};
    auto n = r.varint();
    states_.clear();
    for (uint64_t i = 0; i < n; ++i) {
      auto k = r.read<std::string>();
      r.read(states_[k]);
    }
  }
  size_t key_count() const override {
    return states_.size();
  }
  std::vector<std::pair<std::string, std::string>> states() const override {
    return {{"state", schema_of<state_type>()}, {"events", schema_of<event_type>()}};
  }
  std::string state_json(std::string_view key) const override {
    auto i = states_.find(key);
    return std::string{"{\"state\":"} + (i == states_.end() ? "null" : detail::to_json(i->second)) + "}";
  }

private:
  static void apply(state_type& s, const event_type& e) {
    if constexpr (detail::is_variant<event_type>::value)
      std::visit([&s](const auto& alt) { B::on_event(s, alt); }, e);
    else
      B::on_event(s, e);
  }
  const detail::key_map<state_type>& states_map() const {
    return states_;
  }

  B behavior_;
  detail::key_map<state_type> states_;
  context<output_type> ctx_;
  effects<event_type, output_type> fx_;
  std::string log_;
  bool logging_ = true;
  stored_t<In> input_{};
};

} // namespace eddy::dataflow
