#pragma once

// One job's savepoints, as its local node or its coordinator takes them:
// a request (signal or request file), for a stop the drain of every source,
// the freeze and copy of every journal (which the owner does, here or on
// its workers), the bodies, the manifest, the answer. One at a time.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "eddy/job.hpp"
#include "job_layout.hpp"
#include "savepoint/taking.hpp"

namespace eddy::actors::savepoint {

/// What the owner of the journals does for a session.
struct session_hooks {
  /// Pauses (true) or resumes the job's sources.
  std::function<void(bool paused)> pause_sources;
  /// Freezes and copies every journal into `t.pending`, thaws them, and
  /// has their bodies written; each writer later answers the session with
  /// bodies_written(). Returns the number of writers, or what failed.
  std::function<expected<uint32_t>(const target& t, uint64_t id)> freeze_and_copy;
};

class session {
public:
  session(const job& j, job_layout layout, caf::actor self, uint32_t source_instances, session_hooks hooks);

  /// A savepoint_atom request.
  void request(const std::string& kind, const std::string& to, const std::string& answer_file);

  /// A source instance drained after pause_sources(true).
  void drained(uint32_t instance);

  /// A drain_timeout_atom.
  void drain_timeout(uint64_t id);

  /// One writer of savepoint `id` is done: `text` is its body references
  /// (refs_text()) or its error.
  void bodies_written(uint64_t id, bool ok, const std::string& text);

  /// Gives up the savepoint being taken, if any (a worker that would write
  /// some of its bodies was lost). A stop's sources resume.
  void abort(const std::string& why);

  /// A write_timeout_atom: bodies that never came.
  void write_timeout(uint64_t id);

  /// True once a stop with savepoint has its savepoint: the job ends now.
  bool stopped() const noexcept {
    return stopped_;
  }
  /// The path of that savepoint.
  const std::string& stopped_with() const noexcept {
    return stopped_with_;
  }

private:
  struct current {
    uint64_t id = 0;
    std::string kind, answer_file;
    std::string to;
    std::optional<target> where;
    std::vector<uint32_t> drained;
    uint32_t writers = 0, written = 0;
    std::vector<body_ref> bodies;
    std::string failure;
    std::chrono::steady_clock::time_point started;
  };

  void take();
  void fail(const std::string& why);
  void done(bool ok, const std::string& text);

  const job& j_;
  job_layout layout_;
  caf::actor self_;
  uint32_t source_instances_;
  session_hooks hooks_;
  uint64_t next_id_ = 1;
  std::optional<current> now_;
  bool stopped_ = false;
  std::string stopped_with_;
};

} // namespace eddy::actors::savepoint
