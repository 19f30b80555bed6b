#include "durable_file.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

namespace eddy::actors::savepoint {

namespace fs = std::filesystem;

namespace {

error io_error(const std::string& what, const fs::path& path) {
  return error{errc::io, "cannot " + what + " '" + path.string() + "': " + std::strerror(errno)};
}

} // namespace

error sync_path(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return io_error("open", path);
  int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? error{} : io_error("fsync", path);
}

error write_durably(const fs::path& file, std::string_view bytes) {
  auto tmp = file;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return io_error("create", tmp);
  for (size_t done = 0; done < bytes.size();) {
    auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      auto err = io_error("write", tmp);
      ::close(fd);
      return err;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    auto err = io_error("fsync", tmp);
    ::close(fd);
    return err;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), file.c_str()) != 0)
    return io_error("rename", tmp);
  return sync_path(file.parent_path());
}

} // namespace eddy::actors::savepoint
