#pragma once

// Files a savepoint is made of are written once and fsynced, and a
// savepoint's directory appears under its final name only when complete.

#include <filesystem>
#include <string_view>

#include "eddy/error.hpp"

namespace eddy::actors::savepoint {

/// Writes `bytes` to `file` through a temporary name, fsyncs it, renames it
/// into place and fsyncs the directory.
error write_durably(const std::filesystem::path& file, std::string_view bytes);

/// fsyncs `path` (a file or a directory).
error sync_path(const std::filesystem::path& path);

} // namespace eddy::actors::savepoint
