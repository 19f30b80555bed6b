#pragma once

#include <atomic>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace eddy::actors::metrics {

/// Label names and values of one series, in the order they are written.
using labels = std::vector<std::pair<std::string, std::string>>;

/// A count that only goes up (Prometheus counter). Thread-safe: a relaxed
/// atomic, cheap enough to add to once per batch from any actor.
class counter {
public:
  void add(double v = 1) noexcept {
    value_.fetch_add(v, std::memory_order_relaxed);
  }
  double value() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

private:
  std::atomic<double> value_{0};
};

/// A value that goes up and down (Prometheus gauge). Thread-safe. Until it
/// is first set it has no value and the exposition leaves it out: no
/// number is shown that nothing measured.
class gauge {
public:
  void set(double v) noexcept {
    value_.store(v, std::memory_order_relaxed);
  }
  void add(double v) noexcept {
    double now = value_.load(std::memory_order_relaxed);
    while (!value_.compare_exchange_weak(now, (std::isnan(now) ? 0 : now) + v,
                                         std::memory_order_relaxed)) {
    }
  }
  /// NaN while unset.
  double value() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

private:
  std::atomic<double> value_{std::nan("")};
};

/// Observations counted in fixed buckets (Prometheus histogram): bucket i
/// counts values <= bounds[i]; the last, implicit one (+Inf) the rest.
/// Thread-safe: relaxed atomics.
class histogram {
public:
  /// `bounds` ascending.
  explicit histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1) {
  }
  void observe(double v) noexcept {
    size_t i = 0;
    while (i < bounds_.size() && v > bounds_[i])
      ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(v, std::memory_order_relaxed);
  }
  const std::vector<double>& bounds() const noexcept {
    return bounds_;
  }
  /// Observations in bucket `i` alone (not cumulative); i == bounds().size() is +Inf.
  uint64_t in_bucket(size_t i) const noexcept {
    return counts_[i].load(std::memory_order_relaxed);
  }
  double sum() const noexcept {
    return sum_.load(std::memory_order_relaxed);
  }

private:
  std::vector<double> bounds_;
  std::vector<std::atomic<uint64_t>> counts_;
  std::atomic<double> sum_{0};
};

/// A gauge computed when scraped (a watermark's lag behind the wall
/// clock); nullopt leaves the series out of that scrape.
using gauge_fn = std::function<std::optional<double>()>;

enum class kind { counter, gauge, histogram };

/// One metric name with its help text and every series of it by labels.
struct family {
  kind type = kind::counter;
  std::string help;
  std::vector<double> bounds; ///< histograms: the buckets every series has
  std::map<labels, std::unique_ptr<counter>> counters;
  std::map<labels, std::unique_ptr<gauge>> gauges;
  std::map<labels, gauge_fn> gauge_fns;
  std::map<labels, std::unique_ptr<histogram>> histograms;
};

/// The metrics of a process by name, and the labels every series carries
/// (job, node). Series are created on first use and live as long as the
/// registry, so an actor looks its series up once and keeps the reference.
/// Thread-safe: creation and collection take a mutex; adding to a series
/// does not.
class registry {
public:
  counter& counter_of(const std::string& name, const std::string& help, const labels& l = {});
  gauge& gauge_of(const std::string& name, const std::string& help, const labels& l = {});
  /// Sets (or replaces) the computed gauge `name{l}`.
  void gauge_fn_of(const std::string& name, const std::string& help, const labels& l, gauge_fn fn);
  /// `bounds` are the family's: the first call for `name` fixes them.
  histogram& histogram_of(const std::string& name, const std::string& help,
                          const std::vector<double>& bounds, const labels& l = {});

  /// Sets label `name` (job, node) on every series, before the series' own labels.
  void constant_label(const std::string& name, const std::string& value);

  /// Calls `fn(name, family, constant labels)` for every family in name
  /// order, holding the registry's lock (exposition.hpp).
  void collect(const std::function<void(const std::string&, const family&, const labels&)>& fn) const;

private:
  family& family_of(const std::string& name, const std::string& help, kind k);

  mutable std::mutex mutex_;
  std::map<std::string, family> families_;
  labels constant_;
};

/// The registry of this process: what its `/metrics` serves.
registry& process_registry();

} // namespace eddy::actors::metrics
