#pragma once

// The three Nexmark event types (persons, auctions, bids) as plain values,
// with inspect overloads for eddy::codec and a CSV line per event. All times
// are milliseconds since the Unix epoch.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace eddy::connectors::nexmark {

/// A new person registers at the auction site.
struct person {
  int64_t id = 0;
  std::string name;
  std::string email_address;
  std::string credit_card;
  std::string city;
  std::string state;
  int64_t date_time = 0;
  std::string extra;

  bool operator==(const person&) const = default;
};

/// A person opens an auction for an item.
struct auction {
  int64_t id = 0;
  std::string item_name;
  std::string description;
  int64_t initial_bid = 0;
  int64_t reserve = 0;
  int64_t date_time = 0;
  int64_t expires = 0;
  int64_t seller = 0;
  int64_t category = 0;
  std::string extra;

  bool operator==(const auction&) const = default;
};

/// A person bids for an auction, through a channel (referrer) and URL.
struct bid {
  int64_t auction = 0;
  int64_t bidder = 0;
  int64_t price = 0;
  std::string channel;
  std::string url;
  int64_t date_time = 0;
  std::string extra;

  bool operator==(const bid&) const = default;
};

/// One Nexmark event.
using event = std::variant<person, auction, bid>;

template <class Inspector>
auto inspect(Inspector& f, person& x) {
  return f(x.id, x.name, x.email_address, x.credit_card, x.city, x.state, x.date_time, x.extra);
}

template <class Inspector>
auto inspect(Inspector& f, auction& x) {
  return f(x.id, x.item_name, x.description, x.initial_bid, x.reserve, x.date_time, x.expires,
           x.seller, x.category, x.extra);
}

template <class Inspector>
auto inspect(Inspector& f, bid& x) {
  return f(x.auction, x.bidder, x.price, x.channel, x.url, x.date_time, x.extra);
}

/// Returns `x` as one CSV line without a trailing newline:
///   P,id,name,email,credit_card,city,state,date_time,extra
///   A,id,item_name,description,initial_bid,reserve,date_time,expires,seller,category,extra
///   B,auction,bidder,price,channel,url,date_time,extra
/// Fields are not quoted: generated strings never hold ',', tab or newline.
std::string to_csv(const event& x);

/// Parses a line written by to_csv into `out`; on failure returns false and
/// sets `reason` (which field is wrong, or how many fields there were).
bool from_csv(std::string_view line, event& out, std::string& reason);

} // namespace eddy::connectors::nexmark
