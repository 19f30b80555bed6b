// The other node of test/actors/link_messages.test.cpp: publishes an actor
// that answers every link and cluster message with itself, on 127.0.0.1 at a port the
// OS chooses, prints that port on a line of stdout and serves until killed.

#include <signal.h>
#include <sys/prctl.h>

#include <iostream>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "cluster/cluster_messages.hpp"
#include "link_types.hpp"
#include "protocol.hpp"

using namespace eddy::actors;

namespace {

caf::behavior echo() {
  return {
    [](frame_msg& m) { return std::move(m); },
    [](frame_ack_msg& m) { return std::move(m); },
    [](greeting_msg& m) { return std::move(m); },
    [](cluster::join_msg& m) { return std::move(m); },
    [](cluster::refused_msg& m) { return std::move(m); },
    [](cluster::welcome_msg& m) { return std::move(m); },
    [](cluster::exchanges_msg& m) { return std::move(m); },
    [](cluster::peers_msg& m) { return std::move(m); },
  };
}

} // namespace

int main() {
  // The test's guard kills the peer, but not when the test itself crashes:
  // then the kernel does (Linux only).
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  caf::actor_system_config cfg;
  add_link_message_types(cfg);
  cluster::add_cluster_message_types(cfg);
  cfg.load<caf::io::middleman>();
  caf::actor_system sys{cfg};
  // main keeps the only strong handle: the published actor lives as long as the process.
  auto echoer = sys.spawn(echo);
  auto port = sys.middleman().publish(echoer, 0, "127.0.0.1", true);
  if (!port) {
    std::cerr << "link_echo_peer: cannot publish: " << sys.render(port.error()) << std::endl;
    return 1;
  }
  std::cout << *port << std::endl;
  sys.await_all_actors_done(); // the echo never quits: serve until SIGKILL
}
