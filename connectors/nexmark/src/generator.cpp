#include "eddy/connectors/nexmark/generator.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numbers>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace eddy::connectors::nexmark {

namespace {

// Constants of nexmark/nexmark's GeneratorConfig, NexmarkConfiguration and
// the model generators, with the Flink defaults.
constexpr int64_t first_person_id = 1000;
constexpr int64_t first_auction_id = 1000;
constexpr int64_t first_category_id = 10;
constexpr int64_t person_proportion = 1;
constexpr int64_t auction_proportion = 3;
constexpr int64_t total_proportion = 50; // 1 person : 3 auctions : 46 bids
constexpr int64_t num_active_people = 1000;
constexpr int64_t num_in_flight_auctions = 100;
constexpr int64_t person_id_lead = 10;
constexpr int64_t auction_id_lead = 10;
constexpr uint64_t hot_sellers_ratio = 4;  // 3 of 4 auctions by a hot seller
constexpr uint64_t hot_auction_ratio = 2;  // 1 of 2 bids for a hot auction
constexpr uint64_t hot_bidders_ratio = 4;  // 3 of 4 bids by a hot bidder
constexpr int64_t hot_seller_batch = 100;  // HOT_SELLER_RATIO in the original
constexpr int64_t hot_auction_batch = 100; // HOT_AUCTION_RATIO
constexpr int64_t hot_bidder_batch = 100;  // HOT_BIDDER_RATIO
constexpr uint64_t num_categories = 5;
constexpr uint64_t hot_channels_ratio = 2;
constexpr uint64_t channels_number = 10'000;
constexpr int avg_person_bytes = 200;
constexpr int avg_auction_bytes = 500;
constexpr int avg_bid_bytes = 100;
constexpr uint64_t min_string_length = 3;

constexpr const char* hot_channels[] = {"Google", "Facebook", "Baidu", "Apple"};
constexpr uint64_t num_hot_channels = 4;

constexpr std::string_view us_states[] = {"AZ", "CA", "ID", "OR", "WA", "WY"};
constexpr std::string_view us_cities[] = {"Phoenix", "Los Angeles", "San Francisco", "Boise",
                                          "Portland", "Bend", "Redmond", "Seattle", "Kent",
                                          "Cheyenne"};
constexpr std::string_view first_names[] = {"Peter", "Paul",  "Luke",  "John",   "Saul",  "Vicky",
                                            "Kate",  "Julie", "Sarah", "Deiter", "Walter"};
constexpr std::string_view last_names[] = {"Shultz", "Abrams", "Spencer", "White", "Bartels",
                                           "Walton", "Smith",  "Jones",   "Noris"};

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// java.util.Random's calls on top of SplitMix64 (Steele, Lea, Flood), without
/// std distributions (their results differ between standard libraries). A
/// generator is made per event, so it must be cheap to seed: mt19937_64 fills
/// 312 words per seeding and held the generator at ~160 k events/s.
class random {
public:
  explicit random(uint64_t seed) : state_(seed) {
  }
  /// Uniform in [0, bound); bound > 0 (Lemire's multiply-shift).
  uint64_t next(uint64_t bound) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(engine_()) * bound) >> 64);
  }
  /// Uniform in [0, 1) with 53 random bits.
  double next_double() {
    return static_cast<double>(engine_() >> 11) * 0x1.0p-53;
  }
  uint64_t next_u64() {
    return engine_();
  }

private:
  uint64_t engine_() {
    state_ += 0x9e3779b97f4a7c15ULL;
    auto x = state_;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  }

  uint64_t state_;
};

template <size_t N>
std::string_view pick(random& rng, const std::string_view (&xs)[N]) {
  return xs[rng.next(N)];
}

/// StringsGenerator.nextString: 3 … max_length - 1 letters, about 1 in 13 of
/// them `space` (trimmed off the ends when it is a blank).
std::string next_string(random& rng, uint64_t max_length, char space = ' ') {
  auto len = min_string_length + rng.next(max_length - min_string_length);
  std::string s;
  s.reserve(len);
  while (len-- > 0)
    s.push_back(rng.next(13) == 0 ? space : static_cast<char>('a' + rng.next(26)));
  if (space == ' ') {
    auto b = s.find_first_not_of(' ');
    if (b == std::string::npos)
      return {};
    s = s.substr(b, s.find_last_not_of(' ') - b + 1);
  }
  return s;
}

