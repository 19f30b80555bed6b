#pragma once

// An open-loop Nexmark source for latency measurements: it delivers events
// at a fixed rate of wall-clock time, stamping each with the wall-clock time
// at which it is due, so event time = wall time and a result's latency can be
// read off the clock.

#include <chrono>
#include <cstdint>
#include <memory>

#include "eddy/connectors/nexmark/generator.hpp"
#include "eddy/source.hpp"

namespace eddy::connectors::nexmark {

/// Returns a replayable source that delivers events 0 … config.events - 1 at
/// `config.rate` events per second of wall-clock time, open loop: event n is
/// due at `start + n / rate` seconds whether or not the job kept up.
///
/// `start` is `start_ms` if given (above 0), else the wall clock
/// (system_clock, ms) when the source is first opened. With
/// `config.events` = UINT64_MAX it never finishes (`nexmark run` without
/// `--events`). Event n is generate(config', n) with config'.base_time_ms = start,
/// so its `date_time` is `start + floor(n * 1000 / rate)` ms (an auction's
/// `expires` moves with it) and equals the wall time at which it is due, to
/// the millisecond. Events are in time order, so a watermark delay of 0 is
/// right for them.
///
/// read(max, fn) delivers every event due by now, up to `max`; when none is
/// due it sleeps until the next one is (at most about 1 ms, so the source
/// actor's mailbox is not starved) and delivers what is due then, possibly
/// nothing. It never spins. With a `tick` above zero, "now" is rounded down
/// to a multiple of `tick` after the start: events are released in groups,
/// one per tick (fewer, larger reads; up to one tick of added delay).
///
/// Position: "n@start" (the next event and the start in epoch ms), so a
/// restarted job replays the same events with the same times (the ones that
/// are already due arrive at once). open("") starts at event 0 and takes the
/// current wall clock as start. One split only: its start is taken from the
/// wall clock when it is first opened, and stride splits would each take a
/// different one (they would need a start fixed in the configuration).
/// Owned by one source actor; not thread-safe.
std::unique_ptr<eddy::source<event>> paced_source(generator_config config,
                                                  std::chrono::microseconds tick
                                                  = std::chrono::microseconds{0},
                                                  int64_t start_ms = 0);

} // namespace eddy::connectors::nexmark
