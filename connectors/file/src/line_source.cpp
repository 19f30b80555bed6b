#include "eddy/connectors/file/lines.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <system_error>
#include <utility>

namespace eddy::connectors::file {

namespace {

/// How much one pread(2) asks for; a line longer than half of it grows the buffer.
constexpr size_t block_size = size_t{1} << 20;

std::string quoted(const std::filesystem::path& path) {
  return "'" + path.string() + "'";
}

std::string errno_text(int err) {
  return std::error_code{err, std::generic_category()}.message();
}

/// Strips the `\r` of a CRLF line ending from `line`, which excludes the `\n`.
std::string_view without_cr(const char* first, size_t size) {
  if (size > 0 && first[size - 1] == '\r')
    --size;
  return {first, size};
}

/// The source behind lines(): a read buffer over a file read with pread(2).
///
/// The buffer holds file bytes [offset_ - begin_, read_offset_): bytes before
/// begin_ were delivered, bytes in [begin_, end_) are not yet. Invariant:
/// offset_ (the position) is the file offset of buf_[begin_].
class line_source final : public source<std::string_view> {
public:
  explicit line_source(std::filesystem::path file) : file_(std::move(file)) {
  }

  line_source(const line_source&) = delete;
  line_source& operator=(const line_source&) = delete;

  ~line_source() override {
    close();
  }

  std::string name() const override {
    return "file:" + file_.string();
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

  expected<size_t> read(size_t max, const std::function<void(const std::string_view&)>& fn) override {
    if (fd_ < 0)
      return error{errc::invalid_argument, name() + ": read() called before open()"};
    size_t delivered = 0;
    while (delivered < max) {
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
      if (begin_ < end_) { // the last line has no '\n'
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
    return eof_ && begin_ == end_;
  }

  std::string position() const override {
    return std::to_string(offset_);
  }

private:
  /// Checks that the open file is regular and `position` one of its line
  /// boundaries, and sets `start` to it.
  error start_of(std::string_view position, uint64_t& start) const {
    struct stat st {};
    if (::fstat(fd_, &st) != 0)
      return {errc::io, "cannot stat input file " + quoted(file_) + ": " + errno_text(errno)};
    if (!S_ISREG(st.st_mode))
      return {errc::invalid_argument, "input file " + quoted(file_) + " is not a regular file"};
    if (!position.empty()) {
      auto [end, ec] = std::from_chars(position.data(), position.data() + position.size(), start);
      if (ec != std::errc{} || end != position.data() + position.size())
        return {errc::corrupt, "position '" + std::string{position} + "' of input file "
                                 + quoted(file_) + " is not a number"};
      auto size = static_cast<uint64_t>(st.st_size);
      if (start > size)
        return {errc::corrupt, "position " + std::string{position}
                                 + " is beyond the end of input file " + quoted(file_) + " ("
                                 + std::to_string(size) + " bytes)"};
      // position() only ever stands just after a '\n' or at the end of the
      // file; anything else means the file changed since it was stored.
      if (start > 0 && start < size) {
        char before = 0;
        ssize_t n;
        do {
          n = ::pread(fd_, &before, 1, static_cast<off_t>(start - 1));
        } while (n < 0 && errno == EINTR);
        if (n < 0)
          return {errc::io, "cannot read input file " + quoted(file_) + ": " + errno_text(errno)};
        if (n != 1 || before != '\n')
          return {errc::corrupt, "position " + std::string{position} + " of input file "
                                   + quoted(file_) + " is not at the start of a line"};
      }
    }
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

} // namespace

std::unique_ptr<eddy::source<std::string_view>> lines(std::filesystem::path file) {
  return std::make_unique<line_source>(std::move(file));
}

} // namespace eddy::connectors::file
