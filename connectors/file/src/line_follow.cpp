#include "eddy/connectors/file/lines.hpp"

#include <algorithm>
#include <system_error>
#include <vector>

#include "line_reader.hpp"

namespace eddy::connectors::file {

namespace {

namespace fs = std::filesystem;
using detail::line_reader;
using detail::quoted;
using detail::to_end;

/// The source behind lines_follow(): the reader of the current file,
/// following it, and in a directory the move to the next file.
class line_follower final : public source<std::string_view> {
public:
  explicit line_follower(fs::path path) : path_(std::move(path)) {
  }

  std::string name() const override {
    return "follow:" + path_.string();
  }

  error check() const override {
    std::error_code ec;
    if (fs::is_directory(path_, ec))
      return {};
    return line_reader{path_, 0, to_end}.check();
  }

  error open(std::string_view position) override {
    std::error_code ec;
    directory_ = fs::is_directory(path_, ec);
    current_.reset();
    name_.clear();
    if (!directory_)
      return open_file(path_, position);
    if (position.empty())
      return {}; // the first file, once there is one
    auto colon = position.rfind(':');
    if (colon == std::string_view::npos)
      return {errc::corrupt, "position '" + std::string{position} + "' of " + name() + " is not '<file name>:<offset>'"};
    name_ = std::string{position.substr(0, colon)};
    return open_file(path_ / name_, position.substr(colon + 1));
  }

  expected<size_t> read(size_t max, const std::function<void(const std::string_view&)>& fn) override {
    size_t delivered = 0;
    while (delivered < max) {
      if (!current_) {
        auto next = next_file();
        if (next.empty())
          break;
        name_ = next;
        if (auto err = open_file(path_ / name_, {}))
          return err;
      }
      auto n = current_->read(max - delivered, fn);
      if (!n)
        return n;
      delivered += *n;
      if (delivered >= max || !directory_)
        break;
      // Caught up with this file: once a later one exists it is complete.
      auto next = next_file();
      if (next.empty())
        break;
      current_->complete();
      auto rest = current_->read(max - delivered, fn);
      if (!rest)
        return rest;
      delivered += *rest;
      if (!current_->finished())
        break;
      name_ = next; // from here the position is the next file's
      if (auto err = open_file(path_ / name_, {}))
        return err;
    }
    return delivered;
  }

  bool finished() const override {
    return false;
  }

  std::string position() const override {
    auto offset = current_ ? current_->position() : std::string{"0"};
    if (!directory_)
      return offset;
    return name_.empty() ? std::string{} : name_ + ":" + offset;
  }

private:
  error open_file(const fs::path& file, std::string_view position) {
    auto reader = std::make_unique<line_reader>(file, 0, to_end, true);
    if (auto err = reader->check())
      return {errc::corrupt, name() + " cannot reopen its position: " + err.message()};
    if (auto err = reader->open(position))
      return err;
    current_ = std::move(reader);
    return {};
  }

  /// The first regular file of the directory whose name sorts after the
  /// current one (empty: none yet).
  std::string next_file() const {
    std::string best;
    std::error_code ec;
    for (auto it = fs::directory_iterator(path_, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
      auto n = it->path().filename().string();
      if (n.empty() || n.front() == '.' || !it->is_regular_file(ec))
        continue;
      if ((name_.empty() || n > name_) && (best.empty() || n < best))
        best = n;
    }
    return best;
  }

  fs::path path_;
  bool directory_ = false;
  std::string name_;                     ///< the directory's file being read
  std::unique_ptr<line_reader> current_; ///< its reader (the file's, for a file)
};

} // namespace

std::unique_ptr<eddy::source<std::string_view>> lines_follow(fs::path path) {
  return std::make_unique<line_follower>(std::move(path));
}

} // namespace eddy::connectors::file
