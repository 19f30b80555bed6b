#pragma once

// Persist before effect (DESIGN.md invariant 2): the acks and outputs of a
// group of inputs leave only once its journal entry is durable, so they
// wait here with the entry, in the order the journal makes them durable.
// (Outputs to keyed stages on the same journal leave at once and wait
// nowhere: partition_actor.hpp, release_early.)

#include <cstdint>
#include <deque>
#include <vector>

#include "eddy/time.hpp"
#include "protocol.hpp"
#include "records_codec.hpp"

namespace eddy::actors {

/// A journal entry on its way to disk: what it releases once durable.
struct in_flight_entry {
  uint64_t seq = 0;
  std::vector<input_seq> acks;
  std::vector<target_batch> outputs;
  int64_t watermark = min_time; ///< released with the outputs, never before them
};

/// The entries of one partition written and not yet durable, oldest first.
/// Plain C++, owned by one partition actor; not thread-safe.
class in_flight_entries {
public:
  bool empty() const noexcept {
    return entries_.empty();
  }

  void push(in_flight_entry&& e) {
    entries_.push_back(std::move(e));
  }

  /// A group with nothing to journal moved the watermark to `wm`: it rides
  /// on the newest entry, never ahead of the outputs that entry holds back.
  /// Returns false if no entry is in flight (the watermark may go now).
  bool carry(int64_t wm) {
    if (entries_.empty())
      return false;
    entries_.back().watermark = wm;
    return true;
  }

  /// The journal made every entry up to `seq` durable: hands each to
  /// `release`, oldest first, and forgets it.
  template <class F>
  void durable(uint64_t seq, F&& release) {
    while (!entries_.empty() && entries_.front().seq <= seq) {
      release(entries_.front());
      entries_.pop_front();
    }
  }

  /// Calls `fn(const target_batch&)` for every output held back, oldest
  /// first: a snapshot keeps them, since it is taken at the newest entry's
  /// seq and recovery replays none of these entries.
  template <class F>
  void for_each_output(F&& fn) const {
    for (auto& e : entries_)
      for (auto& tb : e.outputs)
        fn(tb);
  }

private:
  std::deque<in_flight_entry> entries_;
};

} // namespace eddy::actors
