// The queries whose result is an updating table: they emit a changelog,
// a retraction ("-") of a row the table loses and an insertion ("+") of each
// row it gains.

#include <algorithm>
#include <utility>
#include <vector>

#include "eddy/state.hpp"
#include "queries/queries.hpp"
#include "queries/rows.hpp"

namespace nexmark::queries {

namespace {

using rows::change;
using rows::row;

/// q18, per (bidder, auction): the bid with the latest date_time; of equal
/// ones the later arrival, which is the later event of the input.
struct last_bid {
  eddy::value_state<bid_core> last;

  void on_record(const bid_core& b, eddy::context<std::string>& ctx) {
    if (last) {
      if (b.date_time < last->date_time)
        return;
      ctx.emit(change(false, format(*last)));
    }
    ctx.emit(change(true, format(b)));
    last = b;
  }

  static std::string format(const bid_core& b) {
    return row{} << b.bidder << b.auction << b.price << b.date_time;
  }
};

/// q19, per auction: the 10 highest bids by price; of equal prices the
/// earlier bid ranks higher (the later one must beat it to enter).
struct top_bids {
  static constexpr size_t n = 10;
  eddy::value_state<std::vector<bid_core>> top; ///< by rank

  void on_record(const bid_core& b, eddy::context<std::string>& ctx) {
    std::vector<bid_core> ranked = top.value_or({});
    if (ranked.size() == n && b.price <= ranked.back().price)
      return;
    auto at = std::find_if(ranked.begin(), ranked.end(),
                           [&](const bid_core& x) { return x.price < b.price; });
    ranked.insert(at, b);
    ctx.emit(change(true, format(b)));
    if (ranked.size() > n) {
      ctx.emit(change(false, format(ranked.back())));
      ranked.pop_back();
    }
    top = ranked;
  }

  static std::string format(const bid_core& b) {
    return row{} << b.auction << b.bidder << b.price << b.date_time;
  }
};

std::pair<int64_t, int64_t> bidder_and_auction(const bid_core& b) {
  return {b.bidder, b.auction};
}

} // namespace

rows_stream q18(events in) {
  return bid_cores(in).key_by(bidder_and_auction).process<last_bid>();
}

rows_stream q19(events in) {
  return bid_cores(in).key_by(&bid_core::auction).process<top_bids>();
}

} // namespace nexmark::queries
