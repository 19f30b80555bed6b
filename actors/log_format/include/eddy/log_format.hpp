#pragma once

// One log line as one JSON object (--log-format json): what every Eddy
// binary writes when asked, the job binaries' runtime and the manager alike.

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/formatter.h>

namespace eddy::log_format {

/// A spdlog formatter writing {"time","level","logger","node","message"}
/// per line; time in UTC, ISO 8601 with milliseconds.
std::unique_ptr<spdlog::formatter> json_formatter(std::string node);

/// `text` as the contents of a JSON string (without the quotes).
std::string json_escape(std::string_view text);

} // namespace eddy::log_format
