#include "logging.hpp"

#include <ctime>

#include <spdlog/formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace eddy::actors::log {

namespace {

std::string pattern_for(const std::string& node) {
  return "%Y-%m-%d %H:%M:%S.%e %^%l%$ " + (node.empty() ? "" : "[" + node + "] ") + "[%n] %v";
}

/// Formats a log line as one JSON object: time, level, logger, node, message.
class json_formatter final : public spdlog::formatter {
public:
  explicit json_formatter(std::string node) : node_(std::move(node)) {
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
    return std::make_unique<json_formatter>(node_);
  }

private:
  std::string node_;
};

// Set before the actors start (execute(), a worker's welcome), read when
// a format is applied.
std::string node_name;
bool json_lines = false;

void apply(spdlog::logger& logger) {
  if (json_lines)
    logger.set_formatter(std::make_unique<json_formatter>(node_name));
  else
    logger.set_pattern(pattern_for(node_name));
}

std::shared_ptr<spdlog::logger> named(const std::string& name) {
  if (auto existing = spdlog::get(name))
    return existing;
  auto logger = spdlog::stderr_color_mt(name);
  apply(*logger);
  return logger;
}

void apply_all() {
  apply(*runtime());
  apply(*journal());
}

} // namespace

std::shared_ptr<spdlog::logger> runtime() {
  static auto logger = named("runtime");
  return logger;
}

std::shared_ptr<spdlog::logger> journal() {
  static auto logger = named("journal");
  return logger;
}

void node(const std::string& name) {
  node_name = name;
  apply_all();
}

void level(const std::string& name) {
  auto lvl = spdlog::level::from_str(name);
  runtime()->set_level(lvl);
  journal()->set_level(lvl);
}

void format(const std::string& name) {
  json_lines = name == "json";
  apply_all();
}

bool json() {
  return json_lines;
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

} // namespace eddy::actors::log
