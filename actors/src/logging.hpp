#pragma once

#include <memory>
#include <string>

#include <spdlog/logger.h>

namespace eddy::actors::log {

/// The named loggers of the runtime ("runtime", "journal"), writing to stderr.
std::shared_ptr<spdlog::logger> runtime();
std::shared_ptr<spdlog::logger> journal();

/// Names this process's node ("coordinator", "worker 2") in every log line.
void node(const std::string& name);

/// Sets the level of every Eddy logger ("info", "debug", ...).
void level(const std::string& name);

/// Sets the format of every Eddy logger: "text" (the default) or "json",
/// one JSON object per line with time (UTC, ISO 8601), level, logger, node
/// and message.
void format(const std::string& name);

/// True when the loggers write JSON.
bool json();

} // namespace eddy::actors::log
