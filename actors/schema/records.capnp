# What the runtime writes into the journal. Every body in the journal's
# `entries` and `snapshots` tables is one of these messages, flat-array
# encoded (unpacked). See actors/src/FORMAT.md.
@0xc4a5f1d2e3b49687;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("eddy::actors::schema");

# A logical channel's position, kept by one of its ends: `peer` names the
# channel by its other end (each list below says which number it holds).
# Renamed from `channel` without a change on disk: Cap'n Proto stores
# ordinals, not names.
struct Position {
  peer @0 :UInt64;
  seq @1 :UInt64;
}

struct Batch {
  target @0 :UInt32;    # consumer index: key group, or 0 for a sink
  firstSeq @1 :UInt64;
  count @2 :UInt32;
  records @3 :Data;     # eddy::dataflow::record_batch::data
}

# One journal entry of a keyed partition: what one group of inputs changed.
struct Entry {
  stateLog @0 :Data;            # state operations or domain events
  inputs @1 :List(Position);    # peer: producer partition id; highest applied seq
  outputs @2 :List(Batch);      # the outbox, with channel seqs
  acked @3 :List(Position);     # peer: consumer index; highest acknowledged seq
}

# The whole state of a keyed partition as of its journal entry `seq`.
struct Snapshot {
  state @0 :Data;
  inputs @1 :List(Position);    # as in Entry
  nextSeqs @2 :List(Position);  # peer: consumer index; next seq to assign
  acked @3 :List(Position);     # as in Entry
  outbox @4 :List(Batch);       # outputs not acknowledged yet
}

# A source's read position, or a sink's committed position, with its channels:
# for a source peer = consumer index and the next seq, for a sink peer =
# producer index and the highest written seq.
struct Checkpoint {
  position @0 :Data;
  channels @1 :List(Position);
}
