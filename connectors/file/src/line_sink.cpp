#include "eddy/connectors/file/lines_out.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <system_error>

namespace eddy::connectors::file::detail {

namespace {

/// Appended bytes are written once this many are buffered.
constexpr size_t flush_size = size_t{1} << 20;

std::string quoted(const std::filesystem::path& path) {
  return "'" + path.string() + "'";
}

std::string errno_text(int err) {
  return std::error_code{err, std::generic_category()}.message();
}

std::filesystem::path directory_of(const std::filesystem::path& file) {
  auto dir = file.parent_path();
  return dir.empty() ? std::filesystem::path{"."} : dir;
}

} // namespace

std::filesystem::path part_file(const std::filesystem::path& directory, uint32_t index) {
  char name[32];
  std::snprintf(name, sizeof name, "part-%05u", static_cast<unsigned>(index));
  return directory / name;
}

line_file::line_file(std::filesystem::path file) : file_(std::move(file)) {
}

line_file::line_file(line_file&& other) noexcept
  : file_(std::move(other.file_)),
    fd_(std::exchange(other.fd_, -1)),
    written_(other.written_),
    buffer_(std::move(other.buffer_)),
    sync_dir_(other.sync_dir_),
    broken_(other.broken_) {
}

line_file& line_file::operator=(line_file&& other) noexcept {
  if (this != &other) {
    close();
    file_ = std::move(other.file_);
    fd_ = std::exchange(other.fd_, -1);
    written_ = other.written_;
    buffer_ = std::move(other.buffer_);
    sync_dir_ = other.sync_dir_;
    broken_ = other.broken_;
  }
  return *this;
}

line_file::~line_file() {
  // Whatever is still buffered was never committed: recovery would discard it.
  close();
}

std::string line_file::name() const {
  return "file:" + file_.string();
}

error line_file::check() const {
  auto not_writable = "output file " + quoted(file_) + " is not writable";
  struct stat st {};
  if (::stat(file_.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode))
      return {errc::invalid_argument, "output file " + quoted(file_) + " is not a regular file"};
    if (::faccessat(AT_FDCWD, file_.c_str(), W_OK, AT_EACCESS) != 0)
      return {errc::invalid_argument, not_writable};
    // Truncating and appending need no write access to the directory.
    return {};
  }
  if (auto err = errno; err != ENOENT && err != ENOTDIR)
    return {errc::invalid_argument,
            "output file " + quoted(file_) + " cannot be accessed: " + errno_text(err)};
  // The file does not exist yet: open() creates it in its directory.
  auto dir = directory_of(file_);
  if (::stat(dir.c_str(), &st) != 0)
    return {errc::invalid_argument,
            not_writable + ": directory " + quoted(dir) + " does not exist"};
  if (!S_ISDIR(st.st_mode))
    return {errc::invalid_argument, not_writable + ": " + quoted(dir) + " is not a directory"};
  if (::faccessat(AT_FDCWD, dir.c_str(), W_OK | X_OK, AT_EACCESS) != 0)
    return {errc::invalid_argument,
            not_writable + ": directory " + quoted(dir) + " is not writable"};
  return {};
}

error line_file::open(std::string_view committed) {
  close();
  buffer_.clear();
  broken_ = false;
  auto fresh = committed.empty();
  uint64_t length = 0;
  if (!fresh) {
    auto last = committed.data() + committed.size();
    auto [end, ec] = std::from_chars(committed.data(), last, length);
    if (ec != std::errc{} || end != last)
      return {errc::corrupt, "committed position '" + std::string{committed}
                               + "' of output file " + quoted(file_) + " is not a number"};
  }
  fd_ = ::open(file_.c_str(), O_WRONLY | O_CLOEXEC | (fresh ? O_CREAT : 0), 0644);
  if (fd_ < 0) {
    auto err = errno;
    if (!fresh && err == ENOENT)
      return {errc::corrupt, "output file " + quoted(file_) + " is missing but "
                               + std::string{committed} + " bytes of it were committed"};
    return {errc::io, "cannot open output file " + quoted(file_) + ": " + errno_text(err)};
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    auto err = errno;
    close();
    return {errc::io, "cannot stat output file " + quoted(file_) + ": " + errno_text(err)};
  }
  if (!S_ISREG(st.st_mode)) {
    close();
    return {errc::invalid_argument, "output file " + quoted(file_) + " is not a regular file"};
  }
  if (static_cast<uint64_t>(st.st_size) < length) {
    close();
    return {errc::corrupt, "output file " + quoted(file_) + " has "
                             + std::to_string(st.st_size) + " bytes, fewer than the "
                             + std::to_string(length) + " committed"};
  }
  // Bytes after the committed length were written by an incarnation that
  // crashed before the runtime recorded them; a fresh job starts empty.
  if (::ftruncate(fd_, static_cast<off_t>(length)) != 0) {
    auto err = errno;
    close();
    return {errc::io, "cannot truncate output file " + quoted(file_) + " to "
                        + std::to_string(length) + " bytes: " + errno_text(err)};
  }
  written_ = length;
  sync_dir_ = fresh;
  buffer_.reserve(flush_size + 4096);
  return {};
}

error line_file::append(std::string_view bytes) {
  buffer_.append(bytes);
  return buffer_.size() >= flush_size ? flush() : error{};
}

error line_file::append_line(std::string_view line) {
  buffer_.append(line);
  buffer_.push_back('\n');
  return buffer_.size() >= flush_size ? flush() : error{};
}

expected<std::string> line_file::commit() {
  if (auto err = flush())
    return err;
  if (::fdatasync(fd_) != 0) {
    // After a failed sync the kernel may have dropped the dirty pages and a
    // later sync would succeed without them: only open() recovers.
    broken_ = true;
    return error{errc::io, "cannot sync output file " + quoted(file_) + ": " + errno_text(errno)};
  }
  if (sync_dir_) {
    // Make the directory entry of a newly created file durable too.
    auto dir = directory_of(file_);
    int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0 || ::fsync(dir_fd) != 0) {
      auto err = errno;
      if (dir_fd >= 0)
        ::close(dir_fd);
      return error{errc::io, "cannot sync directory " + quoted(dir) + " of output file "
                               + quoted(file_) + ": " + errno_text(err)};
    }
    ::close(dir_fd);
    sync_dir_ = false;
  }
  return std::to_string(written_);
}

error line_file::flush() {
  if (fd_ < 0)
    return {errc::invalid_argument, name() + ": write or commit before open()"};
  if (broken_)
    return {errc::io, "output file " + quoted(file_) + " failed earlier and must be reopened"};
  const char* data = buffer_.data();
  auto left = buffer_.size();
  while (left > 0) {
    auto n = ::pwrite(fd_, data, left, static_cast<off_t>(written_));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      auto err = errno;
      broken_ = true;
      return {errc::io, "cannot write output file " + quoted(file_) + ": " + errno_text(err)};
    }
    data += n;
    left -= static_cast<size_t>(n);
    written_ += static_cast<uint64_t>(n);
  }
  buffer_.clear();
  return {};
}

void line_file::close() noexcept {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
}

} // namespace eddy::connectors::file::detail
