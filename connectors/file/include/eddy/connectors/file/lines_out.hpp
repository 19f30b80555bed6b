#pragma once

#include <concepts>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
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

/// The name of part file `index` of a part-file sink in `directory`:
/// "part-00000", "part-00001", ... (five digits or more).
std::filesystem::path part_file(const std::filesystem::path& directory, uint32_t index);

/// The sink behind lines_out(): formats each value and appends it as a line
/// to one file, or (`parts`) is the prototype of a part-file sink whose
/// instance i writes part_file(directory, i); used directly it is instance 0.
template <class T, class F>
class line_sink final : public sink<T> {
public:
  line_sink(std::filesystem::path file, F format, std::optional<std::filesystem::path> parts = {})
    : file_(std::move(file)), format_(std::move(format)), parts_(std::move(parts)) {
  }

  std::string name() const override {
    return parts_ ? "parts:" + parts_->string() : file_.name();
  }

  error check() const override {
    return file_.check();
  }

  uint32_t max_instances() const override {
    return parts_ ? std::numeric_limits<uint32_t>::max() : 1;
  }

  expected<std::unique_ptr<sink<T>>> instance(uint32_t index, uint32_t count) const override {
    if (!parts_)
      return sink<T>::instance(index, count);
    if (index >= count)
      return error{errc::invalid_argument, name() + " has no instance " + std::to_string(index)
                                             + " of " + std::to_string(count)};
    return std::unique_ptr<sink<T>>{
      std::make_unique<line_sink>(part_file(*parts_, index), format_)};
  }

  expected<std::optional<sink_marks>> open(std::string_view committed) override {
    if (auto err = file_.open(committed))
      return err;
    return std::optional<sink_marks>{}; // the runtime's journal keeps the marks
  }

  error write(const T& value) override {
    // decltype(auto) keeps a returned std::string alive until append_line() copied it.
    decltype(auto) text = std::invoke(format_, value);
    return file_.append_line(std::string_view{text});
  }

  expected<std::string> commit(const sink_marks&) override {
    return file_.commit();
  }

private:
  line_file file_;
  F format_;
  std::optional<std::filesystem::path> parts_; ///< the directory, for a part-file prototype
};

} // namespace detail

/// Returns an exactly-once sink that appends `format(value)` and a '\n' to
/// `file` for each value of type `T`. It runs as one instance.
///
/// `format` takes a `const T&` (or a `T`) and returns a std::string or
/// anything convertible to std::string_view. The position that commit()
/// returns is the file's length in bytes as decimal text; everything before it
/// has been written and synced with fdatasync(2). The sink keeps no marks:
/// open() returns std::nullopt and the runtime's journal holds them with the
/// position (eddy::sink's "marks in the journal").
///
/// What a reader of the file sees: lines are written whenever the 1 MiB
/// buffer fills, so before a commit the file may end in an uncommitted tail,
/// and even a committed tail the runtime has not yet journaled. A crash
/// truncates both on recovery and the restarted job writes them again (the
/// same lines, if the job is deterministic). Only the length of the last
/// journaled commit is final; read the file after the job ended, or only up
/// to a length you know was committed.
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

/// Where a part-file sink writes: one file per sink instance in `directory`
/// (Flink's FileSink with part files).
struct part_files {
  std::filesystem::path directory;
};

/// Returns an exactly-once sink that runs as any number of instances;
/// instance i of n appends its values' lines to `parts.directory/part-0000i`
/// (detail::part_file), each part exactly like lines_out(file, format): its
/// own committed length, truncated to it on open(). The directory must
/// exist. The number of instances must stay the same across restarts of a
/// job (the runtime keeps the count of the first start); parts of instances that no longer run are left as they are. Used
/// directly (not through instance()), the sink is instance 0 of 1.
template <class T, class F>
  requires detail::line_format<F, T>
std::unique_ptr<eddy::sink<T>> lines_out(part_files parts, F format) {
  auto first = detail::part_file(parts.directory, 0);
  return std::make_unique<detail::line_sink<T, F>>(std::move(first), std::move(format),
                                                   std::move(parts.directory));
}

/// lines_out<T>(part_files, format) with `T` deduced from `format`.
template <class F>
  requires detail::deducible_line_format<std::decay_t<F>>
auto lines_out(part_files parts, F format) {
  using value_type = typename detail::single_parameter<std::decay_t<F>>::type;
  return lines_out<value_type, F>(std::move(parts), std::move(format));
}

} // namespace eddy::connectors::file
