#pragma once

// The reader of one file's lines (or of the lines starting in one byte
// range of it), over pread(2); lines() and lines_follow() build on it.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include "eddy/source.hpp"

namespace eddy::connectors::file::detail {

/// How much one pread(2) asks for; a line longer than half of it grows the buffer.
inline constexpr size_t block_size = size_t{1} << 20;

inline std::string quoted(const std::filesystem::path& path) {
  return "'" + path.string() + "'";
}

inline std::string errno_text(int err) {
  return std::error_code{err, std::generic_category()}.message();
}

/// Strips the `\r` of a CRLF line ending from `line`, which excludes the `\n`.
inline std::string_view without_cr(const char* first, size_t size) {
  if (size > 0 && first[size - 1] == '\r')
    --size;
  return {first, size};
}

inline constexpr uint64_t to_end = std::numeric_limits<uint64_t>::max();

inline bool parse_u64(std::string_view text, uint64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size() && !text.empty();
}

/// Reads the lines of one file that start in the byte range [first, limit):
/// a whole file (0, to_end), or one split. A read buffer over pread(2).
///
/// The buffer holds file bytes [offset_ - begin_, read_offset_): bytes before
/// begin_ were delivered (or skipped), bytes in [begin_, end_) are not yet.
/// Invariant: offset_ (the position) is the file offset of buf_[begin_].
/// A range that starts inside a line first skips to the next line start:
/// that line belongs to the range where it starts (skip_ until then).
class line_reader final : public source<std::string_view> {
public:
  /// `follow`: the file grows (lines_follow()): at its end the reader
  /// waits for more, delivers only lines with their '\n' and never
  /// finishes, until complete() says the file will not grow.
  line_reader(std::filesystem::path file, uint64_t first, uint64_t limit, bool follow = false)
    : file_(std::move(file)), first_(first), limit_(limit), follow_(follow) {
  }

  /// The followed file will not grow any more: its last line goes out
  /// even without a '\n', and the reader finishes at its end.
  void complete() noexcept {
    follow_ = false;
    eof_ = false; // read what came since the last look
  }

  line_reader(const line_reader&) = delete;
  line_reader& operator=(const line_reader&) = delete;

  ~line_reader() override {
    close();
  }

  std::string name() const override {
    auto n = "file:" + file_.string();
    if (first_ != 0 || limit_ != to_end)
      n += "[" + std::to_string(first_) + "," + std::to_string(limit_) + ")";
    return n;
  }

  error check() const override {
    struct stat st {};
    if (::stat(file_.c_str(), &st) != 0) {
      auto err = errno;
      if (err == ENOENT || err == ENOTDIR)
        return {errc::invalid_argument, "input file " + quoted(file_) + " does not exist"};
      return {errc::invalid_argument,
              "input file " + quoted(file_) + " cannot be accessed: " + errno_text(err)};
    }
    if (!S_ISREG(st.st_mode))
      return {errc::invalid_argument, "input file " + quoted(file_) + " is not a regular file"};
    if (::faccessat(AT_FDCWD, file_.c_str(), R_OK, AT_EACCESS) != 0)
      return {errc::invalid_argument, "input file " + quoted(file_) + " is not readable"};
    return {};
  }

  error open(std::string_view position) override {
    close();
    begin_ = end_ = scan_ = 0;
    offset_ = read_offset_ = 0;
    eof_ = false;
    skip_ = false;
    fd_ = ::open(file_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0)
      return {errc::io, "cannot open input file " + quoted(file_) + ": " + errno_text(errno)};
    uint64_t start = 0;
    if (auto err = start_of(position, start)) {
      close(); // read() fails until a successful open()
      return err;
    }
    if (!buf_) {
      capacity_ = block_size;
      buf_ = std::make_unique_for_overwrite<char[]>(capacity_);
    }
    offset_ = read_offset_ = start;
    return {};
  }

  /// The range's first line start is not known until the bytes up to the
  /// next '\n' have been read: skips them (they belong to the range before).
  error skip_partial_line() {
    while (skip_) {
      auto* data = buf_.get();
      auto* nl = static_cast<const char*>(std::memchr(data + begin_, '\n', end_ - begin_));
      auto size = nl != nullptr ? static_cast<size_t>(nl - (data + begin_)) + 1 : end_ - begin_;
      // Dropped as they go, so a long partial line does not grow the buffer.
      begin_ += size;
      scan_ = begin_;
      offset_ += size;
      if (nl != nullptr || eof_) {
        skip_ = false;
        break;
      }
      if (auto err = fill())
        return err;
    }
    return {};
  }

