#pragma once

// How a running job is asked: SIGUSR1 (take a savepoint), SIGUSR2 (stop
// with one), or a request file `SAVEPOINT-DIR/.requests/NAME.request`
// holding one line, answered in NAME.answer with one line (what
// scripts/eddy-cluster writes and waits for):
//
//   savepoint [PATH]     → ok PATH | error TEXT
//   stop [PATH]          → ok PATH | error TEXT
//   query OPERATOR KEY   → ok JSON | error TEXT | invalid TEXT
//
// KEY is the rest of the line (it may hold spaces); `invalid` answers a
// query whose operator or key the job does not have (../query/README.md).

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
/// (query_request_atom, std::string operator, std::string key, std::string
/// answer file): the state of one key (../query/); answer in `answer file`.
using query_request_atom = caf::atom_constant<caf::atom("queryreq")>;
/// (savepoint_done_atom, uint64 id, bool ok, std::string path or error):
/// the thread that wrote savepoint `id`'s bodies is done.
using savepoint_done_atom = caf::atom_constant<caf::atom("spdone")>;
/// (drain_timeout_atom, uint64 id): a stop's sources took too long to drain.
using drain_timeout_atom = caf::atom_constant<caf::atom("draintime")>;
/// (write_timeout_atom, uint64 id): savepoint `id`'s bodies took too long.
using write_timeout_atom = caf::atom_constant<caf::atom("writetime")>;

/// Watches the signals and the request directory of `savepoint_dir` from a
/// thread of its own and sends each request to `to`: a savepoint_atom or a
/// query_request_atom. A request it cannot read it answers itself.
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

/// The first word of an answer: done, failed, or asked for what is not there.
enum class answer_status { ok, error, invalid };

/// Answers the request whose answer file is `answer` (empty: none).
void answer(const std::string& answer, answer_status status, const std::string& text);

/// Answers a request with ok or error.
inline void answer(const std::string& answer_file, bool ok, const std::string& text) {
  answer(answer_file, ok ? answer_status::ok : answer_status::error, text);
}

} // namespace eddy::actors::savepoint
