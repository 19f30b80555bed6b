// The window queries, as keyed process functions with event-time timers:
// cheaper than eddy/window.hpp's general operator for these fixed shapes
// (each says why). The "best of a window" steps (q5, q7) are a second keyed
// stage, keyed by window start, that collects the first stage's results (the
// best of each bucket of auctions: two-phase aggregation) and
// fires when the watermark passes the window's end, so every row is final
// and emitted once.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <unordered_map>
#include <variant>
#include <vector>

#include "eddy/state.hpp"
#include "eddy/window.hpp"
#include "queries/queries.hpp"
#include "queries/rows.hpp"

namespace nexmark::queries {

namespace {

using rows::row;

constexpr int64_t ten_seconds = 10'000;

// -- q5: hot items --------------------------------------------------------------

constexpr int64_t two_seconds = 2'000;

/// Bids of an auction in sliding window w.
using auction_count = eddy::window_result<int64_t, int64_t>; ///< auction, window, bids

/// q5 and q7 aggregate in two phases (Flink's local-global aggregation): the
/// first stage is keyed by a bucket of auctions, not by the auction, and
/// sends the second stage only its bucket's best of each window. Per
/// auction, every window end fired one timer and sent one record per
/// auction with bids (~300 K at 500 K events/s): a burst of journaled work
/// at every window end that held back that window's rows for hundreds of
/// milliseconds. Per bucket it is one timer and a few records.
constexpr int64_t auction_buckets = 1024;

int64_t bucket_of(const bid_core& b) {
  return b.auction % auction_buckets;
}

/// Per bucket of auctions: bids counted per (2 s pane, auction) (Flink's
/// pane optimization of sliding windows: one count per bid instead of one
/// per window), and a timer at the end of the next window that holds a
/// counted pane (a new pane adds the timer of its first open window: panes
/// need not come in time order, e.g. from parallel source splits; a timer
/// fires once per ts). Each window [e - 10 s, e) counts an auction's bids in
/// its five panes; when the watermark reaches e - 1 the bucket emits its
/// auctions with the most bids (all ties), if it holds any. Counts are map
/// entries, so a bid journals one count.
///
/// A window's end does no work that grows with its bids. Summing five panes
/// per auction there, and removing the oldest pane, cost ~300 ns per (pane,
/// auction) at the moment every bucket's window closed: most of q5's
/// latency. Instead each bucket keeps its first open window counted, with
/// its leaders, as bids arrive, and counts the window after it ahead of
/// time, a few pane entries per bid (`bucket_windows`: not state, rebuilt
/// from the panes when an incarnation first touches the bucket). The
/// window's end only emits its leaders; at the bucket's next bid the
/// counted next window takes over. Expired panes, and the counts of a
/// window that closed, leave a few entries per bid.
struct bucket_panes {
  using pane_auction = std::pair<int64_t, int64_t>; ///< pane start, auction
  eddy::map_state<pane_auction, int64_t> panes;     ///< -> bids

  void on_record(const bid_core& b, eddy::context<auction_count>& ctx) {
    auto wm = ctx.watermark();
    auto start = eddy::window_start(b.date_time, two_seconds);
    if (expired(start, wm))
      return; // late: every window of its pane has closed
    // Before any watermark no window has an end yet: the first timer counts the panes.
    auto* w = wm == eddy::min_time ? nullptr : &windows_ending(ctx, first_open_end(wm));
    pane_auction at{start, b.auction};
    auto* count = panes.get(at);
    if (!count && !holds_pane(start))
      ctx.timers().at_event_time(first_open_end(start, wm) - 1);
    panes.put(at, count ? *count + 1 : 1);
    if (w) {
      w->bid(at);
      w->count_ahead(panes.entries(), ahead_per_bid);
      drop_panes_before(w->now.end - ten_seconds, 2);
    }
  }

  void on_timer(int64_t ts, eddy::context<auction_count>& ctx) {
    auto end = ts + 1;
    auto& w = windows_ending(ctx, end).now;
    for (auto auction : w.leaders)
      ctx.emit(auction_count{auction, {end - ten_seconds, end}, w.most}, ts);
    // The next window holding a pane that is not expired: skips idle stretches.
    auto& all = panes.entries();
    auto live = all.lower_bound({end + two_seconds - ten_seconds, INT64_MIN});
    if (live != all.end()) {
      ctx.timers().at_event_time(std::max(end, live->first.first) + two_seconds - 1);
    } else {
      panes.clear(); // nothing left that a window will count
      windows_.erase(ctx.key<int64_t>());
    }
  }

private:
  /// Pane entries a bid adds to the next window (and counts of a closed
  /// window it frees): a bucket's bids in one pane outnumber the entries of
  /// the four panes the next window shares with the current one, so the
  /// count is done before the window it counts is due.
  static constexpr size_t ahead_per_bid = 2;

