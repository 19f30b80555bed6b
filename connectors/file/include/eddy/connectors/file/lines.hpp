#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "eddy/source.hpp"

namespace eddy::connectors::file {

/// Returns a replayable source that delivers the lines of `file`.
///
/// Each value is one line without its `\n` and without a trailing `\r`; a last
/// line without a newline is delivered too, an empty file delivers nothing.
/// Values are views into the source's read buffer, so they are valid only
/// during the callback of read(); copy what you keep.
///
/// The position is the byte offset just after the last delivered line, as
/// decimal text ("0" before the first line). open("") starts at the beginning;
/// open(position) fails with errc::corrupt if the position is not a number, is
/// beyond the end of the file or is not at a line boundary — all signs that the
/// file changed since the position was stored. The file must not change while
/// a job reads it.
///
/// check() fails with errc::invalid_argument unless `file` is an existing,
/// readable regular file. The source reads with pread(2) in blocks of 1 MiB,
/// growing its buffer for longer lines. Owned by one thread; not thread-safe.
std::unique_ptr<eddy::source<std::string_view>> lines(std::filesystem::path file);

} // namespace eddy::connectors::file
