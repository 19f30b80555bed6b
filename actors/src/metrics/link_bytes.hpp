#pragma once

// Bytes between nodes, counted where frames leave and arrive: the record
// bytes of their batches (what dominates a frame; the wire adds CAF's and
// the frame's own few bytes per batch).

#include <caf/actor.hpp>
#include <caf/node_id.hpp>

#include "metrics/catalog.hpp"
#include "protocol.hpp"

namespace eddy::actors::metrics {

inline double record_bytes(const frame_msg& f) {
  size_t n = 0;
  for (auto& b : f.batches)
    if (b.batch)
      n += b.batch->data.size();
  return static_cast<double>(n);
}

/// Counts frame `f` as sent to another node when `to` lives on one.
inline void frame_sent(const frame_msg& f, const caf::actor& to, const caf::node_id& here) {
  if (to && to.node() != here)
    sent_bytes().add(record_bytes(f));
}

/// Counts frame `f` as received from another node when `from` lives on one.
inline void frame_received(const frame_msg& f, const caf::strong_actor_ptr& from,
                           const caf::node_id& here) {
  if (from && from->node() != here)
    received_bytes().add(record_bytes(f));
}

} // namespace eddy::actors::metrics
