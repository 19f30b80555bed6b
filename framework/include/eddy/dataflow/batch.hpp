#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "eddy/codec.hpp"

namespace eddy::dataflow {

/// One record as it travels: canonical key bytes, event time, payload bytes.
struct record_view {
  std::string_view key;
  int64_t time = 0;
  std::string_view payload;
};

/// Records of one channel in one contiguous buffer: the unit that travels
/// between actors and into journal entries. Record `i` carries channel seq
/// `first_seq + i`. Layout per record, back to back:
/// `varint key_size, varint payload_size, varint zigzag(time), key, payload`.
/// A value type; not thread-safe.
struct record_batch {
  uint64_t first_seq = 0;
  uint32_t count = 0;
  std::string data;
  /// The producer's watermark after these records (not journaled: after a
  /// restart producers send their watermarks anew).
  int64_t watermark = std::numeric_limits<int64_t>::min();

  bool empty() const noexcept {
    return count == 0;
  }
  /// Seq of the last record (first_seq - 1 when empty).
  uint64_t last_seq() const noexcept {
    return first_seq + count - 1;
  }

  void append(std::string_view key, int64_t time, std::string_view payload) {
    writer w{data};
    w.varint(key.size());
    w.varint(payload.size());
    w.varint((static_cast<uint64_t>(time) << 1) ^ static_cast<uint64_t>(time >> 63));
    data.append(key);
    data.append(payload);
    ++count;
  }

  /// Calls `fn(seq, record_view)` for each record, in order.
  template <class F>
  void for_each(F&& fn) const {
    reader r{data};
    for (uint32_t i = 0; i < count; ++i) {
      auto key_size = r.varint();
      auto payload_size = r.varint();
      auto zz = r.varint();
      auto time = static_cast<int64_t>((zz >> 1) ^ (~(zz & 1) + 1));
      auto key = r.bytes(key_size);
      auto payload = r.bytes(payload_size);
      fn(first_seq + i, record_view{key, time, payload});
    }
  }
};

} // namespace eddy::dataflow
