#pragma once

// In-memory connectors, for tests and benchmarks (Flink's fromElements and
// collect sink): a replayable source over a vector (position = index) and an
// exactly-once sink into a vector (position = committed size; open()
// truncates the rest, like the file sink). A sink that only counts, and a
// transactional sink that keeps its data and marks together, too.

#include <unistd.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eddy/sink.hpp"
#include "eddy/source.hpp"

namespace eddy::connectors::memory {

template <class T>
class vector_source final : public source<T> {
public:
  explicit vector_source(std::vector<T> values) : values_(std::move(values)) {
  }
  std::string name() const override {
    return "vector";
  }
  error open(std::string_view position) override {
    next_ = position.empty() ? 0 : std::stoull(std::string{position});
    return {};
  }
  expected<size_t> read(size_t max, const std::function<void(const T&)>& fn) override {
    size_t n = 0;
    for (; n < max && next_ < values_.size(); ++n)
      fn(values_[next_++]);
    return n;
  }
  bool finished() const override {
    return next_ >= values_.size();
  }
  std::string position() const override {
    return std::to_string(next_);
  }

private:
  std::vector<T> values_;
  size_t next_ = 0;
};

/// Values `make(0)`, `make(1)`, … `make(count - 1)`, made as they are read
/// (position = the next index): a source that needs no memory for its input.
template <class T>
class generator_source final : public source<T> {
public:
  generator_source(uint64_t count, std::function<T(uint64_t)> make)
    : count_(count), make_(std::move(make)) {
  }
  std::string name() const override {
    return "generator";
  }
  error open(std::string_view position) override {
    next_ = position.empty() ? 0 : std::stoull(std::string{position});
    return {};
  }
  expected<size_t> read(size_t max, const std::function<void(const T&)>& fn) override {
    size_t n = 0;
    for (; n < max && next_ < count_; ++n)
      fn(make_(next_++));
    return n;
  }
  bool finished() const override {
    return next_ >= count_;
  }
  std::string position() const override {
    return std::to_string(next_);
  }

private:
  uint64_t count_;
  std::function<T(uint64_t)> make_;
  uint64_t next_ = 0;
};

template <class T>
class vector_sink final : public sink<T> {
public:
  explicit vector_sink(std::shared_ptr<std::vector<T>> out) : out_(std::move(out)) {
  }
  std::string name() const override {
    return "vector";
  }
  expected<std::optional<sink_marks>> open(std::string_view committed) override {
    out_->resize(committed.empty() ? 0 : std::stoull(std::string{committed}));
    return std::optional<sink_marks>{};
  }
  error write(const T& x) override {
    out_->push_back(x);
    return {};
  }
  expected<std::string> commit(const sink_marks&) override {
    return std::to_string(out_->size());
  }

private:
  std::shared_ptr<std::vector<T>> out_;
};

template <class T>
std::unique_ptr<source<T>> from_vector(std::vector<T> values) {
  return std::make_unique<vector_source<T>>(std::move(values));
}

template <class F>
auto generate(uint64_t count, F make) {
  using T = std::decay_t<std::invoke_result_t<F&, uint64_t>>;
  return std::unique_ptr<source<T>>(new generator_source<T>(count, std::move(make)));
}

template <class T>
std::unique_ptr<sink<T>> to_vector(std::shared_ptr<std::vector<T>> out) {
  return std::make_unique<vector_sink<T>>(std::move(out));
}

/// A sink that keeps only the number of values it committed.
template <class T>
class counting_sink final : public sink<T> {
public:
  explicit counting_sink(std::shared_ptr<uint64_t> committed) : committed_(std::move(committed)) {
  }
  std::string name() const override {
    return "count";
  }
  expected<std::optional<sink_marks>> open(std::string_view committed) override {
    written_ = committed.empty() ? 0 : std::stoull(std::string{committed});
    return std::optional<sink_marks>{};
  }
  error write(const T&) override {
    ++written_;
    return {};
  }
  expected<std::string> commit(const sink_marks&) override {
    *committed_ = written_;
    return std::to_string(written_);
  }

private:
  std::shared_ptr<uint64_t> committed_;
  uint64_t written_ = 0;
};

template <class T>
std::unique_ptr<sink<T>> count_into(std::shared_ptr<uint64_t> committed) {
  return std::make_unique<counting_sink<T>>(std::move(committed));
}

/// What a transactional_sink has committed: the data and the marks of its
/// last transaction, replaced together by each commit. Plays the target
/// database; shared between the job that writes it and the test that reads
/// it after the run (no locking: read it only when no job runs).
template <class T>
struct transactional_store {
  std::vector<T> rows;     ///< committed values, in commit order
  sink_marks marks;        ///< stored by the last commit, with `rows`
  uint64_t commits = 0;    ///< transactions committed
  /// A test hook: commit number `fail_after_commit` (1-based) stores its
  /// transaction and then reports an error, as if the process died between
  /// the target's commit and the runtime's journal write. 0: never.
  uint64_t fail_after_commit = 0;
};

/// A sink that keeps its marks in its target (eddy::sink's "marks in the
/// target" contract), as a PostgreSQL or SQLite sink would: write() stages
/// values in a pending transaction; commit(marks) appends them to the
/// store's rows and replaces its marks in one step; open() drops the pending
/// transaction and returns the stored marks. Its position is the number of
/// commits, for logs only: open() does not need it. One instance; owned by
/// one thread.
template <class T>
class transactional_sink final : public sink<T> {
public:
  explicit transactional_sink(std::shared_ptr<transactional_store<T>> store)
    : store_(std::move(store)) {
  }
  std::string name() const override {
    return "transactional memory";
  }
  expected<std::optional<sink_marks>> open(std::string_view) override {
    pending_.clear(); // an uncommitted transaction dies with its connection
    return std::optional<sink_marks>{store_->marks};
  }
  error write(const T& x) override {
    pending_.push_back(x);
    return {};
  }
  expected<std::string> commit(const sink_marks& marks) override {
    store_->rows.insert(store_->rows.end(), pending_.begin(), pending_.end());
    store_->marks = marks;
    pending_.clear();
    if (++store_->commits == store_->fail_after_commit)
      return error{errc::io, "transactional memory sink: injected failure after commit "
                               + std::to_string(store_->commits)};
    return std::to_string(store_->commits);
  }

private:
  std::shared_ptr<transactional_store<T>> store_;
  std::vector<T> pending_; ///< the open transaction
};

template <class T>
std::unique_ptr<sink<T>> transactional(std::shared_ptr<transactional_store<T>> store) {
  return std::make_unique<transactional_sink<T>>(std::move(store));
}

} // namespace eddy::connectors::memory
