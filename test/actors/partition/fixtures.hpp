#pragma once

// Shared fixtures of the partition tests: a user logic that keeps its state
// as a string and logs every change, and batches with given seqs. The
// partition's units are plain C++: nothing here needs CAF, and time is
// whatever a test says it is.

#include <cstdint>
#include <string>
#include <string_view>

#include "eddy/dataflow/batch.hpp"
#include "eddy/dataflow/output_port.hpp"
#include "eddy/dataflow/partition_logic.hpp"
#include "eddy/detail/json_writer.hpp"
#include "eddy/time.hpp"

namespace eddy::test {

/// `count` records with seqs from `first_seq`, each with payload `payload`.
inline dataflow::record_batch records(uint64_t first_seq, uint32_t count,
                                      std::string_view payload = "x",
                                      int64_t watermark = min_time) {
  dataflow::record_batch b;
  for (uint32_t i = 0; i < count; ++i)
    b.append("k", static_cast<int64_t>(first_seq + i), payload);
  b.first_seq = first_seq;
  b.watermark = watermark;
  return b;
}

/// A user logic whose state is the payloads it processed, back to back; its
/// change log is the same bytes, so replaying the log rebuilds the state.
/// Each record is echoed to output edge 0, consumer 0.
class echo_logic final : public dataflow::partition_logic {
public:
  explicit echo_logic(dataflow::output_port* port = nullptr) : port_(port) {
  }

  void process(const dataflow::record_view& r) override {
    state += r.payload;
    log_ += r.payload;
    if (port_)
      port_->push(0, 0, r.key, r.time, r.payload);
  }
  void advance_watermark(int64_t wm) override {
    fired_up_to = wm;
  }
  void fire_processing_timers(int64_t) override {
  }
  int64_t next_processing_timer() const override {
    return max_time;
  }
  void take_log(std::string& out) override {
    out += log_;
    log_.clear();
  }
  void logging(bool) override {
  }
  void apply_log(std::string_view log) override {
    state += log;
  }
  void snapshot(std::string& out) const override {
    out += state;
  }
  void restore(std::string_view bytes) override {
    state = std::string{bytes};
  }
  size_t key_count() const override {
    return state.size();
  }
  std::vector<std::pair<std::string, std::string>> states() const override {
    return {{"echoes", "string"}};
  }
  std::string state_json(std::string_view) const override {
    return "{\"echoes\":" + eddy::detail::to_json(state) + "}"; // one state for all keys
  }

  std::string state;
  int64_t fired_up_to = min_time;

private:
  dataflow::output_port* port_;
  std::string log_;
};

} // namespace eddy::test
