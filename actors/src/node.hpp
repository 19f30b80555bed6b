#pragma once

#include <map>
#include <memory>
#include <optional>
#include <vector>

#include <caf/all.hpp>

#include "eddy/job.hpp"
#include "eddy/journal/sqlite_journal.hpp"
#include "job_layout.hpp"
#include "message_counters.hpp"
#include "placement.hpp"
#include "plan.hpp"

namespace eddy::actors {

/// What one node needs to run its share of a job.
struct node_setup {
  job* j = nullptr;
  std::shared_ptr<const plan> the_plan;
  placement where;
  uint32_t node = 0; ///< this node's number in `where`
  uint32_t home = 0; ///< whose journal `journal` is: runs the exchanges of `node` with this home
  job_layout layout;
  std::shared_ptr<journal::sqlite_journal> journal; ///< this node's state
  caf::actor reports_to; ///< gets done, failed and progress from the node's actors
  std::shared_ptr<message_counters> counters;
  /// The cluster epoch of this node's actors: the generation it was placed
  /// in (0 in the local mode). Their frames, acks and greetings carry it,
  /// and their peers ignore an older one from the same instance.
  uint32_t epoch = 0;
};

/// The runtime actors of one node with one journal: the journal actor, and
/// the sources, keyed exchanges (with their supervisors and partitions) and
/// sinks `where` places on the node with their state in that journal (a
/// worker that took over a lost one's tasks runs one of these per journal).
/// The partitions spawn and recover at once, while a cluster still places
/// the rest (their messages wait in their exchange until it is connected);
/// sources and sinks start in a second step, so that every keyed exchange
/// of every node knows its peers before anything sends to it. `self`
/// monitors every actor spawned here.
class node_actors {
public:
  /// Spawns the journal, and the sources, keyed exchanges and sinks of this
  /// node, waiting for their peers; spawns the partitions, which recover.
  node_actors(caf::scoped_actor& self, node_setup setup);

  /// This node's exchanges by plan::exchange_id; null where another node runs it.
  const std::vector<caf::actor>& exchanges() const noexcept {
    return local_;
  }

  /// Tells the node's actors every exchange of the plan (by exchange id).
  /// The first time, its keyed exchanges: from now on they take frames and
  /// greetings. Again later, after exchanges of other nodes moved: every
  /// actor that was told before, so it sends to where they are now.
  void connect(caf::scoped_actor& self, const std::vector<caf::actor>& all);

  /// Tells the sources and sinks every exchange, so they start. Once: a
  /// node that runs on across a failover is not started again. True if
  /// every partition had recovered already: the node has just become
  /// recovered (see recovered()).
  bool start(caf::scoped_actor& self, const std::vector<caf::actor>& all);

  /// Counts the recovered_atom of supervisor `from`, with its `key_groups`.
  /// True when the node has just become recovered: every partition has its
  /// state back and the node was started, so their exchanges were
  /// connected and greeted their producers. True once.
  bool recovered(const caf::actor_addr& from, uint32_t key_groups);

  /// The key groups of this node, once recovered() was true.
  uint32_t recovered_key_groups() const noexcept {
    return recovered_key_groups_;
  }

  /// Whose journal this node's state is in.
  uint32_t home() const noexcept {
    return setup_.home;
  }

  /// Whether `where` places on this node exactly the exchanges it runs:
  /// then it runs on unchanged when the placement changes.
  bool runs_exactly(const placement& where) const;

  /// The journal actor of this node's state (savepoint/ freezes it).
  const caf::actor& journal() const noexcept {
    return journal_;
  }

  /// The operator supervisor of keyed exchange `id` (plan::exchange_id),
  /// once start() spawned it; null if this node does not run it.
  caf::actor supervisor(uint32_t id) const;

  /// Source instances on this node.
  size_t sources() const noexcept {
    return sources_.size();
  }

  /// Pauses (a stop with savepoint) or resumes this node's sources.
  void pause_sources(caf::scoped_actor& self, bool paused);

  /// Sinks on this node: each says done_atom once.
  size_t sinks() const noexcept {
    return sinks_.size();
  }

  /// Kills every actor of the node, the journal last: pending groups are
  /// lost, as they would be in a crash. Returns the actors killed.
  std::vector<caf::actor_addr> stop(caf::scoped_actor& self);

  /// The exchange id of `sink` if it is one of this node's sinks.
  std::optional<uint32_t> sink_id(const caf::actor_addr& sink) const;

private:
  /// Whether this node runs exchange `id`.
  bool runs(uint32_t id) const {
    return setup_.where.node_of(id) == setup_.node && setup_.where.home_of(id) == setup_.home;
  }

  void spawn_partitions(caf::scoped_actor& self);

  /// Started, and every supervisor said its partitions recovered.
  bool recovered_and_started() const noexcept {
    return started_ && !supervisors_.empty() && recovered_supervisors_ == supervisors_.size();
  }

  node_setup setup_;
  size_t instance_window_ = 0;
  caf::actor journal_;
  std::vector<caf::actor> local_; ///< by exchange id
  std::vector<caf::actor> sources_, keyed_, sinks_;
  std::map<uint32_t, caf::actor> supervisors_; ///< by the exchange id of their instance
  bool connected_ = false, started_ = false;
  size_t recovered_supervisors_ = 0;
  uint32_t recovered_key_groups_ = 0;
};

} // namespace eddy::actors
