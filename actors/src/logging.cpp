#include "logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace eddy::actors::log {

namespace {

std::string pattern_for(const std::string& node) {
  return "%Y-%m-%d %H:%M:%S.%e %^%l%$ " + (node.empty() ? "" : "[" + node + "] ") + "[%n] %v";
}

std::shared_ptr<spdlog::logger> named(const std::string& name) {
  if (auto existing = spdlog::get(name))
    return existing;
  auto logger = spdlog::stderr_color_mt(name);
  logger->set_pattern(pattern_for(""));
  return logger;
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
  runtime()->set_pattern(pattern_for(name));
  journal()->set_pattern(pattern_for(name));
}

void level(const std::string& name) {
  auto lvl = spdlog::level::from_str(name);
  runtime()->set_level(lvl);
  journal()->set_level(lvl);
}

} // namespace eddy::actors::log

