#pragma once

// The query builders behind nexmark::add_query, one per Nexmark query. Each
// takes the events with their event time and watermarks already assigned and
// returns the query's TSV rows. Grouped in files by the kind of state they
// keep: stateless, joins, windows, daily, changelogs.

#include <cstdint>
#include <string>

#include "eddy/job.hpp"
#include "nexmark.hpp"

namespace nexmark::queries {

using events = eddy::stream<event>;
using rows_stream = eddy::stream<std::string>;

/// What most queries keep of a bid: without its strings, it crosses channels
/// and sits in state at a fraction of the size.
struct bid_core {
  int64_t auction = 0;
  int64_t bidder = 0;
  int64_t price = 0;
  int64_t date_time = 0;
};

template <class Inspector>
auto inspect(Inspector& f, bid_core& x) {
  return f(x.auction, x.bidder, x.price, x.date_time);
}

/// The bids of `in`, as bid_core.
eddy::stream<bid_core> bid_cores(events in);

// stateless.cpp
rows_stream q0(events in);
rows_stream q1(events in);
rows_stream q2(events in);
rows_stream q14(events in);
rows_stream q21(events in);
rows_stream q22(events in);

// joins.cpp
rows_stream q3(events in);
rows_stream q20(events in);

// windows.cpp
rows_stream q5(events in);
rows_stream q7(events in);
rows_stream q8(events in);
rows_stream q11(events in);

// daily.cpp
rows_stream q15(events in);
rows_stream q17(events in);

// changelogs.cpp
rows_stream q18(events in);
rows_stream q19(events in);

} // namespace nexmark::queries
