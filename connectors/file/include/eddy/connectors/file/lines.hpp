#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

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
/// Splits: byte ranges at line boundaries, see lines(std::vector). check()
/// fails with errc::invalid_argument unless `file` is an existing, readable
/// regular file. The source reads with pread(2) in blocks of 1 MiB, growing
/// its buffer for longer lines. Owned by one thread; not thread-safe.
std::unique_ptr<eddy::source<std::string_view>> lines(std::filesystem::path file);

/// Returns a replayable source that delivers the lines of several files,
/// each like lines(file) does; `lines({"a.txt", "b.txt"})`.
///
/// Splits: splits(desired) cuts every file into byte ranges of about
/// `total size / desired` bytes (at least one range per file, none across
/// files), in file order, each named split_of(file, first, limit). The
/// reader of `[first, limit)` delivers the lines that *start* in it: a line
/// straddling `limit` belongs to this split, and one straddling `first` to
/// the split before. So the splits of a file together deliver each of its
/// lines exactly once, for any boundaries. The list depends only on the
/// files' names and sizes and `desired`. A reader's position is the byte
/// offset of its next line in the file (its `first` before it found its
/// first line); open() accepts exactly the positions it produced.
///
/// Read directly, without splits, the source reads the files one after
/// another; its position is then "<file index>:<offset>" (just "<offset>"
/// for a single file). check() checks every file and fails if there is none.
std::unique_ptr<eddy::source<std::string_view>> lines(std::vector<std::filesystem::path> files);

/// lines(std::vector) for a braced list of files.
std::unique_ptr<eddy::source<std::string_view>> lines(
  std::initializer_list<std::filesystem::path> files);

/// Returns an unbounded, replayable source of the lines of `path` as it
/// grows (Flink's `monitorContinuously`): a file, whose appended lines it
/// keeps reading, or a directory, whose regular files (not starting with
/// '.') it reads in name order, moving to the next once one exists, and
/// whose new files it picks up as they appear. A line goes out once its
/// '\n' is there; a file's last line without one goes out when the next
/// file appears. It never finishes: a job on it runs until it is stopped
/// (with a savepoint). One split, read by one source instance.
///
/// The position is "<offset>" for a file, "<file name>:<offset>" for a
/// directory; open(position) fails with errc::corrupt when the file is
/// gone, shorter, or the offset not at a line start. Files must only grow,
/// and a directory's new files must sort after those already read (name
/// them by time): one that sorts before the file being read is never read,
/// and the source logs nothing about it (it cannot tell it from one read).
std::unique_ptr<eddy::source<std::string_view>> lines_follow(std::filesystem::path path);

/// The descriptor of the split of lines() that reads the lines of `file`
/// starting in bytes [first, limit): "<first>-<limit>:<file>". Any
/// boundaries work (tests use random ones); `file` must be one of the source's.
std::string split_of(const std::filesystem::path& file, uint64_t first, uint64_t limit);

} // namespace eddy::connectors::file
