#pragma once

// Building the TSV rows the queries emit (formats in QUERIES.md).

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "eddy/window.hpp"

namespace nexmark::rows {

/// One TSV row, built column by column: `row{} << a << b` gives "a\tb".
class row {
public:
  template <class T>
  row& operator<<(const T& x) & {
    put(x);
    return *this;
  }
  template <class T>
  row&& operator<<(const T& x) && {
    put(x);
    return std::move(*this);
  }
  /// A double with three decimals (printf's %.3f).
  row& fixed3(double x) & {
    put_fixed3(x);
    return *this;
  }
  row&& fixed3(double x) && {
    put_fixed3(x);
    return std::move(*this);
  }
  operator std::string() && {
    return std::move(text_);
  }

private:
  void put(int64_t x) {
    sep();
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
    text_.append(buf, end);
  }
  void put(std::string_view x) {
    sep();
    text_ += x;
  }
  void put_fixed3(double x) {
    sep();
    char buf[400]; // the longest double in fixed notation, with 3 decimals
    // Exactly printf's "%.3f" (the standard says so), several times faster.
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::fixed, 3);
    text_.append(buf, end);
  }
  void sep() {
    if (!first_)
      text_ += '\t';
    first_ = false;
  }
  std::string text_;
  bool first_ = true;
};

/// Nexmark's currency conversion: dollars to euros.
inline double to_eur(int64_t price) {
  return 0.908 * static_cast<double>(price);
}

constexpr int64_t day_ms = 86'400'000;

/// The UTC day of `ms` (epoch ms) as days since the epoch.
inline int64_t day_of(int64_t ms) {
  return eddy::window_start(ms, day_ms) / day_ms;
}

/// Day `d` (days since the epoch) as YYYY-MM-DD.
inline std::string date_text(int64_t d) {
  std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{d}}};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

/// A changelog row: "+\t<row>" or "-\t<row>".
inline std::string change(bool insert, const std::string& r) {
  std::string out = insert ? "+\t" : "-\t";
  out += r;
  return out;
}

} // namespace nexmark::rows