/// Random lower-case letters, drawn once (eight per random 64-bit word, each
/// byte scaled to 26): the pool next_exact_string slices.
const std::string& letter_pool() {
  static const std::string pool = [] {
    std::string s(64 * 1024, ' ');
    random rng{0x6c657474657273ULL}; // "letters"
    for (size_t at = 0; at < s.size(); at += 8) {
      uint64_t word = rng.next_u64();
      for (size_t i = 0; i < 8; ++i)
        s[at + i] = static_cast<char>('a' + ((((word >> (8 * i)) & 0xff) * 26) >> 8));
    }
    return s;
  }();
  return pool;
}

/// StringsGenerator.nextExactString: `length` lower-case letters, a slice of
/// the letter pool at a random offset. Drawing each letter (nine words for
/// a bid's ~70) was 16% of q5's CPU; a slice is one draw and a copy. No
/// query reads more of `extra` than its letters' frequencies (q14 counts
/// its c's), which a slice keeps.
std::string next_exact_string(random& rng, int64_t length) {
  auto& pool = letter_pool();
  auto n = std::min<size_t>(static_cast<size_t>(std::max<int64_t>(length, 0)), pool.size());
  return pool.substr(rng.next(pool.size() - n + 1), n);
}

/// StringsGenerator.nextExtra: padding so that current_size plus its length
/// averages desired_average, within ±20 %.
std::string next_extra(random& rng, int64_t current_size, int64_t desired_average) {
  if (current_size > desired_average)
    return {};
  desired_average -= current_size;
  auto delta = static_cast<int64_t>(std::floor(static_cast<double>(desired_average) * 0.2 + 0.5));
  auto min_size = desired_average - delta;
  auto size = min_size + (delta == 0 ? 0 : static_cast<int64_t>(rng.next(2 * delta)));
  return next_exact_string(rng, size);
}

/// PriceGenerator.nextPrice: round(10^(6u) * 100), in cents, 100 … 10^8.
int64_t next_price(random& rng) {
  // exp(6u ln 10) = 10^(6u); glibc's exp costs half its pow.
  return static_cast<int64_t>(std::floor(std::exp(rng.next_double() * 6.0 * std::numbers::ln10) * 100.0 + 0.5));
}

/// PersonGenerator.lastBase0PersonId: the id of the last person generated at
/// or before event `n` (the current one if event n is a person).
int64_t last_base0_person_id(int64_t n) {
  auto epoch = n / total_proportion;
  auto offset = n % total_proportion;
  if (offset >= person_proportion)
    offset = person_proportion - 1;
  return epoch * person_proportion + offset;
}

/// AuctionGenerator.lastBase0AuctionId; -1 before the first auction.
int64_t last_base0_auction_id(int64_t n) {
  auto epoch = n / total_proportion;
  auto offset = n % total_proportion;
  if (offset < person_proportion) {
    --epoch;
    offset = auction_proportion - 1;
  } else if (offset >= person_proportion + auction_proportion) {
    offset = auction_proportion - 1;
  } else {
    offset -= person_proportion;
  }
  return epoch * auction_proportion + offset;
}

/// PersonGenerator.nextBase0PersonId: one of the last 1000 people, or up to
/// 10 ahead of the last one (a person whose event seems to come late).
int64_t next_base0_person_id(int64_t n, random& rng) {
  auto num_people = last_base0_person_id(n) + 1;
  auto active = std::min(num_people, num_active_people);
  auto k = static_cast<int64_t>(rng.next(static_cast<uint64_t>(active + person_id_lead)));
  return num_people - active + k;
}

/// AuctionGenerator.nextBase0AuctionId: one of the last 100 auctions, or up
/// to 10 ahead.
int64_t next_base0_auction_id(int64_t n, random& rng) {
  auto max_auction = last_base0_auction_id(n);
  auto min_auction = std::max<int64_t>(max_auction - num_in_flight_auctions, 0);
  auto span = static_cast<uint64_t>(max_auction - min_auction + 1 + auction_id_lead);
  return min_auction + static_cast<int64_t>(rng.next(span));
}

/// BidGenerator.getBaseUrl.
std::string base_url(random& rng) {
  std::string url = "https://www.nexmark.com/";
  for (int i = 0; i < 3; ++i) {
    url += next_string(rng, 5, '_');
    url += '/';
  }
  url += "item.htm?query=1";
  return url;
}

/// Integer.reverse, then Math.abs, on a Java int (abs(MIN_VALUE) stays negative).
int64_t java_abs_reverse(uint32_t x) {
  uint32_t r = 0;
  for (int i = 0; i < 32; ++i, x >>= 1)
    r = (r << 1) | (x & 1);
  auto v = static_cast<int32_t>(r);
  return v == INT32_MIN ? v : (v < 0 ? -static_cast<int64_t>(v) : v);
}

