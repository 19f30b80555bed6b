#include "logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace eddy::actors::log {

namespace {

std::shared_ptr<spdlog::logger> named(const std::string& name) {
  if (auto existing = spdlog::get(name))
    return existing;
  auto logger = spdlog::stderr_color_mt(name);
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ [%n] %v");
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

void level(const std::string& name) {
  auto lvl = spdlog::level::from_str(name);
  runtime()->set_level(lvl);
  journal()->set_level(lvl);
}

} // namespace eddy::actors::log

