#include "metrics/catalog.hpp"

#include <chrono>
#include <cmath>

#include "eddy/time.hpp"

namespace eddy::actors::metrics {

namespace {

const std::vector<double> latency_buckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                             0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5,
                                             5,      10};
const std::vector<double> size_buckets = {256,     1024,     4096,      16384,     65536,    262144,
                                          1048576, 4194304,  16777216,  67108864,  268435456};
const std::vector<double> recovery_buckets = {0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5,
                                              1,     2.5,   5,    10,   30,  60};

double wall_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

} // namespace

instance_metrics instance_of(const std::string& op, uint32_t instance, instance_role role) {
  auto& reg = process_registry();
  labels l{{"operator", op}, {"instance", std::to_string(instance)}};
  instance_metrics m;
  m.records_in = &reg.counter_of("eddy_records_in_total",
                                 "Records an operator instance took in (after de-duplication).", l);
  m.records_out = &reg.counter_of("eddy_records_out_total",
                                  "Records an operator instance sent on or wrote.", l);
  if (role == instance_role::sink)
    return m;
  m.backpressured_seconds = &reg.counter_of(
    "eddy_backpressured_seconds_total",
    "Seconds producers of an operator instance waited for credit (summed over its partitions).", l);
  m.watermark_seconds = &reg.gauge_of(
    "eddy_watermark_seconds", "Event-time watermark of an operator instance (Unix seconds).", l);
  if (role == instance_role::keyed) {
    m.late_dropped = &reg.counter_of(
      "eddy_late_records_dropped_total",
      "Records a window operator instance dropped as late (no late output set).", l);
    m.restarts = &reg.counter_of("eddy_partition_restarts_total",
                                 "Partitions of an operator instance restarted after a failure.", l);
  }
  auto* wm = m.watermark_seconds;
  reg.gauge_fn_of("eddy_watermark_lag_seconds",
                  "Seconds the watermark of an operator instance is behind the wall clock.", l,
                  [wm]() -> std::optional<double> {
                    if (std::isnan(wm->value()))
                      return std::nullopt;
                    return wall_seconds() - wm->value();
                  });
  return m;
}

void watermark(const instance_metrics& m, int64_t wm_ms) noexcept {
  if (wm_ms != min_time && wm_ms != max_time)
    m.watermark_seconds->set(static_cast<double>(wm_ms) / 1000);
}

counter& sent_bytes() {
  static auto& c = process_registry().counter_of(
    "eddy_sent_bytes_total", "Record bytes in frames sent to operator instances on other nodes.");
  return c;
}

counter& received_bytes() {
  static auto& c = process_registry().counter_of(
    "eddy_received_bytes_total",
    "Record bytes in frames received from operator instances on other nodes.");
  return c;
}

histogram& journal_commit_seconds() {
  static auto& h = process_registry().histogram_of(
    "eddy_journal_commit_seconds",
    "Seconds one group commit of a journal took (one SQLite transaction).", latency_buckets);
  return h;
}

histogram& snapshot_seconds(const std::string& op) {
  return process_registry().histogram_of("eddy_snapshot_duration_seconds",
                                         "Seconds a partition took to encode a snapshot.",
                                         latency_buckets, {{"operator", op}});
}

histogram& snapshot_bytes(const std::string& op) {
  return process_registry().histogram_of("eddy_snapshot_size_bytes",
                                         "Bytes of one partition snapshot.", size_buckets,
                                         {{"operator", op}});
}

histogram& recovery_seconds(const std::string& op) {
  return process_registry().histogram_of(
    "eddy_partition_recovery_seconds",
    "Seconds from a partition's start until its state was recovered from the journal.",
    recovery_buckets, {{"operator", op}});
}

histogram& move_recovery_seconds() {
  static auto& h = process_registry().histogram_of(
    "eddy_move_recovery_seconds",
    "Seconds from a worker's loss or join until every key group moved for it had recovered.",
    recovery_buckets);
  return h;
}

gauge& partitions(const std::string& op) {
  return process_registry().gauge_of("eddy_partitions",
                                     "Key groups of an operator whose partitions run on this node.",
                                     {{"operator", op}});
}

gauge& workers_up() {
  static auto& g = process_registry().gauge_of("eddy_workers_up",
                                               "Workers joined to the coordinator and alive.");
  return g;
}

} // namespace eddy::actors::metrics
