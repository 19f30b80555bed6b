#pragma once

// Event-time windows on keyed streams (Flink's WindowedStream), built as
// keyed process functions: a window operator keeps its windows in state
// handles and fires them from event-time timers, so the runtime journals and
// restores windows like any other keyed state.
//
//   #include "eddy/window.hpp"
//
//   stream.with_timestamps(&click::ts, std::chrono::seconds(5))
//     .key_by(&click::user)
//     .window(eddy::tumbling(std::chrono::minutes(1)))
//     .allowed_lateness(std::chrono::seconds(30))
//     .aggregate(count_clicks{})          // -> stream<window_result<user, int64_t>>
//     .sink(...);
//
// Semantics of Flink's event-time windows with their default trigger:
//
// - A window [start, end) fires (emits a window_result) when the watermark
//   reaches `end - 1`, from an event-time timer at that time; the result
//   carries event time `end - 1`.
// - Its state is kept until the watermark reaches `end - 1 + allowed
//   lateness` (a second timer). A record for a window that already fired but
//   is still kept updates it and fires it again at once: the updated result is
//   emitted once more.
// - A record all of whose windows are past `end - 1 + allowed lateness` is
//   late and goes to no window: to the side output set with late_output(tag)
//   (Flink's sideOutputLateData), else it is dropped.
// - With trigger_every(n), a window also fires early after every n records
//   it received (Flink's CountTrigger, in addition to the event-time firing).
// - Session windows start as [ts, ts + gap) and merge with every session of
//   their key they intersect or touch (Flink's TimeWindow::intersects);
//   accumulators merge, buffered elements are kept together.

#include <algorithm>
#include <chrono>
#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "eddy/codec.hpp"
#include "eddy/context.hpp"
#include "eddy/job.hpp"
#include "eddy/side_output.hpp"
#include "eddy/state.hpp"
#include "eddy/time.hpp"

namespace eddy {

// -- windows and results ------------------------------------------------------

/// A time window [start, end) in event-time milliseconds.
struct window {
  int64_t start = 0;
  int64_t end = 0;

  /// The last time in the window: when it fires.
  constexpr int64_t max_timestamp() const noexcept {
    return end - 1;
  }
  /// Whether the two windows overlap or touch (Flink: sessions merge then).
  constexpr bool intersects(const window& other) const noexcept {
    return start <= other.end && other.start <= end;
  }
  /// The smallest window covering both.
  constexpr window cover(const window& other) const noexcept {
    return {std::min(start, other.start), std::max(end, other.end)};
  }

  friend bool operator==(const window&, const window&) = default;
  friend auto operator<=>(const window&, const window&) = default;
};

template <class Inspector>
auto inspect(Inspector& f, window& x) {
  return f(x.start, x.end);
}

/// What a window operator emits: the result `value` of window `w` of `key`.
template <class K, class R>
struct window_result {
  K key{};
  window w;
  R value{};

  friend bool operator==(const window_result&, const window_result&) = default;
  friend auto operator<=>(const window_result&, const window_result&) = default;
};

template <class Inspector, class K, class R>
auto inspect(Inspector& f, window_result<K, R>& x) {
  return f(x.key, x.w, x.value);
}

// -- window assigners ---------------------------------------------------------

/// The start of the window of length `slide` (aligned to the epoch) that
/// holds `ts`; a floor, so negative times get windows that hold them too.
constexpr int64_t window_start(int64_t ts, int64_t slide) noexcept {
  auto rem = ts % slide;
  return rem < 0 ? ts - (rem + slide) : ts - rem;
}

/// Assigns each time to the one window of `size` ms that holds it.
struct tumbling_windows {
  static constexpr bool merging = false;
  int64_t size;

  std::vector<window> assign(int64_t ts) const {
    auto start = window_start(ts, size);
    return {{start, start + size}};
  }
};

/// Assigns each time to the `size / slide` windows of `size` ms, starting
/// every `slide` ms, that hold it; the latest window first (like Flink).
struct sliding_windows {
  static constexpr bool merging = false;
  int64_t size;
  int64_t slide;