  /// A window's counts per auction so far and the auctions with the most.
  /// Counts only grow: a window is counted from its panes, never shifted.
  struct open_window {
    int64_t end = INT64_MIN;
    std::unordered_map<int64_t, int64_t> bids; ///< auction -> bids in the window
    int64_t most = 0;
    std::vector<int64_t> leaders;

    bool holds(int64_t pane_start) const {
      return pane_start >= end - ten_seconds && pane_start < end;
    }
    void add(int64_t auction, int64_t n) {
      lead(auction, bids[auction] += n);
    }
    void recount() {
      most = 0;
      leaders.clear();
      for (auto& [auction, n] : bids)
        lead(auction, n);
    }

  private:
    /// `auction` now has `count` bids, which only grew since it was last led.
    void lead(int64_t auction, int64_t count) {
      if (count > most) {
        most = count;
        leaders.clear();
      }
      if (count == most)
        leaders.push_back(auction);
    }
  };

  /// A bucket's first open window, counted, and the one after it, counted
  /// ahead from the pane entries up to `ahead` (entries past it are counted
  /// when the count reaches them; bids to entries before it go straight in).
  struct bucket_windows {
    open_window now;
    open_window next;                   ///< ends 2 s after `now`
    std::optional<pane_auction> ahead;  ///< next's first entry not counted; none: done
    std::unordered_map<int64_t, int64_t> closed; ///< counts of the window before `now`, being freed

    void bid(const pane_auction& at) {
      if (now.holds(at.first))
        now.add(at.second, 1);
      if (next.holds(at.first) && (!ahead || at < *ahead))
        next.add(at.second, 1);
    }

    /// Counts up to `budget` entries of `all` into the next window, and
    /// frees as many counts of the closed one.
    template <class Panes>
    void count_ahead(const Panes& all, size_t budget) {
      for (size_t i = 0; i < budget && !closed.empty(); ++i)
        closed.erase(closed.begin());
      if (!ahead)
        return;
      auto it = all.lower_bound(*ahead);
      for (; it != all.end() && it->first.first < next.end && budget > 0; ++it, --budget)
        next.bids[it->first.second] += it->second;
      if (it == all.end() || it->first.first >= next.end) {
        ahead.reset();
        next.recount();
      } else {
        ahead = it->first;
      }
    }

    /// Starts counting the window ending at `end` as the next one.
    void count_next(int64_t end) {
      next = open_window{};
      next.end = end;
      ahead = pane_auction{end - ten_seconds, INT64_MIN};
    }
  };

  static bool expired(int64_t pane_start, int64_t watermark) {
    return pane_start + ten_seconds - 1 <= watermark;
  }

  /// This bucket's windows, the first ending at `end`: the next window
  /// counted ahead takes over, or (first touch, idle stretch) the window is
  /// counted from the panes here.
  bucket_windows& windows_ending(eddy::context<auction_count>& ctx, int64_t end) {
    auto& w = windows_[ctx.key<int64_t>()];
    if (w.now.end == end)
      return w;
    if (end != w.next.end)
      w.count_next(end);
    // What the bids left to count, and every count of the closed window.
    w.count_ahead(panes.entries(), SIZE_MAX);
    w.closed = std::move(w.now.bids);
    w.now = std::move(w.next);
    w.count_next(end + two_seconds);
    return w;
  }

  /// Removes up to `budget` entries of panes older than `start` (they lead
  /// the map); the bucket's window no longer counts them.
  void drop_panes_before(int64_t start, int budget) {
    auto& all = panes.entries();
    while (budget-- > 0 && !all.empty() && all.begin()->first.first < start)
      panes.remove(all.begin()->first);
  }

  bool holds_pane(int64_t start) const {
    auto it = panes.entries().lower_bound({start, INT64_MIN});
    return it != panes.entries().end() && it->first.first == start;
  }

  /// The end of the first window not fired at `watermark`.
  static int64_t first_open_end(int64_t watermark) {
    return eddy::window_start(watermark + 1, two_seconds) + two_seconds;
  }

  /// The end of the first window holding pane `start` that is still open
  /// at `watermark` (the pane is not late, so one is).
  static int64_t first_open_end(int64_t start, int64_t watermark) {
    auto end = start + two_seconds;
    if (end - 1 <= watermark) // no overflow: watermark is a real time here
      end = first_open_end(watermark);
    return end;
  }

