#include "eddy/connectors/file/lines.hpp"

#include "line_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <system_error>
#include <utility>
#include <vector>

namespace eddy::connectors::file {

namespace {

using detail::line_reader;
using detail::parse_u64;
using detail::quoted;
using detail::errno_text;
using detail::to_end;

/// The source behind lines(): a list of files, split by byte ranges. Read
/// directly (without splits) it reads the files one after another.
class line_files final : public source<std::string_view> {
public:
  explicit line_files(std::vector<std::filesystem::path> files) : files_(std::move(files)) {
  }

  std::string name() const override {
    if (files_.size() == 1)
      return "file:" + files_[0].string();
    std::string n = "files:";
    for (size_t i = 0; i < files_.size(); ++i)
      n += (i > 0 ? "," : "") + files_[i].string();
    return n;
  }

  error check() const override {
    if (files_.empty())
      return {errc::invalid_argument, "lines() was given no input file"};
    for (auto& f : files_)
      if (auto err = line_reader{f, 0, to_end}.check())
        return err;
    return {};
  }

  expected<std::vector<std::string>> splits(uint32_t desired) const override {
    std::vector<uint64_t> sizes;
    uint64_t total = 0;
    for (auto& f : files_) {
      struct stat st {};
      if (::stat(f.c_str(), &st) != 0)
        return error{errc::io, "cannot stat input file " + quoted(f) + ": " + errno_text(errno)};
      sizes.push_back(static_cast<uint64_t>(st.st_size));
      total += sizes.back();
    }
    // Ranges of about total/desired bytes, never across files; every file is
    // at least one split, so an empty file still has a (finished) reader.
    auto target = std::max<uint64_t>(1, (total + std::max(desired, 1u) - 1) / std::max(desired, 1u));
    std::vector<std::string> out;
    for (size_t i = 0; i < files_.size(); ++i) {
      auto parts = std::max<uint64_t>(1, (sizes[i] + target - 1) / target);
      for (uint64_t k = 0; k < parts; ++k) {
        auto first = static_cast<uint64_t>(static_cast<unsigned __int128>(sizes[i]) * k / parts);
        auto limit = static_cast<uint64_t>(static_cast<unsigned __int128>(sizes[i]) * (k + 1) / parts);
        out.push_back(split_of(files_[i], first, limit));
      }
    }
    return out;
  }

  expected<std::unique_ptr<source<std::string_view>>> reader(const std::string& split) const override {
    // "<first>-<limit>:<path>"
    auto dash = split.find('-');
    auto colon = split.find(':');
    uint64_t first = 0, limit = 0;
    if (dash == std::string::npos || colon == std::string::npos || dash > colon
        || !parse_u64(std::string_view{split}.substr(0, dash), first)
        || !parse_u64(std::string_view{split}.substr(dash + 1, colon - dash - 1), limit)
        || first > limit)
      return error{errc::corrupt, "split '" + split + "' of " + name()
                                    + " is not '<first>-<limit>:<path>'"};
    std::filesystem::path file{split.substr(colon + 1)};
    if (std::find(files_.begin(), files_.end(), file) == files_.end())
      return error{errc::corrupt, "split '" + split + "' names a file that " + name()
                                    + " does not read"};
    return std::unique_ptr<source<std::string_view>>{
      std::make_unique<line_reader>(std::move(file), first, limit)};
  }

  error open(std::string_view position) override {
    size_t index = 0;
    auto inner = position;
    if (files_.size() > 1 && !position.empty()) {
      auto colon = position.find(':');
      uint64_t i = 0;
      if (colon == std::string_view::npos || !parse_u64(position.substr(0, colon), i)
          || i >= files_.size())
        return {errc::corrupt, "position '" + std::string{position} + "' of " + name()
                                 + " is not '<file index>:<offset>'"};
      index = static_cast<size_t>(i);
      inner = position.substr(colon + 1);
    }
    if (files_.empty())
      return {errc::invalid_argument, "lines() was given no input file"};
    return open_file(index, inner);
  }

  expected<size_t> read(size_t max, const std::function<void(const std::string_view&)>& fn) override {
    if (!current_)
      return error{errc::invalid_argument, name() + ": read() called before open()"};
    size_t delivered = 0;
    while (delivered < max) {
      auto n = current_->read(max - delivered, fn);
      if (!n)
        return n;
      delivered += *n;
      if (!current_->finished() || index_ + 1 >= files_.size()) {
        if (*n == 0)
          break;
        continue;
      }
      if (auto err = open_file(index_ + 1, {}))
        return err;
    }
    return delivered;
  }

  bool finished() const override {
    return current_ && index_ + 1 >= files_.size() && current_->finished();
  }

  std::string position() const override {
    auto inner = current_ ? current_->position() : std::string{"0"};
    // One file keeps the plain byte offset of the single-file source.
    return files_.size() == 1 ? inner : std::to_string(index_) + ":" + inner;
  }

private:
  error open_file(size_t index, std::string_view position) {
    index_ = index;
    current_ = std::make_unique<line_reader>(files_[index], 0, to_end);
    auto err = current_->open(position);
    if (err)
      current_.reset();
    return err;
  }

  std::vector<std::filesystem::path> files_;
  size_t index_ = 0;                   ///< the file being read directly
  std::unique_ptr<line_reader> current_; ///< its reader; null before open()
};

} // namespace

std::string split_of(const std::filesystem::path& file, uint64_t first, uint64_t limit) {
  return std::to_string(first) + "-" + std::to_string(limit) + ":" + file.string();
}

std::unique_ptr<eddy::source<std::string_view>> lines(std::filesystem::path file) {
  return lines(std::vector<std::filesystem::path>{std::move(file)});
}

std::unique_ptr<eddy::source<std::string_view>> lines(std::vector<std::filesystem::path> files) {
  return std::make_unique<line_files>(std::move(files));
}

std::unique_ptr<eddy::source<std::string_view>> lines(
  std::initializer_list<std::filesystem::path> files) {
  return lines(std::vector<std::filesystem::path>{files});
}

} // namespace eddy::connectors::file