  std::vector<window> assign(int64_t ts) const {
    std::vector<window> result;
    for (auto start = window_start(ts, slide); start > ts - size; start -= slide)
      result.push_back({start, start + size});
    return result;
  }
};

/// Assigns each time `ts` to the session [ts, ts + gap), which merges with
/// the sessions of its key it intersects.
struct session_windows {
  static constexpr bool merging = true;
  int64_t gap;

  std::vector<window> assign(int64_t ts) const {
    return {{ts, ts + gap}};
  }
};

/// Windows of `size`, one after the other: [k * size, (k + 1) * size).
/// Throws std::invalid_argument unless size > 0.
inline tumbling_windows tumbling(std::chrono::milliseconds size) {
  if (size.count() <= 0)
    throw std::invalid_argument("eddy::tumbling: the size must be positive");
  return {size.count()};
}

/// Windows of `size` starting every `slide`: [k * slide, k * slide + size).
/// Throws std::invalid_argument unless both are positive.
inline sliding_windows sliding(std::chrono::milliseconds size, std::chrono::milliseconds slide) {
  if (size.count() <= 0 || slide.count() <= 0)
    throw std::invalid_argument("eddy::sliding: the size and slide must be positive");
  return {size.count(), slide.count()};
}

/// Sessions of activity per key: [first time, last time + gap), closed by a
/// gap of at least `gap` without records. Throws std::invalid_argument
/// unless gap > 0.
inline session_windows session(std::chrono::milliseconds gap) {
  if (gap.count() <= 0)
    throw std::invalid_argument("eddy::session: the gap must be positive");
  return {gap.count()};
}

/// A merged window and the windows it covers (at least one).
struct merged_windows {
  window cover;
  std::vector<window> parts;
};

/// Merges `ws` into groups of windows that intersect transitively, ordered by
/// start (Flink's TimeWindow::mergeWindows, groups of one included).
inline std::vector<merged_windows> merge_windows(std::vector<window> ws) {
  std::sort(ws.begin(), ws.end());
  std::vector<merged_windows> result;
  for (const auto& w : ws) {
    if (!result.empty() && result.back().cover.intersects(w)) {
      result.back().cover = result.back().cover.cover(w);
      result.back().parts.push_back(w);
    } else {
      result.push_back({w, {w}});
    }
  }
  return result;
}

// -- window functions ---------------------------------------------------------

namespace detail {

/// The accumulator of a window whose function buffers its elements.
struct no_accumulator {
  friend bool operator==(const no_accumulator&, const no_accumulator&) = default;
};

template <class Inspector>
auto inspect(Inspector& f, no_accumulator&) {
  return f();
}

/// The state of one window of one key, as stored in map_state (keyed by the
/// window's start).
template <class Acc>
struct window_slot {
  int64_t end = 0;
  uint64_t count = 0;         ///< records added, merged sessions summed
  uint64_t pending = 0;       ///< records since the last count firing
  std::vector<int64_t> parts; ///< buffering functions: where the elements are
  Acc acc{};
};

template <class Inspector, class Acc>
auto inspect(Inspector& f, window_slot<Acc>& x) {
  return f(x.end, x.count, x.pending, x.parts, x.acc);
}

/// aggregate(): an incremental function with Flink's AggregateFunction shape.
template <class K, class T, class Agg>
struct aggregate_fn {
  static constexpr bool buffers = false;
  using acc_type = std::decay_t<decltype(std::declval<Agg&>().create())>;
  using result_type =
    std::decay_t<decltype(std::declval<Agg&>().result(std::declval<const acc_type&>()))>;

  Agg agg;

  acc_type create() {
    return agg.create();
  }
  void add(acc_type& acc, const T& x) {
    agg.add(acc, x);
  }
  void merge(acc_type& acc, const acc_type& other) {
    agg.merge(acc, other);
  }
  result_type result(const K&, const window&, const acc_type& acc) {
    return agg.result(acc);
  }
};

/// reduce(): combines the window's records pairwise with `f(a, b) -> T`.
template <class K, class T, class F>
struct reduce_fn {
  static constexpr bool buffers = false;
  using acc_type = std::optional<T>;
  using result_type = T;

