#pragma once

#include <memory>

#include <caf/actor.hpp>

#include "message_counters.hpp"
#include "plan.hpp"

namespace eddy::actors {

/// What an exchange needs: its place in the plan and the watermark settings.
struct exchange_config {
  std::shared_ptr<const plan> the_plan;
  uint32_t stage = 1;          ///< a keyed stage
  uint32_t instance = 0;
  int64_t idle_timeout_ms = 0;
  int64_t watermark_interval_ms = 5;
  std::shared_ptr<message_counters> counters = std::make_shared<message_counters>(0); ///< counts nothing unless the run gives its own
  uint32_t epoch = 0;          ///< its cluster epoch (transport/epoch_fence.hpp)
};

/// Spawns the exchange of one keyed operator instance: the only way in and
/// out for the logical channels of its key groups. It splits the frames of
/// producer instances into one delivery per local partition and multiplexes
/// the partitions' outputs into one frame per consumer instance; it keeps
/// released outputs until they are acknowledged, redelivers on greetings
/// (and to instances silent past retransmit_after_ms), coalesces acks, and
/// forwards watermarks per instance, never ahead of the data before them.
/// It learns each partition's current handle from its hello. Expects
/// (init_atom, exchanges) before anything else.
caf::actor spawn_exchange(caf::actor_system& sys, exchange_config cfg);

} // namespace eddy::actors
