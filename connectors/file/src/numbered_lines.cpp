#include "eddy/connectors/file/numbered_lines.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <string>

#include "eddy/connectors/file/lines.hpp"

namespace eddy::connectors::file {

namespace {

/// Numbers the lines a lines() source or split reader delivers, counting on
/// from `before`: the lines of the file that start before its range.
class numbered_reader final : public eddy::source<numbered_line> {
public:
  numbered_reader(std::unique_ptr<eddy::source<std::string_view>> lines, int64_t before)
    : lines_(std::move(lines)), before_(before) {
  }

  std::string name() const override {
    return lines_->name();
  }

  eddy::error check() const override {
    return lines_->check();
  }

  eddy::error open(std::string_view position) override {
    if (position.empty()) {
      number_ = before_;
      return lines_->open(position);
    }
    auto colon = position.rfind(':');
    int64_t n = -1;
    if (colon != std::string_view::npos) {
      auto digits = position.substr(colon + 1);
      auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
      if (ec != std::errc{} || p != digits.data() + digits.size())
        n = -1;
    }
    if (n < before_)
      return eddy::error{eddy::errc::corrupt, "bad position '" + std::string{position}
                                                + "' of numbered lines of " + name()};
    number_ = n;
    return lines_->open(position.substr(0, colon));
  }

  eddy::expected<size_t> read(size_t max,
                              const std::function<void(const numbered_line&)>& fn) override {
    return lines_->read(max, [&](const std::string_view& text) {
      numbered_line line{++number_, text};
      fn(line);
    });
  }

  bool finished() const override {
    return lines_->finished();
  }

  std::string position() const override {
    return lines_->position() + ":" + std::to_string(number_);
  }

private:
  std::unique_ptr<eddy::source<std::string_view>> lines_;
  int64_t before_ = 0;
  int64_t number_ = 0; ///< number of the last line delivered
};

/// The lines of a file that start before each of `offsets` (ascending): one
/// pass counting newlines, as only the bytes before a range can tell.
eddy::expected<std::vector<int64_t>> lines_before(const std::filesystem::path& file,
                                                  const std::vector<uint64_t>& offsets) {
  std::ifstream in{file, std::ios::binary};
  if (!in)
    return eddy::error{eddy::errc::io, "cannot read input file '" + file.string() + "'"};
  std::vector<int64_t> out;
  std::vector<char> buf(size_t{1} << 20);
  uint64_t pos = 0;      // bytes counted so far
  int64_t newlines = 0;  // in [0, pos)
  for (auto offset : offsets) {
    // A line starts at 0 and after every newline before offset - 1.
    auto until = offset == 0 ? 0 : offset - 1;
    while (pos < until) {
      auto want = static_cast<std::streamsize>(std::min<uint64_t>(buf.size(), until - pos));
      if (!in.read(buf.data(), want))
        return eddy::error{eddy::errc::io, "input file '" + file.string() + "' is shorter than its splits"};
      newlines += std::count(buf.data(), buf.data() + want, '\n');
      pos += static_cast<uint64_t>(want);
    }
    out.push_back(offset == 0 ? 0 : 1 + newlines);
  }
  return out;
}

/// The source behind numbered_lines(): the splits of lines(file), each
/// descriptor prefixed with the lines before its range, "<n>#<split>".
class numbered_source final : public eddy::source<numbered_line> {
public:
  explicit numbered_source(std::filesystem::path file) : file_(file), lines_(lines(std::move(file))) {
  }

  std::string name() const override {
    return lines_->name();
  }

  eddy::error check() const override {
    return lines_->check();
  }

  eddy::expected<std::vector<std::string>> splits(uint32_t desired) const override {
    auto parts = lines_->splits(desired);
    if (!parts)
      return parts.error();
    std::vector<uint64_t> firsts;
    for (auto& p : *parts)
      firsts.push_back(std::strtoull(p.c_str(), nullptr, 10)); // "<first>-<limit>:<file>"
    auto before = lines_before(file_, firsts);
    if (!before)
      return before.error();
    std::vector<std::string> out;
    for (size_t i = 0; i < parts->size(); ++i)
      out.push_back(std::to_string((*before)[i]) + "#" + (*parts)[i]);
    return out;
  }

  eddy::expected<std::unique_ptr<eddy::source<numbered_line>>> reader(const std::string& split) const override {
    auto hash = split.find('#');
    int64_t before = -1;
    if (hash != std::string::npos) {
      auto [p, ec] = std::from_chars(split.data(), split.data() + hash, before);
      if (ec != std::errc{} || p != split.data() + hash)
        before = -1;
    }
    if (before < 0)
      return eddy::error{eddy::errc::corrupt, "split '" + split + "' of numbered lines of " + name()
                                                + " is not '<lines before>#<split of lines()>'"};
    auto r = lines_->reader(split.substr(hash + 1));
    if (!r)
      return r.error();
    return std::unique_ptr<eddy::source<numbered_line>>{
      std::make_unique<numbered_reader>(std::move(*r), before)};
  }

  eddy::error open(std::string_view position) override {
    return whole_.open(position);
  }
  eddy::expected<size_t> read(size_t max, const std::function<void(const numbered_line&)>& fn) override {
    return whole_.read(max, fn);
  }
  bool finished() const override {
    return whole_.finished();
  }
  std::string position() const override {
    return whole_.position();
  }

private:
  std::filesystem::path file_;
  std::unique_ptr<eddy::source<std::string_view>> lines_;
  numbered_reader whole_{lines(file_), 0}; ///< read directly, without splits
};

} // namespace

std::unique_ptr<eddy::source<numbered_line>> numbered_lines(std::filesystem::path file) {
  return std::make_unique<numbered_source>(std::move(file));
}

} // namespace eddy::connectors::file
