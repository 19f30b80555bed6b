#include "eddy/connectors/nexmark/events.hpp"

#include <string>

namespace eddy::connectors::nexmark {

namespace {

void field(std::string& out, const std::string& x) {
  out += ',';
  out += x;
}

void field(std::string& out, int64_t x) {
  out += ',';
  out += std::to_string(x);
}

} // namespace

std::string to_csv(const event& x) {
  std::string out;
  if (auto* p = std::get_if<person>(&x)) {
    out = "P";
    field(out, p->id);
    field(out, p->name);
    field(out, p->email_address);
    field(out, p->credit_card);
    field(out, p->city);
    field(out, p->state);
    field(out, p->date_time);
    field(out, p->extra);
  } else if (auto* a = std::get_if<auction>(&x)) {
    out = "A";
    field(out, a->id);
    field(out, a->item_name);
    field(out, a->description);
    field(out, a->initial_bid);
    field(out, a->reserve);
    field(out, a->date_time);
    field(out, a->expires);
    field(out, a->seller);
    field(out, a->category);
    field(out, a->extra);
  } else {
    const auto& b = std::get<bid>(x);
    out = "B";
    field(out, b.auction);
    field(out, b.bidder);
    field(out, b.price);
    field(out, b.channel);
    field(out, b.url);
    field(out, b.date_time);
    field(out, b.extra);
  }
  return out;
}

} // namespace eddy::connectors::nexmark