/// The URL of hot channel i (i < 4) or of channel-c (i = 4 + c). The original
/// draws these once per process from an unseeded Random; here they are a
/// pure function of the seed, cached per thread.
const std::string& channel_url(uint64_t seed, uint64_t i) {
  thread_local uint64_t cached_seed = 0;
  thread_local std::vector<std::string> urls;
  if (urls.empty() || cached_seed != seed) {
    urls.assign(num_hot_channels + channels_number, std::string{});
    cached_seed = seed;
  }
  auto& url = urls[i];
  if (url.empty()) {
    random rng{splitmix64(splitmix64(seed) ^ 0x6e65786d61726bULL) ^ i};
    url = base_url(rng);
    if (i >= num_hot_channels && rng.next(10) > 0) { // 90 % carry a channel id
      url += "&channel_id=";
      url += std::to_string(java_abs_reverse(static_cast<uint32_t>(i - num_hot_channels)));
    }
  }
  return url;
}

person next_person(const generator_config&, int64_t n, random& rng, int64_t ts) {
  person p;
  p.id = last_base0_person_id(n) + first_person_id;
  p.name = std::string{pick(rng, first_names)} + ' ' + std::string{pick(rng, last_names)};
  p.email_address = next_string(rng, 7) + '@' + next_string(rng, 5) + ".com";
  for (int i = 0; i < 4; ++i) {
    char group[8];
    std::snprintf(group, sizeof group, "%04u", static_cast<unsigned>(rng.next(10000)));
    if (i > 0)
      p.credit_card += ' ';
    p.credit_card += group;
  }
  p.city = pick(rng, us_cities);
  p.state = pick(rng, us_states);
  auto size = 8 + p.name.size() + p.email_address.size() + p.credit_card.size() + p.city.size()
              + p.state.size();
  p.extra = next_extra(rng, static_cast<int64_t>(size), avg_person_bytes);
  p.date_time = ts;
  return p;
}

auction next_auction(const generator_config& config, int64_t n, random& rng, int64_t ts) {
  auction a;
  a.id = last_base0_auction_id(n) + first_auction_id;
  if (rng.next(hot_sellers_ratio) > 0)
    a.seller = (last_base0_person_id(n) / hot_seller_batch) * hot_seller_batch;
  else
    a.seller = next_base0_person_id(n, rng);
  a.seller += first_person_id;
  a.category = first_category_id + static_cast<int64_t>(rng.next(num_categories));
  a.initial_bid = next_price(rng);
  // AuctionGenerator.nextAuctionLengthMs: on average the time until
  // num_in_flight_auctions more auctions have been generated.
  auto events_for_auctions = num_in_flight_auctions * total_proportion / auction_proportion;
  auto future = timestamp_of(config, static_cast<uint64_t>(n + events_for_auctions));
  auto horizon = future - ts;
  a.expires = ts + 1 + static_cast<int64_t>(rng.next(static_cast<uint64_t>(std::max<int64_t>(horizon * 2, 1))));
  a.item_name = next_string(rng, 20);
  a.description = next_string(rng, 100);
  a.reserve = a.initial_bid + next_price(rng);
  auto size = 8 + a.item_name.size() + a.description.size() + 8 + 8 + 8 + 8 + 8;
  a.extra = next_extra(rng, static_cast<int64_t>(size), avg_auction_bytes);
  a.date_time = ts;
  return a;
}

bid next_bid(const generator_config& config, int64_t n, random& rng, int64_t ts) {
  bid b;
  if (rng.next(hot_auction_ratio) > 0)
    b.auction = (last_base0_auction_id(n) / hot_auction_batch) * hot_auction_batch;
  else
    b.auction = next_base0_auction_id(n, rng);
  b.auction += first_auction_id;
  // The second person of the batch, so hot bidders and hot sellers differ.
  if (rng.next(hot_bidders_ratio) > 0)
    b.bidder = (last_base0_person_id(n) / hot_bidder_batch) * hot_bidder_batch + 1;
  else
    b.bidder = next_base0_person_id(n, rng);
  b.bidder += first_person_id;
  b.price = next_price(rng);
  if (rng.next(hot_channels_ratio) > 0) {
    auto i = rng.next(num_hot_channels);
    b.channel = hot_channels[i];
    b.url = channel_url(config.seed, i);
  } else {
    auto c = rng.next(channels_number);
    b.channel = "channel-" + std::to_string(c);
    b.url = channel_url(config.seed, num_hot_channels + c);
  }
  b.extra = next_extra(rng, 8 + 8 + 8 + 8, avg_bid_bytes);
  b.date_time = ts;
  return b;
}

