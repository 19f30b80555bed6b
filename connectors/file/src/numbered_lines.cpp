#include "eddy/connectors/file/numbered_lines.hpp"

#include <charconv>
#include <string>

#include "eddy/connectors/file/lines.hpp"

namespace eddy::connectors::file {

namespace {

/// Delegates to the file source and counts the lines it delivers.
class numbered_source final : public eddy::source<numbered_line> {
public:
  explicit numbered_source(std::filesystem::path file)
    : lines_(lines(std::move(file))) {
  }

  std::string name() const override {
    return lines_->name();
  }

  eddy::error check() const override {
    return lines_->check();
  }

  eddy::error open(std::string_view position) override {
    if (position.empty()) {
      number_ = 0;
      return lines_->open(position);
    }
    auto colon = position.find(':');
    int64_t n = -1;
    if (colon != std::string_view::npos) {
      auto digits = position.substr(colon + 1);
      auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
      if (ec != std::errc{} || p != digits.data() + digits.size())
        n = -1;
    }
    if (n < 0)
      return eddy::error{eddy::errc::corrupt, "bad position '" + std::string{position}
                                                + "' of numbered lines"};
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
  int64_t number_ = 0; ///< lines delivered so far
};

} // namespace

std::unique_ptr<eddy::source<numbered_line>> numbered_lines(std::filesystem::path file) {
  return std::make_unique<numbered_source>(std::move(file));
}

} // namespace eddy::connectors::file
