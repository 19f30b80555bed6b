#pragma once

// How a running job is asked for a savepoint: SIGUSR1 (take one), SIGUSR2
// (stop with one), or a request file `SAVEPOINT-DIR/.requests/NAME.request`
// holding "savepoint [PATH]" or "stop [PATH]", answered in NAME.answer with
// "ok PATH" or "error TEXT" (what scripts/eddy-cluster writes and waits for).

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>

#include <caf/all.hpp>

namespace eddy::actors::savepoint {

/// (savepoint_atom, std::string kind, std::string to, std::string answer
/// file): take a savepoint ("savepoint") or stop with one ("stop"), into
/// `to` (empty: the default place); answer in `answer` if not empty.
using savepoint_atom = caf::atom_constant<caf::atom("savepoint")>;
/// (savepoint_done_atom, uint64 id, bool ok, std::string path or error):
/// the thread that wrote savepoint `id`'s bodies is done.
using savepoint_done_atom = caf::atom_constant<caf::atom("spdone")>;
/// (drain_timeout_atom, uint64 id): a stop's sources took too long to drain.
using drain_timeout_atom = caf::atom_constant<caf::atom("draintime")>;
/// (write_timeout_atom, uint64 id): savepoint `id`'s bodies took too long.
using write_timeout_atom = caf::atom_constant<caf::atom("writetime")>;

/// Watches the signals and the request directory of `savepoint_dir` from a
/// thread of its own and sends each request to `to` as a savepoint_atom.
class request_watcher {
public:
  request_watcher(std::filesystem::path savepoint_dir, caf::actor to);
  ~request_watcher();
  request_watcher(const request_watcher&) = delete;
  request_watcher& operator=(const request_watcher&) = delete;

private:
  void poll();
  std::filesystem::path requests_;
  caf::actor to_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

/// Answers the request whose answer file is `answer` (empty: none).
void answer(const std::string& answer, bool ok, const std::string& text);

} // namespace eddy::actors::savepoint
