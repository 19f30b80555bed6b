#pragma once

#include <memory>

#include <caf/fwd.hpp>

#include "eddy/journal/sqlite_journal.hpp"

namespace eddy::actors {

/// Spawns the node's journal actor (detached: it blocks on SQLite and fsync).
/// It stages every append and snapshot it receives and commits them as one
/// group when its mailbox runs dry or the group is large, then tells each
/// sender `(durable_atom, pid, seq, status)`. Recovery requests commit the
/// pending group first, so a successor reads everything its predecessor wrote.
/// Fails (exits with an error) when SQLite fails.
caf::actor spawn_journal(caf::actor_system& sys, std::shared_ptr<journal::sqlite_journal> j);

} // namespace eddy::actors