  F f;

  acc_type create() {
    return std::nullopt;
  }
  void add(acc_type& acc, const T& x) {
    acc = acc ? T(f(*acc, x)) : x;
  }
  void merge(acc_type& acc, const acc_type& other) {
    if (other)
      add(acc, *other);
  }
  result_type result(const K&, const window&, const acc_type& acc) {
    return *acc; // a window exists only once a record was added
  }
};

/// apply(): a function of all the window's records, buffered until it fires.
template <class K, class T, class F>
struct apply_fn {
  static constexpr bool buffers = true;
  using acc_type = no_accumulator;
  using result_type =
    std::decay_t<std::invoke_result_t<F&, const K&, const window&, const std::vector<T>&>>;

  F f;

  result_type result(const K& key, const window& w, const std::vector<T>& xs) {
    return f(key, w, xs);
  }
};

} // namespace detail

// -- the operator -------------------------------------------------------------

/// Where a window operator sends late records (those of no window still kept).
template <class T, class Out>
using late_handler = std::function<void(const T&, context<Out>&)>;

/// The keyed process function behind windowed_stream: windows of one key in
/// state handles, firing and cleanup from event-time timers. `Fn` is one of
/// the detail::*_fn adaptors. Constructed per partition by the runtime, used
/// only by the partition actor.
///
/// State: `windows_` maps a window's start to its window_slot (end, counts,
/// accumulator); buffering functions keep each record once in `elements_`,
/// keyed by (part, n): a window's parts are the starts its elements were filed
/// under (one, or several for merged sessions), so merging moves no elements.
/// Timers: `end - 1` fires a window, `end - 1 + lateness` drops it (the same
/// timer when lateness is 0); timers of sessions merged away are removed.
template <class K, class T, class Assigner, class Fn>
class window_operator {
public:
  using acc_type = typename Fn::acc_type;
  using result_type = typename Fn::result_type;
  using output = window_result<K, result_type>;

  /// How logs and errors name the operator.
  static std::string operator_name() {
    return "window";
  }

  window_operator(Assigner assigner, int64_t lateness, uint64_t every, Fn fn,
                  late_handler<T, output> late)
    : assigner_(assigner), lateness_(lateness), every_(every), fn_(std::move(fn)),
      late_(std::move(late)) {
  }

  void on_record(const T& x, context<output>& ctx) {
    auto wm = ctx.watermark();
    bool placed = false;
    for (auto w : assigner_.assign(ctx.timestamp())) {
      bool created = false; // a window without its timers yet
      if constexpr (Assigner::merging) {
        if (!merge(w, wm, ctx, created))
          continue;
      } else if (is_late(w, wm)) {
        continue;
      } else {
        created = windows_.get(w.start) == nullptr;
      }
      add(w, x, wm, ctx, created);
      placed = true;
    }
    if (placed)
      return;
    if (late_)
      late_(x, ctx);
    else
      ++late_dropped_;
  }

  void on_timer(int64_t ts, context<output>& ctx) {
    auto windows = windows_.entries(); // a copy: firing and dropping change it
    for (auto& [start, slot] : windows) {
      window w{start, slot.end};
      if (w.max_timestamp() == ts)
        fire(w, slot, ctx);
      if (cleanup_time(w) == ts)
        drop(w, slot);
    }
  }

  /// Records dropped as late in this partition since it started, when no late
  /// handler is set (not journaled: a diagnostic for tests).
  uint64_t late_dropped() const noexcept {
    return late_dropped_;
  }

private:
  using slot_type = detail::window_slot<acc_type>;

  int64_t cleanup_time(const window& w) const noexcept {
    return w.max_timestamp() + lateness_;
  }
  bool is_late(const window& w, int64_t wm) const noexcept {
    return cleanup_time(w) <= wm;
  }

