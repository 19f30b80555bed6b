#pragma once

#include <concepts>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "eddy/error.hpp"
#include "eddy/sink.hpp"

namespace eddy::connectors::file {

namespace detail {

/// An append-only text file with a committed length: the I/O behind lines_out().
///
/// open(committed) truncates the file to the committed length (creating or
/// emptying it when nothing was committed), append() buffers bytes in memory
/// and writes them with write(2) once the buffer is large, commit() writes the
/// rest, calls fdatasync(2) and returns the new length as decimal text.
/// Owned by one thread; not thread-safe. Movable, not copyable.
class line_file {
public:
  explicit line_file(std::filesystem::path file);
  line_file(line_file&& other) noexcept;
  line_file& operator=(line_file&& other) noexcept;
  line_file(const line_file&) = delete;
  line_file& operator=(const line_file&) = delete;
  ~line_file();

  /// "file:<path>".
  std::string name() const;

  /// Fails with errc::invalid_argument unless the file's directory exists and
  /// is writable and the file, if present, is a writable regular file.
  [[nodiscard]] error check() const;

  /// Opens the file and truncates it to `committed` bytes (decimal text); an
  /// empty `committed` means a fresh job: the file is created or emptied.
  [[nodiscard]] error open(std::string_view committed);

  /// Appends `bytes`; they become durable with the next commit().
  [[nodiscard]] error append(std::string_view bytes);

  /// Appends `line` and a '\n'.
  [[nodiscard]] error append_line(std::string_view line);

  /// Writes everything appended, syncs it and returns the file length.
  [[nodiscard]] expected<std::string> commit();

private:
  [[nodiscard]] error flush();
  void close() noexcept;

  std::filesystem::path file_;
  int fd_ = -1;
  uint64_t written_ = 0;    ///< bytes in the file, excluding buffer_
  std::string buffer_;      ///< appended but not yet written
  bool sync_dir_ = false;   ///< the file may be new: sync its directory entry on commit
  bool broken_ = false;     ///< a write or sync failed: refuse everything until open()
};

/// The single parameter type of a callable with exactly one, without cv-ref;
/// no `type` for anything else (SFINAE-friendly).
template <class F>
struct single_parameter {};

template <class F>
  requires requires { &F::operator(); }
struct single_parameter<F> : single_parameter<decltype(&F::operator())> {};

template <class R, class A>
struct single_parameter<R (*)(A)> {
  using type = std::remove_cvref_t<A>;
};

template <class R, class A>
struct single_parameter<R (*)(A) noexcept> : single_parameter<R (*)(A)> {};

template <class R, class A>
struct single_parameter<R(A)> : single_parameter<R (*)(A)> {};

template <class R, class A>
struct single_parameter<R(A) noexcept> : single_parameter<R (*)(A)> {};

template <class C, class R, class A>
struct single_parameter<R (C::*)(A)> : single_parameter<R (*)(A)> {};

template <class C, class R, class A>
struct single_parameter<R (C::*)(A) const> : single_parameter<R (*)(A)> {};

template <class C, class R, class A>
struct single_parameter<R (C::*)(A) noexcept> : single_parameter<R (*)(A)> {};

template <class C, class R, class A>
struct single_parameter<R (C::*)(A) const noexcept> : single_parameter<R (*)(A)> {};

/// Callables whose parameter type single_parameter can name: function
/// pointers and non-generic lambdas or function objects with one operator().
template <class F>
concept has_single_parameter = requires { typename single_parameter<F>::type; };

/// A `format` for values of type `T`: returns something a string_view can view.
template <class F, class T>
concept line_format = std::invocable<F&, const T&>
                      && std::convertible_to<std::invoke_result_t<F&, const T&>, std::string_view>;

/// A line_format for the type of its single parameter.
template <class F>
concept deducible_line_format
  = has_single_parameter<F> && line_format<F, typename single_parameter<F>::type>;

/// The sink behind lines_out(): formats each value and appends it as a line.
template <class T, class F>
class line_sink final : public sink<T> {
public:
  line_sink(std::filesystem::path file, F format)
    : file_(std::move(file)), format_(std::move(format)) {
  }

  std::string name() const override {
    return file_.name();
  }

  error check() const override {
    return file_.check();
  }

  error open(std::string_view committed) override {
    return file_.open(committed);
  }

  error write(const T& value) override {
    // decltype(auto) keeps a returned std::string alive until append_line() copied it.
    decltype(auto) text = std::invoke(format_, value);
    return file_.append_line(std::string_view{text});
  }

  expected<std::string> commit() override {
    return file_.commit();
  }

private:
  line_file file_;
  F format_;
};

} // namespace detail

/// Returns an exactly-once sink that appends `format(value)` and a '\n' to
/// `file` for each value of type `T`.
///
/// `format` takes a `const T&` (or a `T`) and returns a std::string or
/// anything convertible to std::string_view. The position that commit()
/// returns is the file's length in bytes as decimal text; everything before it
/// has been written and synced with fdatasync(2).
///
/// Crash contract: open(committed) truncates the file to `committed` bytes,
/// discarding lines a crashed incarnation wrote after its last commit that the
/// runtime did not record; open("") starts a fresh job and empties the file,
/// creating it if missing. open() fails with errc::corrupt if the file is
/// missing or shorter than a non-empty `committed`.
///
/// check() fails with errc::invalid_argument unless the file's directory
/// exists and is writable and the file, if present, is a writable regular
/// file. Owned by one thread; not thread-safe.
template <class T, class F>
  requires detail::line_format<F, T>
std::unique_ptr<eddy::sink<T>> lines_out(std::filesystem::path file, F format) {
  return std::make_unique<detail::line_sink<T, F>>(std::move(file), std::move(format));
}

/// Like lines_out<T>() with `T` deduced from the single parameter of `format`,
/// which must be a function (pointer) or a non-generic lambda.
template <class F>
  requires detail::deducible_line_format<std::decay_t<F>>
auto lines_out(std::filesystem::path file, F format) {
  using value_type = typename detail::single_parameter<std::decay_t<F>>::type;
  return lines_out<value_type, F>(std::move(file), std::move(format));
}

} // namespace eddy::connectors::file