  std::unordered_map<int64_t, bucket_windows> windows_; ///< by bucket
};

/// Per window: the auctions with the most bids, emitted when it closes.
/// Ties are map entries, so a window where many auctions tie journals one
/// entry per auction rather than the whole list each time.
struct hottest_auctions {
  eddy::value_state<int64_t> most;             ///< the highest count so far
  eddy::map_state<int64_t, bool> leaders;      ///< auctions with that count

  void on_record(const auction_count& r, eddy::context<std::string>& ctx) {
    if (!most)
      ctx.timers().at_event_time(r.w.max_timestamp());
    else if (r.value < *most)
      return;
    else if (r.value > *most)
      leaders.clear();
    if (!most || r.value != *most)
      most = r.value;
    leaders.put(r.key, true);
  }

  void on_timer(int64_t ts, eddy::context<std::string>& ctx) {
    if (!most)
      return;
    auto start = ctx.key<int64_t>();
    for (auto& [auction, _] : leaders)
      ctx.emit(row{} << start << ts + 1 << auction << *most);
    most.clear();
    leaders.clear();
  }
};

// -- q7: highest bid --------------------------------------------------------------

/// The bids of a window (or of a bucket of auctions in it) that share its highest price.
struct highest_bids {
  int64_t price = -1;
  std::vector<bid_core> bids;

  void add(const bid_core& b) {
    if (b.price < price)
      return;
    if (b.price > price) {
      price = b.price;
      bids.clear();
    }
    bids.push_back(b);
  }
};

template <class Inspector>
auto inspect(Inspector& f, highest_bids& x) {
  return f(x.price, x.bids);
}

using bucket_highest = eddy::window_result<int64_t, highest_bids>; ///< bucket, window, bids

/// Per bucket of auctions (see auction_buckets) and tumbling 10 s window:
/// its highest bids, emitted when the window closes. A bid below the
/// window's highest price changes no state.
struct bucket_highest_bids {
  eddy::map_state<int64_t, highest_bids> windows; ///< by window start

  void on_record(const bid_core& b, eddy::context<bucket_highest>& ctx) {
    auto start = eddy::window_start(b.date_time, ten_seconds);
    if (start + ten_seconds - 1 <= ctx.watermark())
      return; // late: its window has closed
    const highest_bids* before = windows.get(start);
    if (before && b.price < before->price)
      return;
    highest_bids h = before ? *before : highest_bids{};
    h.add(b);
    windows.put(start, h);
    if (!before)
      ctx.timers().at_event_time(start + ten_seconds - 1);
  }

  void on_timer(int64_t ts, eddy::context<bucket_highest>& ctx) {
    auto start = ts + 1 - ten_seconds;
    if (auto* h = windows.get(start)) {
      ctx.emit(bucket_highest{ctx.key<int64_t>(), {start, start + ten_seconds}, *h}, ts);
      windows.remove(start);
    }
  }
};

/// The start of a first-stage result's window: the second stages' key.
template <class Result>
int64_t window_start_of(const Result& r) {
  return r.w.start;
}

/// Per window: the highest bids over all auctions, emitted when it closes.
struct highest_of_window {
  eddy::value_state<highest_bids> best;

  void on_record(const bucket_highest& r, eddy::context<std::string>& ctx) {
    bool first = !best;
    if (!first && r.value.price < best->price)
      return;
    highest_bids b = best.value_or({});
    for (auto& x : r.value.bids)
      b.add(x);
    best = b;
    if (first)
      ctx.timers().at_event_time(r.w.max_timestamp());
  }

  void on_timer(int64_t, eddy::context<std::string>& ctx) {
    if (!best)
      return;
    auto start = ctx.key<int64_t>();
    for (auto& b : best->bids)
      ctx.emit(row{} << start << b.auction << b.bidder << b.price << b.date_time);
    best.clear();
  }
};

// -- q8: new users ------------------------------------------------------------------

/// A person registering or an auction opening, keyed by the person's id.
struct person_or_sale {
  int64_t person = 0;
  int64_t date_time = 0;
  std::string name; ///< persons only
  bool is_person = false;
};

template <class Inspector>
auto inspect(Inspector& f, person_or_sale& x) {
  return f(x.person, x.date_time, x.name, x.is_person);
}

/// Per person and 10 s window: whether they registered and sold in it.
struct new_sellers {
  struct seen {
    std::string name;
    bool registered = false;
    bool sold = false;
  };
  eddy::map_state<int64_t, seen> windows; ///< by window start

