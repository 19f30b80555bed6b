#include "logging.hpp"

#include "eddy/log_format.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace eddy::actors::log {

namespace {

std::string pattern_for(const std::string& node) {
  return "%Y-%m-%d %H:%M:%S.%e %^%l%$ " + (node.empty() ? "" : "[" + node + "] ") + "[%n] %v";
}

// Set before the actors start (execute(), a worker's welcome), read when
// a format is applied.
std::string node_name;
bool json_lines = false;

void apply(spdlog::logger& logger) {
  if (json_lines)
    logger.set_formatter(log_format::json_formatter(node_name));
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

} // namespace eddy::actors::log
