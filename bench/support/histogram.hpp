#pragma once

// A log-linear histogram of non-negative integers (HdrHistogram's bucket
// layout, reduced to what the benchmarks need): exact below 256, above that
// 128 linear sub-buckets per power of two, so a reported value is within
// 1/128 (0.8%) of every value it stands for. Fixed memory (about 60 KiB),
// O(1) record.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace eddy::bench {

/// Counts values in log-linear buckets and answers percentiles.
/// A plain value owned by one thread; not thread-safe.
class log_linear_histogram {
public:
  static constexpr int sub_bits = 7; ///< 2^7 = 128 sub-buckets per power of two
  static constexpr uint64_t exact_below = uint64_t{2} << sub_bits; // 256

  /// Counts `value` once.
  void record(uint64_t value) {
    ++counts_[index_of(value)];
    ++count_;
    if (count_ == 1 || value < min_)
      min_ = value;
    if (value > max_)
      max_ = value;
  }

  uint64_t count() const {
    return count_;
  }
  uint64_t min() const {
    return count_ ? min_ : 0;
  }
  /// The largest value recorded, exactly.
  uint64_t max() const {
    return max_;
  }

  /// The smallest value v such that at least fraction `q` (0 … 1) of the
  /// recorded values are ≤ v, to within the bucket precision (the bucket's
  /// midpoint, capped by the exact max); 0 when empty.
  uint64_t percentile(double q) const {
    if (count_ == 0)
      return 0;
    auto rank = static_cast<uint64_t>(q * static_cast<double>(count_) + 0.999999);
    if (rank < 1)
      rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) {
        auto [low, width] = bucket_of(i);
        auto mid = low + width / 2;
        return mid > max_ ? max_ : (mid < min_ ? min_ : mid);
      }
    }
    return max_;
  }

  /// Adds the counts of `other`.
  void merge(const log_linear_histogram& other) {
    for (size_t i = 0; i < counts_.size(); ++i)
      counts_[i] += other.counts_[i];
    if (other.count_ && (count_ == 0 || other.min_ < min_))
      min_ = other.min_;
    if (other.max_ > max_)
      max_ = other.max_;
    count_ += other.count_;
  }

  /// The bucket a value falls in: values below 256 have their own; a value
  /// with highest bit k ≥ 8 falls in one of 128 buckets of width 2^(k-7).
  static size_t index_of(uint64_t value) {
    if (value < exact_below)
      return static_cast<size_t>(value);
    int k = std::bit_width(value) - 1; // ≥ 8
    int shift = k - sub_bits;
    return static_cast<size_t>(exact_below + (k - (sub_bits + 1)) * (uint64_t{1} << sub_bits)
                               + ((value >> shift) - (uint64_t{1} << sub_bits)));
  }

  /// The lowest value of bucket `i` and its width.
  static std::pair<uint64_t, uint64_t> bucket_of(size_t i) {
    if (i < exact_below)
      return {i, 1};
    auto j = i - exact_below;
    int k = static_cast<int>(j >> sub_bits) + sub_bits + 1;
    int shift = k - sub_bits;
    auto sub = (j & ((uint64_t{1} << sub_bits) - 1)) + (uint64_t{1} << sub_bits);
    return {sub << shift, uint64_t{1} << shift};
  }

private:
  static constexpr size_t buckets = exact_below + (64 - (sub_bits + 1)) * (size_t{1} << sub_bits);

  std::array<uint64_t, buckets> counts_{};
  uint64_t count_ = 0;
  uint64_t min_ = 0;
  uint64_t max_ = 0;
};

} // namespace eddy::bench
