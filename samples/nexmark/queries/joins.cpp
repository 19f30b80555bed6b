// The join queries: unbounded inner joins keyed by the join key, each side
// waiting in state for the other. Person and auction ids are unique (primary
// keys), so once a person or an auction has arrived, what joins with it
// later is emitted at once and need not be kept.

#include <variant>
#include <vector>

#include "eddy/state.hpp"
#include "queries/queries.hpp"
#include "queries/rows.hpp"

namespace nexmark::queries {

namespace {

using rows::row;

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

/// Per person id: the person once known, the auctions that came before it.
struct local_item_suggestion {
  eddy::value_state<seller> person;
  eddy::list_state<int64_t> waiting_auctions;

  void on_record(const q3_input& x, eddy::context<std::string>& ctx) {
    if (auto* s = std::get_if<seller>(&x)) {
      person = *s;
      for (auto id : waiting_auctions.values())
        ctx.emit(match(*s, id));
      waiting_auctions.clear();
    } else if (person) {
      ctx.emit(match(*person, std::get<category_10_auction>(x).id));
    } else {
      waiting_auctions.add(std::get<category_10_auction>(x).id);
    }
  }

  static std::string match(const seller& s, int64_t auction) {
    return row{} << s.name << s.city << s.state << auction;
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

using q20_input = std::variant<bid_core, auction_facts>;

int64_t q20_key(const q20_input& x) {
  if (auto* b = std::get_if<bid_core>(&x))
    return b->auction;
  return std::get<auction_facts>(x).id;
}

/// Per auction id: its facts once known, the bids that came before them.
struct bids_with_auction {
  eddy::value_state<auction_facts> auction;
  eddy::list_state<bid_core> waiting_bids;

  void on_record(const q20_input& x, eddy::context<std::string>& ctx) {
    if (auto* a = std::get_if<auction_facts>(&x)) {
      auction = *a;
      if (a->category == 10)
        for (auto& b : waiting_bids.values())
          ctx.emit(match(b, *a));
      waiting_bids.clear();
    } else if (auction) {
      if (auction->category == 10)
        ctx.emit(match(std::get<bid_core>(x), *auction));
    } else {
      waiting_bids.add(std::get<bid_core>(x));
    }
  }

  static std::string match(const bid_core& b, const auction_facts& a) {
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
    .process<local_item_suggestion>();
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
    .process<bids_with_auction>();
}

} // namespace nexmark::queries
