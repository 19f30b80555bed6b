#include "journal_actor.hpp"

#include <spdlog/spdlog.h>

#include "logging.hpp"
#include "metrics/catalog.hpp"
#include "node_system.hpp"
#include "protocol.hpp"
#include "savepoint/bodies.hpp"

namespace eddy::actors {

namespace {

/// Groups larger than this (entries or bytes) commit without waiting for
/// the mailbox to drain; otherwise a group closes when the mailbox runs dry,
/// so its latency is the time to take in what was queued, not a timer.
constexpr size_t max_group = 8192;
constexpr size_t max_group_bytes = size_t{32} << 20;

/// A freeze that no thaw ends (its savepoint's coordinator was lost) ends
/// by itself after this.
constexpr std::chrono::seconds freeze_limit{30};

struct waiting_writer {
  caf::strong_actor_ptr sender;
  journal::partition_id pid;
  uint64_t seq;
};

using recovery_promise = caf::typed_response_promise<uint64_t, std::string, uint64_t,
                                                      std::vector<std::string>, uint64_t>;

struct waiting_recovery {
  journal::partition_id pid;
  recovery_promise promise;
};

struct journal_state {
  std::shared_ptr<journal::sqlite_journal> journal;
  std::vector<waiting_writer> waiting;
  size_t staged_bytes = 0;
  std::vector<waiting_recovery> recoveries; ///< answered together: one epoch transaction
  bool flush_scheduled = false;
  uint64_t frozen = 0; ///< the freeze in force (0: none); commits wait for its thaw
  uint64_t freezes = 0;
  static inline const char* name = "journal";
};

using journal_actor_t = caf::stateful_actor<journal_state>;

bool commit(journal_actor_t* self);

/// Reads what one partition needs to recover, with its new epoch.
void answer_recovery(journal_actor_t* self, waiting_recovery& r, uint64_t epoch) {
  auto& jn = *self->state.journal;
  auto pid = r.pid;
  auto fail = [&](const eddy::error& e) {
    log::journal()->error("journal {} failed to recover partition {:#x}: {}", jn.file().string(),
                          pid, e.message());
    r.promise.deliver(caf::make_error(caf::sec::runtime_error, e.message()));
  };
  auto snap = jn.load_snapshot(pid);
  if (!snap)
    return fail(snap.error());
  std::string snapshot_body;
  uint64_t snapshot_seq = 0;
  if (*snap) {
    snapshot_body = std::move((*snap)->body);
    snapshot_seq = (*snap)->seq;
  }
  std::vector<std::string> entries;
  uint64_t last = snapshot_seq;
  auto err = jn.replay(pid, snapshot_seq + 1, UINT64_MAX, [&](const journal::entry& e) {
    entries.push_back(e.body);
    last = e.seq;
    return eddy::error{};
  });
  if (err)
    return fail(err);
  auto highest = jn.highest_seq(pid);
  if (!highest)
    return fail(highest.error());
  r.promise.deliver(epoch, std::move(snapshot_body), snapshot_seq, std::move(entries),
                    std::max(last, *highest));
}

/// Answers every waiting recovery after committing what was staged before
/// it, so a successor reads everything its predecessor wrote.
void recover_all(journal_actor_t* self) {
  auto& st = self->state;
  if (st.recoveries.empty() || st.frozen || !commit(self))
    return;
  auto recoveries = std::move(st.recoveries);
  st.recoveries.clear();
  std::vector<journal::partition_id> pids;
  for (auto& r : recoveries)
    pids.push_back(r.pid);
  auto began = std::chrono::steady_clock::now();
  auto epochs = st.journal->acquire(pids);
  if (!epochs) {
    for (auto& r : recoveries)
      r.promise.deliver(caf::make_error(caf::sec::runtime_error, epochs.error().message()));
    return;
  }
  auto acquired_ms = 1000 * seconds_since(began);
  for (size_t i = 0; i < recoveries.size(); ++i)
    answer_recovery(self, recoveries[i], (*epochs)[i]);
  log::journal()->debug("journal {}: new epochs for {} partitions in {:.1f} ms, their state read in {:.1f} ms",
                        st.journal->file().string(), pids.size(), acquired_ms,
                        1000 * seconds_since(began) - acquired_ms);
}

/// Commits the staged group and answers every writer; false on failure
/// (the actor has quit then).
bool commit(journal_actor_t* self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.waiting.empty() || st.frozen)
    return true;
  auto began = std::chrono::steady_clock::now();
  auto result = st.journal->commit();
  metrics::journal_commit_seconds().observe(seconds_since(began));
  if (!result) {
    log::journal()->error("journal {} failed to commit {} writes: {}",
                          st.journal->file().string(), st.waiting.size(),
                          result.error().message());
    self->quit(caf::make_error(caf::sec::runtime_error, result.error().message()));
    return false;
  }
  auto& statuses = *result;
  for (size_t i = 0; i < st.waiting.size(); ++i) {
    auto& w = st.waiting[i];
    // Urgent: a writer takes it before the deliveries queued since, so what
    // the entry held back leaves without waiting behind them.
    self->send<caf::message_priority::high>(caf::actor_cast<caf::actor>(w.sender),
                                            durable_atom::value, w.pid, w.seq,
                                            static_cast<uint8_t>(statuses[i]));
  }
  st.waiting.clear();
  st.staged_bytes = 0;
  return true;
}

/// Ends freeze `freeze` if it is the one in force, and commits what waited.
void thaw(journal_actor_t* self, uint64_t freeze) {
  auto& st = self->state;
  if (!st.frozen || freeze != st.frozen)
    return;
  st.frozen = 0;
  if (commit(self))
    recover_all(self);
}

void stage(journal_actor_t* self, bool snapshot, journal::partition_id pid, uint64_t epoch,
           uint64_t seq, const std::string& body) {
  auto& st = self->state;
  if (snapshot)
    st.journal->stage_snapshot(pid, epoch, seq, body);
  else
    st.journal->stage_append(pid, epoch, seq, body);
  st.waiting.push_back({self->current_sender(), pid, seq});
  st.staged_bytes += body.size();
  if (st.frozen) {
    // stays staged until the thaw
  } else if (st.waiting.size() >= max_group || st.staged_bytes >= max_group_bytes) {
    commit(self);
  } else if (!st.flush_scheduled) {
    st.flush_scheduled = true;
    self->send(self, close_group_atom::value); // runs after everything queued now
  }
}

caf::behavior journal_behavior(journal_actor_t* self,
                               std::shared_ptr<journal::sqlite_journal> j) {
  self->state.journal = std::move(j);
  return {
    [=](append_atom, uint64_t pid, uint64_t epoch, uint64_t seq, const std::string& body) {
      stage(self, false, pid, epoch, seq, body);
    },
    [=](save_atom, uint64_t pid, uint64_t epoch, uint64_t seq, const std::string& body) {
      stage(self, true, pid, epoch, seq, body);
    },
    [=](close_group_atom) {
      if (commit(self))
        recover_all(self);
    },
    [=](recover_atom, uint64_t pid) -> recovery_promise {
      auto& st = self->state;
      st.recoveries.push_back({pid, self->make_response_promise<uint64_t, std::string, uint64_t,
                                                               std::vector<std::string>,
                                                               uint64_t>()});
      if (!st.flush_scheduled) {
        st.flush_scheduled = true;
        self->send(self, close_group_atom::value);
      }
      return st.recoveries.back().promise;
    },
    [=](freeze_atom, const std::string& dir) -> caf::result<std::string> {
      auto& st = self->state;
      st.frozen = 0;
      if (!commit(self))
        return caf::make_error(caf::sec::runtime_error, "the journal failed");
      auto copy = savepoint::copy_journal(st.journal->file(), dir);
      if (!copy)
        return caf::make_error(caf::sec::runtime_error, copy.error().message());
      st.frozen = ++st.freezes;
      self->delayed_send(self, freeze_limit, thaw_atom::value, st.frozen);
      return copy->string();
    },
    [=](thaw_atom) { thaw(self, self->state.frozen); },
    [=](thaw_atom, uint64_t freeze) {
      if (freeze == self->state.frozen) {
        log::journal()->warn("journal {} was frozen for a savepoint longer than {} s: it commits again",
                             self->state.journal->file().string(), freeze_limit.count());
        thaw(self, freeze);
      }
    },
  };
}

} // namespace

caf::actor spawn_journal(caf::actor_system& sys, std::shared_ptr<journal::sqlite_journal> j) {
  return sys.spawn<caf::detached>(journal_behavior, std::move(j));
}

} // namespace eddy::actors
