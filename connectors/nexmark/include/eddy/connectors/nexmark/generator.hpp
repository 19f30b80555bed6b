#pragma once

// The Nexmark event generator (after nexmark/nexmark's Flink generator):
// event n is a pure function of the configuration and n, so a source over it
// replays exactly from any position.

#include <cstdint>
#include <memory>

#include "eddy/connectors/nexmark/events.hpp"
#include "eddy/source.hpp"

namespace eddy::connectors::nexmark {

/// What to generate. A plain value; copy freely.
struct generator_config {
  /// Number of events; the source finishes after event `events - 1`.
  uint64_t events = 0;
  /// Different seeds give different (but equally shaped) event streams.
  uint64_t seed = 0;
  /// Events per second of event time: event n is stamped
  /// `base_time_ms + floor(n * 1e6 / rate) / 1000`.
  uint64_t rate = 10'000'000;
  /// Event time of event 0 (2020-01-01T00:00:00Z), fixed so runs repeat.
  int64_t base_time_ms = 1'577'836'800'000;
};

/// Returns the event time of event `n`, in epoch milliseconds.
int64_t timestamp_of(const generator_config& config, uint64_t n);

/// Returns event `n` (0-based); the same config and `n` always give the same
/// event. Event `n` is a person if n mod 50 < 1, an auction if < 4, else a bid.
event generate(const generator_config& config, uint64_t n);

/// A replayable source of events 0 … config.events - 1. Its position is the
/// number of the next event as decimal text; open("") starts at 0.
///
/// Splits by event-number stride: splits(n) is "0/n", "1/n", … "n-1/n", and
/// the reader of "i/n" generates events i, i + n, i + 2n, … (each exactly
/// generate(config, number), so the splits together give exactly the events
/// of the whole source, with the same ids, fields and timestamps); its
/// position is the number of its next event, which open() requires to be
/// congruent to i mod n. Each split's events are in time order.
std::unique_ptr<eddy::source<event>> source(generator_config config);

} // namespace eddy::connectors::nexmark
