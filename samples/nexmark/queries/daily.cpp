// The daily statistics: bids grouped by UTC day (q15) or by auction and day
// (q17), emitted when the watermark passes the end of the day.

#include <chrono>
#include <cstdint>

#include "eddy/state.hpp"
#include "eddy/window.hpp"
#include "queries/queries.hpp"
#include "queries/rows.hpp"

namespace nexmark::queries {

namespace {

using rows::row;

/// Price bands 1..3: below 10 000, below 1 000 000, the rest.
int band_of(int64_t price) {
  return price < 10'000 ? 1 : price < 1'000'000 ? 2 : 3;
}

// -- q15: bidding statistics per day ---------------------------------------------

/// Per day: the counts; `bidders` and `auctions` map each id seen to the
/// bands it was seen in (bit b for band b), so distinct counts per band need
/// one map entry per id rather than one set per band.
struct daily_stats {
  struct counts {
    int64_t total = 0;
    int64_t bands[4] = {};
  };
  eddy::value_state<counts> bids;
  eddy::map_state<int64_t, uint8_t> bidders;
  eddy::map_state<int64_t, uint8_t> auctions;

  void on_record(const bid_core& b, eddy::context<std::string>& ctx) {
    auto day = rows::day_of(b.date_time);
    if ((day + 1) * rows::day_ms - 1 <= ctx.watermark())
      return; // late: the day has closed
    auto band = band_of(b.price);
    if (!bids)
      ctx.timers().at_event_time((day + 1) * rows::day_ms - 1);
    counts c = bids.value_or({});
    ++c.total;
    ++c.bands[band];
    bids = c;
    mark(bidders, b.bidder, band);
    mark(auctions, b.auction, band);
  }

  void on_timer(int64_t ts, eddy::context<std::string>& ctx) {
    if (!bids)
      return;
    row r;
    r << rows::date_text(rows::day_of(ts)) << bids->total << bids->bands[1] << bids->bands[2]
      << bids->bands[3];
    distinct(r, bidders);
    distinct(r, auctions);
    ctx.emit(std::move(r));
    bids.clear();
    bidders.clear();
    auctions.clear();
  }

  static void mark(eddy::map_state<int64_t, uint8_t>& seen, int64_t id, int band) {
    auto bit = static_cast<uint8_t>(1u << band);
    auto* bands = seen.get(id);
    if (!bands || !(*bands & bit))
      seen.put(id, static_cast<uint8_t>((bands ? *bands : 0) | bit));
  }

  /// Appends the number of ids in total and per band.
  static void distinct(row& r, const eddy::map_state<int64_t, uint8_t>& seen) {
    int64_t per_band[4] = {};
    for (auto& [id, bands] : seen)
      for (int b = 1; b <= 3; ++b)
        per_band[b] += (bands >> b) & 1;
    r << static_cast<int64_t>(seen.size()) << per_band[1] << per_band[2] << per_band[3];
  }
};

template <class Inspector>
auto inspect(Inspector& f, daily_stats::counts& x) {
  return f(x.total, x.bands[1], x.bands[2], x.bands[3]);
}

int64_t day_of_bid(const bid_core& b) {
  return rows::day_of(b.date_time);
}

// -- q17: auction statistics per day ------------------------------------------------

struct auction_day {
  int64_t total = 0;
  int64_t bands[4] = {};
  int64_t min_price = INT64_MAX;
  int64_t max_price = INT64_MIN;
  int64_t sum_price = 0;
};

template <class Inspector>
auto inspect(Inspector& f, auction_day& x) {
  return f(x.total, x.bands[1], x.bands[2], x.bands[3], x.min_price, x.max_price, x.sum_price);
}

struct summarize_auction_day {
  auction_day create() const {
    return {};
  }
  void add(auction_day& acc, const bid_core& b) const {
    ++acc.total;
    ++acc.bands[band_of(b.price)];
    acc.min_price = std::min(acc.min_price, b.price);
    acc.max_price = std::max(acc.max_price, b.price);
    acc.sum_price += b.price;
  }
  auction_day result(const auction_day& acc) const {
    return acc;
  }
};

using auction_day_result = eddy::window_result<int64_t, auction_day>;

} // namespace

rows_stream q15(events in) {
  return bid_cores(in).key_by(day_of_bid).process<daily_stats>();
}

rows_stream q17(events in) {
  return bid_cores(in)
    .key_by(&bid_core::auction)
    .window(eddy::tumbling(std::chrono::days(1)))
    .aggregate(summarize_auction_day{})
    .map([](const auction_day_result& r) -> std::string {
      auto& s = r.value;
      row out;
      out << r.key << rows::date_text(rows::day_of(r.w.start)) << s.total << s.bands[1]
          << s.bands[2] << s.bands[3] << s.min_price << s.max_price;
      out.fixed3(static_cast<double>(s.sum_price) / static_cast<double>(s.total)) << s.sum_price;
      return out;
    });
}

} // namespace nexmark::queries