  /// Merges session `w` with the sessions of the current key it intersects,
  /// leaving one slot under the start of their cover, which `w` becomes;
  /// `created` tells whether that window is new (it needs its timers).
  /// False if the result is late (then nothing changed).
  bool merge(window& w, int64_t wm, context<output>& ctx, bool& created) {
    std::vector<std::pair<window, slot_type>> merged;
    auto cover = w;
    for (const auto& [start, slot] : windows_) {
      window other{start, slot.end};
      if (other.intersects(w)) {
        merged.emplace_back(other, slot);
        cover = cover.cover(other);
      }
    }
    if (merged.empty()) {
      if (is_late(w, wm))
        return false;
      created = true;
      return true; // add() creates the slot
    }
    if (merged.size() == 1 && merged[0].first == cover) {
      w = cover;
      return true;
    }
    created = true; // a new cover: the merged sessions' timers go below
    // Sessions intersecting a live session are never late: the cover ends
    // no earlier than it does.
    slot_type combined;
    combined.end = cover.end;
    if constexpr (!Fn::buffers)
      combined.acc = fn_.create();
    for (auto& [other, slot] : merged) {
      combined.count += slot.count;
      combined.pending += slot.pending;
      combined.parts.insert(combined.parts.end(), slot.parts.begin(), slot.parts.end());
      if constexpr (!Fn::buffers)
        fn_.merge(combined.acc, slot.acc);
      windows_.remove(other.start);
    }
    windows_.put(cover.start, combined);
    for (auto& [other, slot] : merged)
      if (other != cover)
        release_timers(other, ctx);
    w = cover;
    return true;
  }

  /// Removes the timers of a window merged away, unless a live window of the
  /// key still needs them.
  void release_timers(const window& gone, context<output>& ctx) {
    for (auto ts : {gone.max_timestamp(), cleanup_time(gone)}) {
      bool needed = false;
      for (const auto& [start, slot] : windows_) {
        window w{start, slot.end};
        needed = needed || w.max_timestamp() == ts || cleanup_time(w) == ts;
      }
      if (!needed)
        ctx.timers().remove_event_time(ts);
    }
  }

  /// Adds `x` to window `w`; a `created` window also gets its timers (an
  /// existing one has them already: asking again per record cost ~15%).
  void add(const window& w, const T& x, int64_t wm, context<output>& ctx, bool created) {
    slot_type slot;
    if (auto* s = windows_.get(w.start)) {
      slot = *s;
    } else {
      slot.end = w.end;
      if constexpr (Fn::buffers)
        slot.parts.push_back(w.start);
      else
        slot.acc = fn_.create();
    }
    if constexpr (Fn::buffers)
      elements_.put({slot.parts.front(), slot.count}, x); // count: unique in any part
    else
      fn_.add(slot.acc, x);
    ++slot.count;
    bool count_fired = every_ > 0 && ++slot.pending >= every_;
    if (count_fired)
      slot.pending = 0;
    windows_.put(w.start, slot);
    if (created)
      ctx.timers().at_event_time(cleanup_time(w));
    if (w.max_timestamp() <= wm) {
      fire(w, slot, ctx); // fired already, kept for lateness: fire again now
      return;
    }
    if (created)
      ctx.timers().at_event_time(w.max_timestamp());
    if (count_fired)
      fire(w, slot, ctx);
  }

  void fire(const window& w, const slot_type& slot, context<output>& ctx) {
    auto key = ctx.template key<K>();
    if constexpr (Fn::buffers) {
      std::vector<T> xs;
      xs.reserve(slot.count);
      for (auto part : slot.parts)
        for (auto i = elements_.entries().lower_bound({part, 0});
             i != elements_.entries().end() && i->first.first == part; ++i)
          xs.push_back(i->second);
      auto r = fn_.result(key, w, xs);
      ctx.emit(output{std::move(key), w, std::move(r)}, w.max_timestamp());
    } else {
      auto r = fn_.result(key, w, slot.acc);
      ctx.emit(output{std::move(key), w, std::move(r)}, w.max_timestamp());
    }
  }

