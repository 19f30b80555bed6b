#include "records_codec.hpp"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>
#include <kj/io.h>

#include "eddy/actors/schema/records.capnp.h"
#include "eddy/codec.hpp"

namespace eddy::actors {

namespace {

capnp::Data::Reader as_data(std::string_view s) {
  return {reinterpret_cast<const kj::byte*>(s.data()), s.size()};
}

std::string_view as_view(capnp::Data::Reader d) {
  return {reinterpret_cast<const char*>(d.begin()), d.size()};
}

template <class Builder>
void set_positions(Builder list_builder, const std::vector<position>& xs) {
  for (size_t i = 0; i < xs.size(); ++i) {
    list_builder[i].setPeer(xs[i].peer);
    list_builder[i].setSeq(xs[i].seq);
  }
}

template <class Reader>
std::vector<position> get_positions(Reader list) {
  std::vector<position> result;
  result.reserve(list.size());
  for (auto p : list)
    result.push_back({p.getPeer(), p.getSeq()});
  return result;
}

template <class Builder>
void set_batches(Builder list_builder, const std::vector<target_batch>& xs) {
  for (size_t i = 0; i < xs.size(); ++i) {
    auto b = list_builder[i];
    b.setTarget(xs[i].target);
    b.setFirstSeq(xs[i].batch.first_seq);
    b.setCount(xs[i].batch.count);
    b.setRecords(as_data(xs[i].batch.data));
  }
}

template <class Reader>
std::vector<target_batch> get_batches(Reader list) {
  std::vector<target_batch> result;
  result.reserve(list.size());
  for (auto b : list) {
    target_batch tb;
    tb.target = b.getTarget();
    tb.batch.first_seq = b.getFirstSeq();
    tb.batch.count = b.getCount();
    tb.batch.data = std::string{as_view(b.getRecords())};
    result.push_back(std::move(tb));
  }
  return result;
}

/// The flat-array serialization of `msg`, written straight into the string.
std::string to_string(capnp::MessageBuilder& msg) {
  std::string out(capnp::computeSerializedSizeInWords(msg) * sizeof(capnp::word), '\0');
  kj::ArrayOutputStream stream{kj::arrayPtr(reinterpret_cast<kj::byte*>(out.data()), out.size())};
  capnp::writeMessage(stream, msg);
  return out;
}

/// Words for a builder's first segment that hold `bytes` of blobs and some
/// structure: one segment, so no segment is copied twice.
unsigned first_segment_words(size_t bytes) {
  return static_cast<unsigned>(bytes / sizeof(capnp::word) + 256);
}

size_t batch_bytes(const std::vector<target_batch>& xs) {
  size_t n = 0;
  for (auto& x : xs)
    n += x.batch.data.size() + 64;
  return n;
}

/// Reads a flat-array message from `bytes`, copying into aligned memory when
/// needed, and calls `fn` with its root of type `T`; converts kj exceptions.
template <class T, class F>
auto with_root(std::string_view bytes, F&& fn) {
  if (bytes.size() % sizeof(capnp::word) != 0)
    throw decode_error("journal record size " + std::to_string(bytes.size())
                       + " is not a whole number of words");
  kj::Array<capnp::word> copy;
  kj::ArrayPtr<const capnp::word> words;
  if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(capnp::word) == 0) {
    words = {reinterpret_cast<const capnp::word*>(bytes.data()), bytes.size() / sizeof(capnp::word)};
  } else {
    copy = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
    std::memcpy(copy.begin(), bytes.data(), bytes.size());
    words = copy;
  }
  try {
    capnp::ReaderOptions options;
    options.traversalLimitInWords = uint64_t{1} << 40;
    capnp::FlatArrayMessageReader reader{words, options};
    return fn(reader.getRoot<T>());
  } catch (const kj::Exception& e) {
    throw decode_error(std::string{"malformed journal record: "} + e.getDescription().cStr());
  }
}

} // namespace

std::string encode(const entry_record& x) {
  capnp::MallocMessageBuilder msg{first_segment_words(x.state_log.size() + batch_bytes(x.outputs))};
  auto root = msg.initRoot<schema::Entry>();
  root.setStateLog(as_data(x.state_log));
  set_positions(root.initInputs(x.inputs.size()), x.inputs);
  set_batches(root.initOutputs(x.outputs.size()), x.outputs);
  set_positions(root.initAcked(x.acked.size()), x.acked);
  return to_string(msg);
}

std::string encode(const snapshot_record& x) {
  capnp::MallocMessageBuilder msg{first_segment_words(x.state.size() + batch_bytes(x.outbox))};
  auto root = msg.initRoot<schema::Snapshot>();
  root.setState(as_data(x.state));
  set_positions(root.initInputs(x.inputs.size()), x.inputs);
  set_positions(root.initNextSeqs(x.next_seqs.size()), x.next_seqs);
  set_positions(root.initAcked(x.acked.size()), x.acked);
  set_batches(root.initOutbox(x.outbox.size()), x.outbox);
  return to_string(msg);
}

std::string encode(const checkpoint_record& x) {
  capnp::MallocMessageBuilder msg;
  auto root = msg.initRoot<schema::Checkpoint>();
  root.setPosition(as_data(x.position));
  set_positions(root.initChannels(x.channels.size()), x.channels);
  return to_string(msg);
}

entry_record decode_entry(std::string_view bytes) {
  return with_root<schema::Entry>(bytes, [](schema::Entry::Reader r) {
    entry_record x;
    x.state_log = std::string{as_view(r.getStateLog())};
    x.inputs = get_positions(r.getInputs());
    x.outputs = get_batches(r.getOutputs());
    x.acked = get_positions(r.getAcked());
    return x;
  });
}

snapshot_record decode_snapshot(std::string_view bytes) {
  return with_root<schema::Snapshot>(bytes, [](schema::Snapshot::Reader r) {
    snapshot_record x;
    x.state = std::string{as_view(r.getState())};
    x.inputs = get_positions(r.getInputs());
    x.next_seqs = get_positions(r.getNextSeqs());
    x.acked = get_positions(r.getAcked());
    x.outbox = get_batches(r.getOutbox());
    return x;
  });
}

checkpoint_record decode_checkpoint(std::string_view bytes) {
  return with_root<schema::Checkpoint>(bytes, [](schema::Checkpoint::Reader r) {
    checkpoint_record x;
    x.position = std::string{as_view(r.getPosition())};
    x.channels = get_positions(r.getChannels());
    return x;
  });
}

} // namespace eddy::actors
