#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace eddy {

/// What went wrong, coarsely; the message says the rest.
enum class errc : uint8_t {
  none = 0,
  invalid_argument,  ///< a flag, option or input the user gave is wrong
  io,                ///< the operating system or SQLite failed an operation
  corrupt,           ///< stored data does not decode or is not Eddy's
  fenced,            ///< a write came from an older incarnation of a partition
  conflict,          ///< a write repeated or skipped a sequence number
  user_failure,      ///< user code threw
  unavailable,       ///< a peer or resource is gone
};

/// Returns a short lowercase name of `code`, such as "io".
const char* to_string(errc code) noexcept;

/// An error code with a message that names the input, file or actor involved.
/// A default-constructed error means success. Cheap to move; a value type.
class [[nodiscard]] error {
public:
  error() = default;
  error(errc code, std::string message) : code_(code), message_(std::move(message)) {
  }

  explicit operator bool() const noexcept {
    return code_ != errc::none;
  }
  errc code() const noexcept {
    return code_;
  }
  const std::string& message() const noexcept {
    return message_;
  }

private:
  errc code_ = errc::none;
  std::string message_;
};

/// Either a value or an error; the framework's return type for fallible calls.
template <class T>
class [[nodiscard]] expected {
public:
  expected(T value) : data_(std::move(value)) {
  }
  expected(eddy::error err) : data_(std::move(err)) {
  }

  explicit operator bool() const noexcept {
    return data_.index() == 0;
  }
  T& value() & {
    return std::get<0>(data_);
  }
  const T& value() const& {
    return std::get<0>(data_);
  }
  T&& value() && {
    return std::get<0>(std::move(data_));
  }
  T& operator*() & {
    return value();
  }
  const T& operator*() const& {
    return value();
  }
  T&& operator*() && {
    return std::move(*this).value();
  }
  T* operator->() {
    return &value();
  }
  const T* operator->() const {
    return &value();
  }
  const eddy::error& error() const& {
    return std::get<1>(data_);
  }

private:
  std::variant<T, eddy::error> data_;
};

} // namespace eddy
