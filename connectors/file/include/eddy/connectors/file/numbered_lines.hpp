#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>

#include "eddy/source.hpp"

namespace eddy::connectors::file {

/// A line of a file with its 1-based number. `text` views the source's
/// buffer: valid only during the callback.
struct numbered_line {
  int64_t number = 0;
  std::string_view text;
};

/// The lines of `file` with their numbers (for dead letters that name the
/// line). Position "<byte offset>:<line number>", so numbers stay right when
/// a job resumes; otherwise like lines(). Splits: those of lines(file), each
/// descriptor prefixed with the number of lines before its byte range
/// ("<n>#<split>"), which splits() counts in one pass over the file: a
/// line's number counts the lines before it, which only those bytes tell.
std::unique_ptr<eddy::source<numbered_line>> numbered_lines(std::filesystem::path file);

} // namespace eddy::connectors::file
