#pragma once

// A savepoint's manifest (FORMAT.md here): what job it is of and where the
// image of each of its participants (key group of an operator, source split,
// sink instance) lies in its body files.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "eddy/error.hpp"
#include "job_layout.hpp"

namespace eddy::actors::savepoint {

inline constexpr const char* format_name = "eddy-savepoint-1";
inline constexpr const char* manifest_file = "manifest.json";

/// Where the image of one participant (`stage << 32 | index`) lies.
struct body_ref {
  uint32_t stage = 0;
  uint32_t index = 0;
  std::string file;   ///< relative to the savepoint's directory
  uint64_t offset = 0;
  uint64_t size = 0;
  uint64_t xxh64 = 0; ///< of the `size` bytes at `offset`
};

/// One state of an operator: its name and schema (eddy/detail/evolution.hpp).
struct state_info {
  std::string name;
  std::string schema;
};

/// One keyed operator as the savepoint's job had it.
struct operator_info {
  uint32_t stage = 0;
  std::string name;
  std::string uid; ///< its stable id (stream::uid), else its name
  std::vector<state_info> states;
};

/// One sink as the savepoint's job had it.
struct sink_info {
  uint32_t stage = 0;
  std::string name;
};

struct manifest {
  std::string format = format_name;
  std::string job;
  std::string shape;          ///< state_dir.hpp shape_of()
  uint32_t max_key_groups = 0;
  uint32_t parallelism = 0;   ///< of the job it was taken from (informative)
  std::string origin;         ///< "savepoint" or "stop"
  int64_t created_ms = 0;     ///< wall clock, ms since the epoch
  job_layout layout;
  std::vector<operator_info> operators;
  std::vector<sink_info> sinks;
  std::vector<body_ref> bodies;

  /// Total bytes of the bodies.
  uint64_t body_bytes() const;
  /// Key groups with an image, summed over operators.
  uint64_t key_groups() const;
};

/// Body references as JSON text, to travel in a message, and back.
std::string refs_text(const std::vector<body_ref>& refs);
expected<std::vector<body_ref>> refs_of(const std::string& text);

/// Writes `m` as `dir/manifest.json`, durably (written, fsynced, renamed).
error write_manifest(const std::filesystem::path& dir, const manifest& m);

/// Reads `dir/manifest.json`; errc::corrupt naming it when it is missing,
/// does not parse, or is not of a format this Eddy reads.
expected<manifest> read_manifest(const std::filesystem::path& dir);

} // namespace eddy::actors::savepoint