  void on_record(const person_or_sale& x, eddy::context<std::string>& ctx) {
    auto start = eddy::window_start(x.date_time, ten_seconds);
    if (start + ten_seconds - 1 <= ctx.watermark())
      return; // late: its window has closed
    const seen* before = windows.get(start);
    if (before && (x.is_person ? before->registered : before->sold))
      return;
    seen s = before ? *before : seen{};
    if (x.is_person) {
      s.registered = true;
      s.name = x.name;
    } else {
      s.sold = true;
    }
    windows.put(start, s);
    if (!before)
      ctx.timers().at_event_time(start + ten_seconds - 1);
  }

  void on_timer(int64_t ts, eddy::context<std::string>& ctx) {
    auto start = ts + 1 - ten_seconds;
    if (auto* s = windows.get(start)) {
      if (s->registered && s->sold)
        ctx.emit(row{} << ctx.key<int64_t>() << s->name << start);
      windows.remove(start);
    }
  }
};

template <class Inspector>
auto inspect(Inspector& f, new_sellers::seen& x) {
  return f(x.name, x.registered, x.sold);
}

// -- q11: user sessions ---------------------------------------------------------------

/// Per bidder: the open sessions, emitted when the watermark passes their end
/// (last bid + 10 s). Bids within the gap of a session extend it (or merge
/// two) without moving its timer: when a session's timer fires before its
/// (since extended) end, it sets the next at the end, so a bid costs a
/// session's state write and no timer changes. Sessions are map entries by
/// start: a bid journals only the sessions it touches.
struct bidder_sessions {
  struct session {
    int64_t last = 0; ///< the last bid's time; the session ends at last + gap
    int64_t bids = 0;
  };
  eddy::map_state<int64_t, session> open; ///< by start; disjoint, none touching

  void on_record(const bid_core& b, eddy::context<std::string>& ctx) {
    auto ts = b.date_time;
    int64_t start = ts;
    session merged{ts, 1};
    // Sessions are disjoint and ordered, so the ones [ts, ts + gap) touches
    // are the last few that start at or before ts + gap.
    std::vector<int64_t> absorbed;
    auto& all = open.entries();
    for (auto it = all.upper_bound(ts + ten_seconds); it != all.begin();) {
      --it;
      if (it->second.last + ten_seconds < ts)
        break;
      start = std::min(start, it->first);
      merged = {std::max(merged.last, it->second.last), merged.bids + it->second.bids};
      absorbed.push_back(it->first);
    }
    if (absorbed.empty()) {
      if (ts + ten_seconds - 1 <= ctx.watermark())
        return; // late: a new session that would already have closed
      ctx.timers().at_event_time(ts + ten_seconds - 1);
    }
    for (auto s : absorbed)
      if (s != start)
        open.remove(s);
    open.put(start, merged);
  }

  void on_timer(int64_t ts, eddy::context<std::string>& ctx) {
    auto bidder = ctx.key<int64_t>();
    std::vector<int64_t> closed;
    for (auto& [start, s] : open) {
      auto end = s.last + ten_seconds;
      if (end - 1 > ts) {
        if (start <= ts) // open at ts: its timer was set for an earlier end
          ctx.timers().at_event_time(end - 1);
        continue;
      }
      ctx.emit(row{} << bidder << s.bids << start << end, end - 1);
      closed.push_back(start);
    }
    for (auto start : closed)
      open.remove(start);
  }
};

template <class Inspector>
auto inspect(Inspector& f, bidder_sessions::session& x) {
  return f(x.last, x.bids);
}

} // namespace

rows_stream q5(events in) {
  return bid_cores(in)
    .key_by(bucket_of)
    .process<bucket_panes>()
    .key_by(window_start_of<auction_count>)
    .process<hottest_auctions>();
}

rows_stream q7(events in) {
  return bid_cores(in)
    .key_by(bucket_of)
    .process<bucket_highest_bids>()
    .key_by(window_start_of<bucket_highest>)
    .process<highest_of_window>();
}

rows_stream q8(events in) {
  return in
    .flat_map([](const event& e, eddy::collector<person_or_sale>& out) {
      if (auto* p = std::get_if<person>(&e))
        out(person_or_sale{p->id, p->date_time, p->name, true});
      else if (auto* a = std::get_if<auction>(&e))
        out(person_or_sale{a->seller, a->date_time, {}, false});
    })
    .key_by(&person_or_sale::person)
    .process<new_sellers>();
}

rows_stream q11(events in) {
  return bid_cores(in)
    .key_by(&bid_core::bidder)
    .process<bidder_sessions>();
}

} // namespace nexmark::queries
