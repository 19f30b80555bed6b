#pragma once

// The messages between a coordinator and its workers (README.md here has
// the sequence). They cross nodes: each has an `inspect` overload listing
// every field, and add_cluster_message_types() registers them; the
// two-process round trip in test/actors/link_messages.test.cpp covers them.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/all.hpp>

namespace eddy::actors::cluster {

/// worker → coordinator: runs the same job (`fingerprint`), keeps its state
/// in `state_dir`, and takes connections from its peers at host:port.
/// `agent` is the worker's node agent, which the coordinator monitors.
struct join_msg {
  std::string fingerprint;
  std::string state_dir;
  std::string host;
  uint32_t port = 0;
  caf::actor agent;
};

/// coordinator → worker: it may not join; `why` says what differs.
struct refused_msg {
  std::string why;
};

/// coordinator → worker, once enough workers joined, and again for every
/// new generation of the job (after a worker was lost or joined): its
/// number, the job's layout (splits and sink instances, fixed at the job's
/// first start), where every worker listens (port 0: not alive), the
/// journal directory of every slice (`state_dirs`), and the placement (by
/// plan::exchange_id: the worker that runs it and the slice whose journal
/// holds its state). A worker stops what moved away from it first.
struct welcome_msg {
  uint32_t generation = 0;
  uint32_t worker = 0;
  uint32_t workers = 0;
  uint32_t split_hint = 1;
  std::vector<std::string> splits;
  std::vector<uint32_t> sink_instances;
  std::vector<std::string> hosts;
  std::vector<uint32_t> ports;
  std::vector<std::string> state_dirs;
  std::vector<uint32_t> nodes;
  std::vector<uint32_t> homes;
};

/// worker → coordinator: connected to the workers numbered below it and
/// spawned its exchanges (by plan::exchange_id; null where another worker runs one).
struct exchanges_msg {
  uint32_t generation = 0;
  uint32_t worker = 0;
  std::vector<caf::actor> exchanges;
};

/// coordinator → workers: every exchange of the plan. A worker connects its
/// keyed exchanges to them and answers (ready_atom, worker).
struct peers_msg {
  std::vector<caf::actor> exchanges;
};

/// (ready_atom, uint32 generation, uint32 worker): its keyed exchanges know all their peers.
using ready_atom = caf::atom_constant<caf::atom("ready")>;
/// (go_atom, uint32 generation): every keyed exchange of the cluster is
/// ready: start sources, sinks and partitions.
using go_atom = caf::atom_constant<caf::atom("go")>;
// Reports a worker forwards from its actors, stamped with the generation:
// (done_atom, uint32 generation, uint32 sink exchange id, uint64 records),
// (failed_atom, uint32 generation, std::string why),
// (progress_atom, uint32 source instance, uint64 values).
/// (link_lost_atom, uint32 generation, uint32 peer): worker → coordinator:
/// its connection to worker `peer` closed. The coordinator's own
/// (link_lost_atom, uint32 reporter, uint32 peer, actor_addr reporter's
/// agent, actor_addr peer's agent), sent to itself a peer timeout later,
/// checks whether both still run as the same incarnations: then the link dropped between two live workers, whose actors can
/// no longer reach each other (CAF 0.17 does not reconnect), and the
/// reporter is stopped so that its slices fail over.
using link_lost_atom = caf::atom_constant<caf::atom("linklost")>;
/// (stop_atom, int32 exit code, std::string why): the job ended or failed; stop and exit.
using stop_atom = caf::atom_constant<caf::atom("stop")>;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, join_msg& x) {
  return f(caf::meta::type_name("eddy.join"), x.fingerprint, x.state_dir, x.host, x.port, x.agent);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, refused_msg& x) {
  return f(caf::meta::type_name("eddy.refused"), x.why);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, welcome_msg& x) {
  return f(caf::meta::type_name("eddy.welcome"), x.generation, x.worker, x.workers, x.split_hint,
           x.splits, x.sink_instances, x.hosts, x.ports, x.state_dirs, x.nodes, x.homes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, exchanges_msg& x) {
  return f(caf::meta::type_name("eddy.exchanges"), x.generation, x.worker, x.exchanges);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, peers_msg& x) {
  return f(caf::meta::type_name("eddy.peers"), x.exchanges);
}

/// Registers the messages above with `cfg`.
void add_cluster_message_types(caf::actor_system_config& cfg);

} // namespace eddy::actors::cluster
