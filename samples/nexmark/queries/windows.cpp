// The window queries. Per-key windows use eddy/window.hpp; the "best of a
// window" steps (q5, q7) are a second keyed stage, keyed by window start,
// that collects the first stage's results and fires when the watermark
// passes the window's end, so every row is final and emitted once.

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "eddy/state.hpp"
#include "eddy/window.hpp"
#include "queries/queries.hpp"
#include "queries/rows.hpp"

namespace nexmark::queries {

namespace {

using namespace std::chrono_literals;
using rows::row;

constexpr int64_t ten_seconds = 10'000;

/// Counts records (an eddy AggregateFunction).
struct count_records {
  int64_t create() const {
    return 0;
  }
  template <class T>
  void add(int64_t& acc, const T&) const {
    ++acc;
  }
  void merge(int64_t& acc, const int64_t& other) const {
    acc += other;
  }
  int64_t result(const int64_t& acc) const {
    return acc;
  }
};

// -- q5: hot items --------------------------------------------------------------

constexpr int64_t two_seconds = 2'000;

/// Bids of an auction in sliding window w.
using auction_count = eddy::window_result<int64_t, int64_t>; ///< auction, window, bids

/// Per auction: bids counted per 2 s pane (Flink's pane optimization of
/// sliding windows: one count per bid instead of one per window), and one
/// timer at the end of the next window that holds a counted pane. Each
/// window [e - 10 s, e) is the sum of its five panes, emitted when the
/// watermark reaches e - 1, if it holds any bid.
struct auction_panes {
  struct pane {
    int64_t start = 0;
    int64_t count = 0;
  };
  eddy::value_state<std::vector<pane>> panes; ///< by start; none older than the next window

  void on_record(const bid_core& b, eddy::context<auction_count>& ctx) {
    auto start = eddy::window_start(b.date_time, two_seconds);
    if (start + ten_seconds - 1 <= ctx.watermark())
      return; // late: every window of its pane has closed
    std::vector<pane> v = panes.value_or({});
    if (v.empty())
      ctx.timers().at_event_time(std::max(start + two_seconds, next_end(ctx.watermark())) - 1);
    auto at = std::find_if(v.begin(), v.end(), [&](const pane& p) { return p.start >= start; });
    if (at != v.end() && at->start == start)
      ++at->count;
    else
      v.insert(at, pane{start, 1});
    panes = v;
  }

  void on_timer(int64_t ts, eddy::context<auction_count>& ctx) {
    auto end = ts + 1;
    std::vector<pane> v = panes.value_or({});
    int64_t count = 0;
    for (auto& p : v)
      if (p.start >= end - ten_seconds && p.start < end)
        count += p.count;
    if (count > 0)
      ctx.emit(auction_count{ctx.key<int64_t>(), {end - ten_seconds, end}, count}, ts);
    std::erase_if(v, [&](const pane& p) { return p.start < end + two_seconds - ten_seconds; });
    if (v.empty()) {
      panes.clear();
      return;
    }
    panes = v;
    ctx.timers().at_event_time(end + two_seconds - 1);
  }

  /// The end of the first window still open at `watermark`.
  static int64_t next_end(int64_t watermark) {
    return eddy::window_start(watermark, two_seconds) + two_seconds;
  }
};

template <class Inspector>
auto inspect(Inspector& f, auction_panes::pane& x) {
  return f(x.start, x.count);
}

int64_t start_of(const auction_count& r) {
  return r.w.start;
}

/// Per window: the auctions with the most bids, emitted when it closes.
struct hottest_auctions {
  struct best {
    int64_t end = 0;
    int64_t count = 0;
    std::vector<int64_t> auctions;
  };
  eddy::value_state<best> leaders;

  void on_record(const auction_count& r, eddy::context<std::string>& ctx) {
    if (!leaders) {
      leaders = best{r.w.end, r.value, {r.key}};
      ctx.timers().at_event_time(r.w.max_timestamp());
      return;
    }
    if (r.value < leaders->count)
      return;
    best b = *leaders;
    if (r.value > b.count) {
      b.count = r.value;
      b.auctions.clear();
    }
    b.auctions.push_back(r.key);
    leaders = b;
  }

  void on_timer(int64_t, eddy::context<std::string>& ctx) {
    if (!leaders)
      return;
    auto start = ctx.key<int64_t>();
    for (auto auction : leaders->auctions)
      ctx.emit(row{} << start << leaders->end << auction << leaders->count);
    leaders.clear();
  }
};

template <class Inspector>
auto inspect(Inspector& f, hottest_auctions::best& x) {
  return f(x.end, x.count, x.auctions);
}

// -- q7: highest bid --------------------------------------------------------------

/// The bids of a window (or of an auction in it) that share its highest price.
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

struct collect_highest {
  highest_bids create() const {
    return {};
  }
  void add(highest_bids& acc, const bid_core& b) const {
    acc.add(b);
  }
  highest_bids result(const highest_bids& acc) const {
    return acc;
  }
};

using auction_highest = eddy::window_result<int64_t, highest_bids>;

int64_t highest_start_of(const auction_highest& r) {
  return r.w.start;
}

/// Per window: the highest bids over all auctions, emitted when it closes.
struct highest_of_window {
  eddy::value_state<highest_bids> best;

  void on_record(const auction_highest& r, eddy::context<std::string>& ctx) {
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

using bidder_session = eddy::window_result<int64_t, int64_t>; ///< bidder, session, bids

} // namespace

rows_stream q5(events in) {
  return bid_cores(in)
    .key_by(&bid_core::auction)
    .process<auction_panes>()
    .key_by(start_of)
    .process<hottest_auctions>();
}

rows_stream q7(events in) {
  return bid_cores(in)
    .key_by(&bid_core::auction)
    .window(eddy::tumbling(10s))
    .aggregate(collect_highest{})
    .key_by(highest_start_of)
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
    .window(eddy::session(10s))
    .aggregate(count_records{})
    .map([](const bidder_session& s) -> std::string {
      return row{} << s.key << s.value << s.w.start << s.w.end;
    });
}

} // namespace nexmark::queries
