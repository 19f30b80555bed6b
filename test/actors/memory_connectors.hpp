#pragma once

// In-memory connectors for runtime tests: a replayable source over a vector
// (position = index) and an exactly-once sink into a vector (position =
// committed size; open() truncates the rest, like the file sink).

#include <memory>
#include <string>
#include <vector>

#include "eddy/sink.hpp"
#include "eddy/source.hpp"

namespace eddy::test {

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

template <class T>
class vector_sink final : public sink<T> {
public:
  explicit vector_sink(std::shared_ptr<std::vector<T>> out) : out_(std::move(out)) {
  }
  std::string name() const override {
    return "vector";
  }
  error open(std::string_view committed) override {
    out_->resize(committed.empty() ? 0 : std::stoull(std::string{committed}));
    return {};
  }
  error write(const T& x) override {
    out_->push_back(x);
    return {};
  }
  expected<std::string> commit() override {
    return std::to_string(out_->size());
  }

private:
  std::shared_ptr<std::vector<T>> out_;
};

template <class T>
std::unique_ptr<source<T>> from_vector(std::vector<T> values) {
  return std::make_unique<vector_source<T>>(std::move(values));
}

template <class T>
std::unique_ptr<sink<T>> to_vector(std::shared_ptr<std::vector<T>> out) {
  return std::make_unique<vector_sink<T>>(std::move(out));
}

/// A fresh temporary directory, removed when the object goes.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    path = std::filesystem::temp_directory_path()
           / ("eddy-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::remove_all(path);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  static int& counter() {
    static int n = 0;
    return n;
  }
};

} // namespace eddy::test