bool parse_u64(std::string_view text, uint64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size() && !text.empty();
}

/// Events `index`, `index + stride`, ... below config.events: split
/// index/stride of the generator, or all of it (0/1). The position is the
/// number of the next event it would generate.
class nexmark_source final : public eddy::source<event> {
public:
  nexmark_source(generator_config config, uint64_t index = 0, uint64_t stride = 1)
    : config_(config), index_(index), stride_(stride), next_(index) {
  }
  std::string name() const override {
    auto n = "nexmark(" + std::to_string(config_.events) + " events, seed "
             + std::to_string(config_.seed) + ")";
    if (stride_ > 1)
      n += " split " + split_name();
    return n;
  }
  error check() const override {
    if (config_.rate == 0)
      return {errc::invalid_argument, "nexmark generator rate must be positive"};
    return {};
  }
  expected<std::vector<std::string>> splits(uint32_t desired) const override {
    std::vector<std::string> out;
    auto n = std::max<uint32_t>(desired, 1);
    for (uint32_t i = 0; i < n; ++i)
      out.push_back(std::to_string(i) + "/" + std::to_string(n));
    return out;
  }
  expected<std::unique_ptr<eddy::source<event>>> reader(const std::string& split) const override {
    auto slash = split.find('/');
    uint64_t i = 0, n = 0;
    if (slash == std::string::npos || !parse_u64(std::string_view{split}.substr(0, slash), i)
        || !parse_u64(std::string_view{split}.substr(slash + 1), n) || n == 0 || i >= n)
      return error{errc::corrupt, "split '" + split + "' of " + name() + " is not 'i/n', i < n"};
    return std::unique_ptr<eddy::source<event>>{std::make_unique<nexmark_source>(config_, i, n)};
  }
  error open(std::string_view position) override {
    uint64_t start = index_;
    if (!position.empty()) {
      if (!parse_u64(position, start))
        return {errc::corrupt, "position '" + std::string{position} + "' of " + name()
                                 + " is not a number"};
      // The next event is always one of this split's, and at most one
      // stride past the last event.
      if (start > config_.events + stride_ - 1 || (stride_ == 1 && start > config_.events))
        return {errc::corrupt, "position " + std::string{position} + " is beyond the end of "
                                 + name()};
      if (start % stride_ != index_)
        return {errc::corrupt, "position " + std::string{position} + " is not an event of "
                                 + name()};
    }
    next_ = start;
    return {};
  }
  expected<size_t> read(size_t max, const std::function<void(const event&)>& fn) override {
    size_t n = 0;
    for (; n < max && next_ < config_.events; ++n, next_ += stride_)
      fn(generate(config_, next_));
    return n;
  }
  bool finished() const override {
    return next_ >= config_.events;
  }
  std::string position() const override {
    return std::to_string(next_);
  }

private:
  std::string split_name() const {
    return std::to_string(index_) + "/" + std::to_string(stride_);
  }

  generator_config config_;
  uint64_t index_;  ///< this split: events index_ + k * stride_
  uint64_t stride_;
  uint64_t next_ = 0;
};

} // namespace

int64_t timestamp_of(const generator_config& config, uint64_t n) {
  // GeneratorConfig.timestampForEvent with interEventDelayUs = 1e6 / rate.
  double inter_event_delay_us = 1'000'000.0 / static_cast<double>(config.rate);
  return config.base_time_ms
         + static_cast<int64_t>(static_cast<double>(n) * inter_event_delay_us) / 1000;
}

event generate(const generator_config& config, uint64_t n) {
  // One engine per event, seeded from the seed and the event number, as the
  // original seeds a Random per event id: any event can be made on its own.
  random rng{splitmix64(config.seed) ^ n};
  auto id = static_cast<int64_t>(n);
  auto ts = timestamp_of(config, n);
  auto rem = id % total_proportion;
  if (rem < person_proportion)
    return next_person(config, id, rng, ts);
  if (rem < person_proportion + auction_proportion)
    return next_auction(config, id, rng, ts);
  return next_bid(config, id, rng, ts);
}

std::unique_ptr<eddy::source<event>> source(generator_config config) {
  return std::make_unique<nexmark_source>(config);
}

} // namespace eddy::connectors::nexmark
