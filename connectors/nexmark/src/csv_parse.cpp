#include <charconv>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/connectors/nexmark/events.hpp"

namespace eddy::connectors::nexmark {

namespace {

/// The comma-separated fields of one line, checked and converted in order.
class fields {
public:
  fields(std::string_view line, std::string& reason) : reason_(reason) {
    for (size_t begin = 0;;) {
      auto comma = line.find(',', begin);
      parts_.push_back(line.substr(begin, comma == std::string_view::npos ? comma : comma - begin));
      if (comma == std::string_view::npos)
        break;
      begin = comma + 1;
    }
  }

  bool count_is(size_t n, const char* kind) {
    if (parts_.size() == n)
      return true;
    reason_ = std::string{kind} + " needs " + std::to_string(n) + " fields, got "
              + std::to_string(parts_.size());
    return false;
  }

  bool integer(int64_t& out, const char* name) {
    auto s = parts_[next_++];
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (!s.empty() && ec == std::errc{} && p == s.data() + s.size())
      return true;
    reason_ = std::string{name} + " is not an integer: '" + std::string{s} + "'";
    return false;
  }

  bool text(std::string& out) {
    out = parts_[next_++];
    return true;
  }

private:
  std::vector<std::string_view> parts_;
  size_t next_ = 1; // after the type letter
  std::string& reason_;
};

} // namespace

bool from_csv(std::string_view line, event& out, std::string& reason) {
  fields f{line, reason};
  auto kind = line.substr(0, line.find(','));
  if (kind == "P") {
    person p;
    if (!f.count_is(9, "a person (P)") || !f.integer(p.id, "id") || !f.text(p.name)
        || !f.text(p.email_address) || !f.text(p.credit_card) || !f.text(p.city)
        || !f.text(p.state) || !f.integer(p.date_time, "date_time") || !f.text(p.extra))
      return false;
    out = std::move(p);
    return true;
  }
  if (kind == "A") {
    auction a;
    if (!f.count_is(11, "an auction (A)") || !f.integer(a.id, "id") || !f.text(a.item_name)
        || !f.text(a.description) || !f.integer(a.initial_bid, "initial_bid")
        || !f.integer(a.reserve, "reserve") || !f.integer(a.date_time, "date_time")
        || !f.integer(a.expires, "expires") || !f.integer(a.seller, "seller")
        || !f.integer(a.category, "category") || !f.text(a.extra))
      return false;
    out = std::move(a);
    return true;
  }
  if (kind == "B") {
    bid b;
    if (!f.count_is(8, "a bid (B)") || !f.integer(b.auction, "auction")
        || !f.integer(b.bidder, "bidder") || !f.integer(b.price, "price") || !f.text(b.channel)
        || !f.text(b.url) || !f.integer(b.date_time, "date_time") || !f.text(b.extra))
      return false;
    out = std::move(b);
    return true;
  }
  reason = "the first field must be P, A or B, not '" + std::string{kind} + "'";
  return false;
}

} // namespace eddy::connectors::nexmark
