// The join queries: unbounded inner joins keyed by the join key, each side
// waiting in state for the other. Person and auction ids are unique (primary
// keys), so once a person or an auction has arrived, what joins with it
// later is emitted at once and need not be kept (unique_join).

#include <optional>
#include <variant>
#include <vector>

#include "eddy/state.hpp"
#include "queries/queries.hpp"
#include "queries/rows.hpp"

namespace nexmark::queries {

namespace {

using rows::row;

/// An inner join of a side `One` whose key is unique (a primary key) with a
/// side `Many` on that key: `One` is kept once it arrives, `Many` records
/// that come before it wait in state and are joined when it arrives, later
/// ones are joined at once. `Match{}(one, many)` returns the row, or nullopt
/// when the pair is filtered out.
template <class One, class Many, class Match>
struct unique_join {
  eddy::value_state<One> one;
  eddy::list_state<Many> waiting;

  void on_record(const std::variant<One, Many>& x, eddy::context<std::string>& ctx) {
    if (auto* o = std::get_if<One>(&x)) {
      one = *o;
      for (auto& m : waiting.values())
        emit(*o, m, ctx);
      waiting.clear();
    } else if (one) {
      emit(*one, std::get<Many>(x), ctx);
    } else {
      waiting.add(std::get<Many>(x));
    }
  }

  static void emit(const One& o, const Many& m, eddy::context<std::string>& ctx) {
    if (auto row = Match{}(o, m))
      ctx.emit(*row);
  }
};

// -- q3: persons in OR, ID, CA selling in category 10 --------------------------

struct seller {
  int64_t id = 0;
  std::string name;
  std::string city;
  std::string state;
};

template <class Inspector>
auto inspect(Inspector& f, seller& x) {
  return f(x.id, x.name, x.city, x.state);
}

struct category_10_auction {
  int64_t id = 0;
  int64_t seller = 0;
};

template <class Inspector>
auto inspect(Inspector& f, category_10_auction& x) {
  return f(x.id, x.seller);
}

using q3_input = std::variant<seller, category_10_auction>;

int64_t q3_key(const q3_input& x) {
  if (auto* s = std::get_if<seller>(&x))
    return s->id;
  return std::get<category_10_auction>(x).seller;
}

/// A seller's row for one of their auctions.
struct local_item {
  std::optional<std::string> operator()(const seller& s, const category_10_auction& a) const {
    return row{} << s.name << s.city << s.state << a.id;
  }
};

// -- q20: bids of category-10 auctions -----------------------------------------

struct auction_facts {
  int64_t id = 0;
  std::string item_name; ///< kept for category 10 only
  int64_t category = 0;
};

template <class Inspector>
auto inspect(Inspector& f, auction_facts& x) {
  return f(x.id, x.item_name, x.category);
}

using q20_input = std::variant<auction_facts, bid_core>;

int64_t q20_key(const q20_input& x) {
  if (auto* b = std::get_if<bid_core>(&x))
    return b->auction;
  return std::get<auction_facts>(x).id;
}

/// A bid's row with its auction's facts, for auctions of category 10 only.
struct bid_in_category_10 {
  std::optional<std::string> operator()(const auction_facts& a, const bid_core& b) const {
    if (a.category != 10)
      return std::nullopt;
    return row{} << b.auction << b.bidder << b.price << b.date_time << a.item_name << a.category;
  }
};

} // namespace

rows_stream q3(events in) {
  return in
    .flat_map([](const event& e, eddy::collector<q3_input>& out) {
      if (auto* p = std::get_if<person>(&e)) {
        if (p->state == "OR" || p->state == "ID" || p->state == "CA")
          out(seller{p->id, p->name, p->city, p->state});
      } else if (auto* a = std::get_if<auction>(&e)) {
        if (a->category == 10)
          out(category_10_auction{a->id, a->seller});
      }
    })
    .key_by(q3_key)
    .process<unique_join<seller, category_10_auction, local_item>>();
}

rows_stream q20(events in) {
  return in
    .flat_map([](const event& e, eddy::collector<q20_input>& out) {
      if (auto* b = std::get_if<bid>(&e))
        out(bid_core{b->auction, b->bidder, b->price, b->date_time});
      else if (auto* a = std::get_if<auction>(&e))
        out(auction_facts{a->id, a->category == 10 ? a->item_name : std::string{}, a->category});
    })
    .key_by(q20_key)
    .process<unique_join<auction_facts, bid_core, bid_in_category_10>>();
}

} // namespace nexmark::queries
