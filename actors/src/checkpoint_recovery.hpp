#pragma once

#include <string>
#include <vector>

#include <caf/all.hpp>

#include "eddy/journal/sqlite_journal.hpp"
#include "protocol.hpp"
#include "records_codec.hpp"

namespace eddy::actors {

/// Asks the journal for the checkpoint of `pid` (a source or a sink, which
/// keep only a snapshot), then calls `on_ok(epoch, snapshot_seq, checkpoint)`
/// (an empty checkpoint when there is none) or `on_fail(text)`. The caller's
/// behavior says what happens to inputs meanwhile.
template <class Actor, class OnOk, class OnFail>
void recover_checkpoint(Actor* self, const caf::actor& journal, journal::partition_id pid,
                        OnOk on_ok, OnFail on_fail) {
  self->request(journal, caf::infinite, recover_atom::value, pid)
    .then(
      [=](uint64_t epoch, const std::string& snapshot, uint64_t snapshot_seq,
          const std::vector<std::string>&, uint64_t) {
        checkpoint_record c;
        if (!snapshot.empty()) {
          try {
            c = decode_checkpoint(snapshot);
          } catch (const std::exception& e) {
            return on_fail(std::string{"its checkpoint is corrupt: "} + e.what());
          }
        }
        on_ok(epoch, snapshot_seq, c);
      },
      [=](caf::error& err) { on_fail("recovery failed: " + self->system().render(err)); });
}

} // namespace eddy::actors