  void drop(const window& w, const slot_type& slot) {
    if constexpr (Fn::buffers) {
      for (auto part : slot.parts) {
        std::vector<std::pair<int64_t, uint64_t>> ids;
        for (auto i = elements_.entries().lower_bound({part, 0});
             i != elements_.entries().end() && i->first.first == part; ++i)
          ids.push_back(i->first);
        for (auto& id : ids)
          elements_.remove(id);
      }
    }
    windows_.remove(w.start);
  }

  // State handles: registered in this order, so the order is part of the
  // journal's layout.
  map_state<int64_t, slot_type> windows_;
  map_state<std::pair<int64_t, uint64_t>, T> elements_; // only if Fn::buffers

  Assigner assigner_;
  int64_t lateness_;
  uint64_t every_;
  Fn fn_;
  late_handler<T, output> late_;
  uint64_t late_dropped_ = 0;
};

// -- the builder --------------------------------------------------------------

/// A keyed stream cut into windows by `Assigner`: set lateness and triggers,
/// then aggregate(), reduce() or apply() to get the stream of window results.
/// Made by keyed_stream::window(); a value type of the builder.
template <class K, class T, class Assigner>
class windowed_stream {
public:
  windowed_stream(keyed_stream<K, T> keyed, Assigner assigner)
    : keyed_(std::move(keyed)), assigner_(assigner) {
  }

  /// Keeps windows this long after they fired (default 0): records up to
  /// that late update them and fire them again.
  windowed_stream& allowed_lateness(std::chrono::milliseconds lateness) {
    lateness_ = lateness.count() < 0 ? 0 : lateness.count();
    return *this;
  }

  /// Also fires a window after every `n` records it receives (early results);
  /// 0 turns this off.
  windowed_stream& trigger_every(uint64_t n) {
    every_ = n;
    return *this;
  }

  /// Sends late records (those too late for every window of theirs) to side
  /// output `tag`, with their event time; continue it with
  /// `result.side_output(tag)` (Flink's sideOutputLateData). Without it, late
  /// records are dropped.
  windowed_stream& late_output(const side_output<T>& tag) {
    late_tag_ = tag;
    return *this;
  }

  /// Aggregates each window incrementally with `agg`: `create() -> Acc`,
  /// `add(Acc&, const T&)`, `merge(Acc&, const Acc&)` (session windows only)
  /// and `result(const Acc&) -> R`. Emits window_result<K, R>.
  template <class Agg>
  auto aggregate(Agg agg) {
    return run(detail::aggregate_fn<K, T, Agg>{std::move(agg)});
  }

  /// Combines each window's records with `f(const T&, const T&) -> T`.
  /// Emits window_result<K, T>.
  template <class F>
  auto reduce(F f) {
    return run(detail::reduce_fn<K, T, F>{std::move(f)});
  }

  /// Buffers each window's records and calls
  /// `f(const K&, const window&, const std::vector<T>&) -> R` when it fires.
  /// Emits window_result<K, R>.
  template <class F>
  auto apply(F f) {
    return run(detail::apply_fn<K, T, F>{std::move(f)});
  }

private:
  template <class Fn>
  auto run(Fn fn) {
    using op = window_operator<K, T, Assigner, Fn>;
    late_handler<T, typename op::output> late;
    if (late_tag_)
      late = [tag = *late_tag_](const T& x, context<typename op::output>& ctx) {
        ctx.output(tag, x);
      };
    return keyed_.template process<op>(assigner_, lateness_, every_, std::move(fn), late);
  }

  keyed_stream<K, T> keyed_;
  Assigner assigner_;
  int64_t lateness_ = 0;
  uint64_t every_ = 0;
  std::optional<side_output<T>> late_tag_;
};

template <class K, class T>
template <class Assigner>
windowed_stream<K, T, Assigner> keyed_stream<K, T>::window(Assigner assigner) {
  return {*this, assigner};
}

} // namespace eddy
