#include "eddy/log_format.hpp"

#include <chrono>
#include <ctime>

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

namespace eddy::log_format {

namespace {

/// Formats a log line as one JSON object: time, level, logger, node, message.
class json_line_formatter final : public spdlog::formatter {
public:
  explicit json_line_formatter(std::string node) : node_(std::move(node)) {
  }

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    using namespace std::chrono;
    auto since_epoch = msg.time.time_since_epoch();
    auto secs = duration_cast<seconds>(since_epoch);
    auto ms = duration_cast<milliseconds>(since_epoch - secs).count();
    std::time_t t = secs.count();
    std::tm utc{};
    gmtime_r(&t, &utc);
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &utc);
    auto level = spdlog::level::to_string_view(msg.level);
    fmt::format_to(std::back_inserter(dest),
                   R"({{"time":"{}.{:03}Z","level":"{}","logger":"{}","node":"{}","message":"{}"}})",
                   when, ms, json_escape({level.data(), level.size()}),
                   json_escape({msg.logger_name.data(), msg.logger_name.size()}), json_escape(node_),
                   json_escape({msg.payload.data(), msg.payload.size()}));
    dest.push_back('\n');
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_line_formatter>(node_);
  }

private:
  std::string node_;
};

} // namespace

std::unique_ptr<spdlog::formatter> json_formatter(std::string node) {
  return std::make_unique<json_line_formatter>(std::move(node));
}

std::string json_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20)
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        else
          out += c;
    }
  }
  return out;
}

} // namespace eddy::log_format