  expected<size_t> read(size_t max, const std::function<void(const std::string_view&)>& fn) override {
    if (fd_ < 0)
      return error{errc::invalid_argument, name() + ": read() called before open()"};
    if (follow_)
      eof_ = false; // it may have grown since
    if (auto err = skip_partial_line())
      return err;
    size_t delivered = 0;
    while (delivered < max && offset_ < limit_) {
      const char* data = buf_.get();
      auto* nl = static_cast<const char*>(std::memchr(data + scan_, '\n', end_ - scan_));
      if (nl != nullptr) {
        auto size = static_cast<size_t>(nl - (data + begin_));
        fn(without_cr(data + begin_, size));
        // Advance only after fn returned: if it throws, the line is not delivered.
        begin_ += size + 1;
        scan_ = begin_;
        offset_ += size + 1;
        ++delivered;
        continue;
      }
      scan_ = end_;
      if (!eof_) {
        if (auto err = fill())
          return err;
        continue;
      }
      if (begin_ < end_ && !follow_) { // the last line has no '\n'
        auto size = end_ - begin_;
        fn(without_cr(data + begin_, size));
        begin_ = scan_ = end_;
        offset_ += size;
        ++delivered;
      }
      break;
    }
    return delivered;
  }

  bool finished() const override {
    return !follow_ && (offset_ >= limit_ || (eof_ && begin_ == end_ && !skip_));
  }

  std::string position() const override {
    return std::to_string(offset_);
  }

private:
  /// Checks that the open file is regular and `position` one of its line
  /// boundaries in the range, and sets `start` to it and skip_ to whether
  /// a partial line comes first.
  error start_of(std::string_view position, uint64_t& start) {
    struct stat st {};
    if (::fstat(fd_, &st) != 0)
      return {errc::io, "cannot stat input file " + quoted(file_) + ": " + errno_text(errno)};
    if (!S_ISREG(st.st_mode))
      return {errc::invalid_argument, "input file " + quoted(file_) + " is not a regular file"};
    auto size = static_cast<uint64_t>(st.st_size);
    if (first_ > size)
      return {errc::corrupt, "split " + name() + " begins beyond the end of input file "
                               + quoted(file_) + " (" + std::to_string(size) + " bytes)"};
    start = first_;
    if (!position.empty() && !parse_u64(position, start))
      return {errc::corrupt, "position '" + std::string{position} + "' of input file "
                               + quoted(file_) + " is not a number"};
    if (start > size)
      return {errc::corrupt, "position " + std::string{position}
                               + " is beyond the end of input file " + quoted(file_) + " ("
                               + std::to_string(size) + " bytes)"};
    if (start < first_)
      return {errc::corrupt, "position " + std::string{position} + " lies before split "
                               + name()};
    // position() only ever stands just after a '\n', at the end of the file
    // or (before the first line) at the range's start; anything else means
    // the file changed since it was stored.
    bool at_line_start = true;
    if (start > 0 && start < size) {
      char before = 0;
      ssize_t n;
      do {
        n = ::pread(fd_, &before, 1, static_cast<off_t>(start - 1));
      } while (n < 0 && errno == EINTR);
      if (n < 0)
        return {errc::io, "cannot read input file " + quoted(file_) + ": " + errno_text(errno)};
      at_line_start = n == 1 && before == '\n';
    }
    skip_ = !at_line_start && start == first_;
    if (!at_line_start && !skip_)
      return {errc::corrupt, "position " + std::string{position} + " of input file "
                               + quoted(file_) + " is not at the start of a line"};
    return {};
  }

  /// Moves the undelivered bytes to the front, growing the buffer if they fill
  /// more than half of it, and reads the next block behind them.
  error fill() {
    auto pending = end_ - begin_;
    if (pending > capacity_ / 2) {
      auto bigger = std::make_unique_for_overwrite<char[]>(capacity_ * 2);
      std::memcpy(bigger.get(), buf_.get() + begin_, pending);
      buf_ = std::move(bigger);
      capacity_ *= 2;
    } else if (begin_ > 0) {
      std::memmove(buf_.get(), buf_.get() + begin_, pending);
    }
    scan_ -= begin_;
    begin_ = 0;
    end_ = pending;
    ssize_t n;
    do {
      n = ::pread(fd_, buf_.get() + end_, capacity_ - end_, static_cast<off_t>(read_offset_));
    } while (n < 0 && errno == EINTR);
    if (n < 0)
      return {errc::io, "cannot read input file " + quoted(file_) + ": " + errno_text(errno)};
    if (n == 0)
      eof_ = true;
    end_ += static_cast<size_t>(n);
    read_offset_ += static_cast<uint64_t>(n);
    return {};
  }

  void close() {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = -1;
  }

  std::filesystem::path file_;
  uint64_t first_;           ///< the range: lines starting in [first_, limit_)
  uint64_t limit_;
  bool follow_ = false;
  bool skip_ = false;        ///< first_ is inside a line: skip to the next one
  int fd_ = -1;
  std::unique_ptr<char[]> buf_;
  size_t capacity_ = 0;
  size_t begin_ = 0;         ///< first undelivered byte in buf_
  size_t scan_ = 0;          ///< where to look for the next '\n'; in [begin_, end_]
  size_t end_ = 0;           ///< end of the bytes read into buf_
  uint64_t offset_ = 0;      ///< file offset of buf_[begin_]: the position
  uint64_t read_offset_ = 0; ///< file offset of buf_[end_]
  bool eof_ = false;         ///< a pread(2) returned 0
};

} // namespace eddy::connectors::file::detail
