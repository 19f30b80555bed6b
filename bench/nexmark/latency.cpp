// Nexmark latency: q5 and q7 in process, fed by an open-loop source that
// stamps every event with the wall-clock time at which it is due (event time
// = wall time), into a file sink (the one `nexmark run` uses: append, then
// fdatasync at every commit). At every commit the sink records, for each row
// written since the previous one, commit time − window end: how long after
// its window closed in event time = wall time a row became durable output.
// The watermark delay is 0: the source is in time order.
//
//   bench_nexmark_latency --rate R [--seconds D] [--queries q5,q7] [--runs N]
//                         [--seed S] [--parallelism P] [--key-groups K] [--tick-us T]
//                         [--watermark-interval-ms T] [--snapshot-interval-ms T] [--snapshot-every N]
//                         [--warmup S] [--dir DIR] [--journal on|off]
//
// --tick-us releases the source's events in groups, one per T µs (default 0:
// each as soon as it is due); --key-groups sets the job's max key groups
// (default: the job's, 128, as `nexmark run`); --watermark-interval-ms the job's
// watermark interval (default: the job's, 5 ms); --snapshot-interval-ms and
// --snapshot-every the job's snapshot policy (default: the job's, 10 s or 1000
// entries); --journal off runs without exactly-once, to see what the journal adds.

#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "eddy/actors/run.hpp"
#include "eddy/connectors/file/lines_out.hpp"
#include "eddy/connectors/nexmark/paced_source.hpp"
#include "nexmark.hpp"
#include "support/bench_util.hpp"
#include "support/histogram.hpp"

namespace fs = std::filesystem;
namespace gen = eddy::connectors::nexmark;

namespace {

int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// What the probes saw; written by the source and sink actors, read after the run.
struct probe_state {
  std::atomic<int64_t> max_delivered_ts{INT64_MIN}; ///< newest date_time delivered, ms
  std::atomic<uint64_t> delivered{0};
  eddy::bench::log_linear_histogram source_lag_us; ///< source actor only: due → delivered
  eddy::bench::log_linear_histogram latency_us;    ///< sink actor only
  uint64_t excluded_end_of_input = 0;              ///< sink actor only
  uint64_t excluded_warmup = 0;                    ///< sink actor only
  std::set<int64_t> windows;                       ///< sink actor only: ends of measured rows
  int64_t start_ms = 0;                            ///< source actor only
};

/// Passes the paced source through and records how late each read delivers
/// the events that were due (the backlog the job left in front of it).
class source_probe final : public eddy::source<gen::event> {
public:
  source_probe(std::unique_ptr<eddy::source<gen::event>> inner, std::shared_ptr<probe_state> st)
      : inner_(std::move(inner)), st_(std::move(st)) {
  }
  std::string name() const override {
    return inner_->name();
  }
  eddy::error check() const override {
    return inner_->check();
  }
  eddy::error open(std::string_view position) override {
    auto err = inner_->open(position);
    auto pos = inner_->position(); // "n@start_ms"
    st_->start_ms = std::stoll(pos.substr(pos.find('@') + 1));
    return err;
  }
  eddy::expected<size_t> read(size_t max,
                              const std::function<void(const gen::event&)>& fn) override {
    int64_t newest = INT64_MIN;
    auto n = inner_->read(max, [&](const gen::event& e) {
      newest = std::visit([](auto& x) { return x.date_time; }, e);
      fn(e);
    });
    if (n && *n > 0) {
      // The last event delivered was due in the millisecond `newest`.
      auto lag = wall_us() - newest * 1000;
      st_->source_lag_us.record(static_cast<uint64_t>(lag < 0 ? 0 : lag));
      st_->max_delivered_ts.store(newest, std::memory_order_release);
      st_->delivered.fetch_add(*n, std::memory_order_relaxed);
    }
    return n;
  }
  bool finished() const override {
    return inner_->finished();
  }
  std::string position() const override {
    return inner_->position();
  }

private:
  std::unique_ptr<eddy::source<gen::event>> inner_;
  std::shared_ptr<probe_state> st_;
};

/// The window end of a q5 row (`start end auction count`) or a q7 row
/// (`start auction bidder price date_time`, 10 s tumbling windows).
int64_t window_end_of(const std::string& query, const std::string& row) {
  int64_t first = 0, second = 0;
  auto tab = row.find('\t');
  std::from_chars(row.data(), row.data() + tab, first);
  if (query == "q7")
    return first + 10'000;
  auto tab2 = row.find('\t', tab + 1);
  std::from_chars(row.data() + tab + 1, row.data() + tab2, second);
  return second;
}

/// Wraps the file sink; after each commit (data written and fdatasync'ed)
/// records commit time − window end for the rows the commit covered. Rows of
/// windows that end after the last event closed only because the input
/// ended, not because time passed them: they are counted, not measured.
class latency_sink final : public eddy::sink<std::string> {
public:
  latency_sink(std::unique_ptr<eddy::sink<std::string>> inner, std::string query, int64_t warmup_ms,
               std::shared_ptr<probe_state> st)
      : inner_(std::move(inner)), query_(std::move(query)), warmup_ms_(warmup_ms),
        st_(std::move(st)) {
  }
  std::string name() const override {
    return inner_->name();
  }
  eddy::error check() const override {
    return inner_->check();
  }
  eddy::expected<std::optional<eddy::sink_marks>> open(std::string_view committed) override {
    pending_.clear();
    return inner_->open(committed);
  }
  eddy::error write(const std::string& row) override {
    pending_.push_back(window_end_of(query_, row));
    return inner_->write(row);
  }
  eddy::expected<std::string> commit(const eddy::sink_marks& marks) override {
    auto position = inner_->commit(marks);
    if (!position)
      return position;
    auto now = wall_us();
    auto newest = st_->max_delivered_ts.load(std::memory_order_acquire);
    for (auto end : pending_) {
      if (end > newest)
        ++st_->excluded_end_of_input;
      else if (end < st_->start_ms + warmup_ms_)
        ++st_->excluded_warmup;
      else {
        st_->latency_us.record(static_cast<uint64_t>(std::max<int64_t>(0, now - end * 1000)));
        st_->windows.insert(end);
      }
    }
    pending_.clear();
    return position;
  }

private:
  std::unique_ptr<eddy::sink<std::string>> inner_;
  std::string query_;
  int64_t warmup_ms_;
  std::shared_ptr<probe_state> st_;
  std::vector<int64_t> pending_; ///< window ends of the rows written since the last commit
};

std::string load_average() {
  FILE* f = std::fopen("/proc/loadavg", "r");
  char buf[64] = {0};
  if (f) {
    if (!std::fgets(buf, sizeof buf, f))
      buf[0] = 0;
    std::fclose(f);
  }
  std::string s{buf};
  auto cut = s.find(' ', s.find(' ', s.find(' ') + 1) + 1);
  return s.substr(0, cut);
}

std::string ms(uint64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", static_cast<double>(us) / 1000.0);
  return buf;
}

} // namespace

int main(int argc, char** argv) {
  uint64_t rate = 0, seed = 1;
  double seconds = 25;
  int runs = 1;
  int64_t warmup_ms = 0;
  uint32_t parallelism = 1, key_groups = 0; // 0: the job's default (128), as `nexmark run`
  int64_t watermark_interval_ms = -1;         // -1: the job's default
  int64_t snapshot_interval_ms = -1, snapshot_every = -1; // -1: the job's defaults
  int64_t tick_us = 0;
  bool journal = true;
  std::vector<std::string> queries = {"q5", "q7"};
  fs::path parent = fs::temp_directory_path();
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--rate")
      rate = std::stoull(value);
    else if (flag == "--seconds")
      seconds = std::stod(value);
    else if (flag == "--runs")
      runs = std::stoi(value);
    else if (flag == "--seed")
      seed = std::stoull(value);
    else if (flag == "--parallelism")
      parallelism = static_cast<uint32_t>(std::stoul(value));
    else if (flag == "--tick-us")
      tick_us = std::stoll(value);
    else if (flag == "--key-groups")
      key_groups = static_cast<uint32_t>(std::stoul(value));
    else if (flag == "--watermark-interval-ms")
      watermark_interval_ms = std::stoll(value);
    else if (flag == "--snapshot-interval-ms")
      snapshot_interval_ms = std::stoll(value);
    else if (flag == "--snapshot-every")
      snapshot_every = std::stoll(value);
    else if (flag == "--warmup")
      warmup_ms = static_cast<int64_t>(std::stod(value) * 1000);
    else if (flag == "--dir")
      parent = value;
    else if (flag == "--journal") {
      if (value != "on" && value != "off") {
        std::fprintf(stderr, "bench_nexmark_latency: --journal takes on or off, not '%s'\n", value.c_str());
        return 2;
      }
      journal = value == "on";
    }
    else if (flag == "--queries") {
      queries.clear();
      std::stringstream in{value};
      for (std::string q; std::getline(in, q, ',');)
        queries.push_back(q);
    } else {
      std::fprintf(stderr, "bench_nexmark_latency: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (rate == 0) {
    std::fprintf(stderr, "usage: bench_nexmark_latency --rate EVENTS_PER_S [--seconds D] "
                         "[--queries q5,q7] [--runs N] [--seed S] [--parallelism P] "
                         "[--key-groups K] [--watermark-interval-ms T] [--snapshot-interval-ms T] [--snapshot-every N]\n"
                         "[--tick-us T] [--warmup S] "
                         "[--dir DIR] [--journal on|off]\n"
                         "(take --rate as half of the query's max events/s from bench_nexmark)\n");
    return 2;
  }
  // A fresh directory of our own under --dir, removed at the end.
  auto dir = parent / ("eddy-bench-latency-" + std::to_string(getpid()));
  eddy::bench::print_header(argc, argv);
  auto events = static_cast<uint64_t>(static_cast<double>(rate) * seconds);
  std::printf(
      "open-loop paced source: %llu events/s of wall time for %.1f s (%llu events), "
      "event time = wall time, watermark delay 0 (the source is in time order); "
      "journal %s, file sink with fdatasync per commit; parallelism %u, "
      "%u key groups, watermark interval %s, source tick %lld µs\n"
      "latency = sink commit() returned − window end (q5: window_end; q7: window_start "
      "+ 10 s), per row; rows of windows closed by the end of the input are not "
      "measured%s\n\n",
      static_cast<unsigned long long>(rate), seconds, static_cast<unsigned long long>(events),
      journal ? "on (exactly-once)" : "off (snapshots only, not exactly-once)", parallelism, key_groups ? key_groups : eddy::default_max_key_groups,
      watermark_interval_ms >= 0 ? (std::to_string(watermark_interval_ms) + " ms").c_str()
                                 : "the job's default",
      static_cast<long long>(tick_us),
      warmup_ms ? (", nor windows ending in the first " + std::to_string(warmup_ms) + " ms").c_str()
                : "");
  std::printf("| query | run | rows measured | windows | p50 ms | p99 ms | p99.9 ms | max ms | min ms | "
              "source lag p99 / max ms | events delivered | load before → after |\n"
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |\n");
  std::fflush(stdout);
  int failures = 0;
  for (auto& query : queries) {
    eddy::bench::log_linear_histogram all;
    size_t all_windows = 0;
    for (int r = 0; r < runs; ++r) {
      auto run_dir = dir / (query + "-" + std::to_string(r));
      fs::remove_all(run_dir);
      fs::create_directories(run_dir);
      auto st = std::make_shared<probe_state>();
      gen::generator_config config;
      config.events = events;
      config.seed = seed;
      config.rate = rate;
      eddy::job job{"nexmark-latency"};
      job.config().state_dir = run_dir / "state";
      job.config().log_level = "warn";
      job.config().parallelism = parallelism;
      job.config().journal = journal;
      if (key_groups)
        job.config().max_key_groups = key_groups;
      if (watermark_interval_ms >= 0)
        job.config().watermark_interval_ms = watermark_interval_ms;
      if (snapshot_interval_ms >= 0)
        job.config().snapshot_interval_ms = static_cast<uint64_t>(snapshot_interval_ms);
      if (snapshot_every >= 0)
        job.config().snapshot_every_entries = static_cast<uint64_t>(snapshot_every);
      auto input = job.source(std::unique_ptr<eddy::source<gen::event>>(
          new source_probe(gen::paced_source(config, std::chrono::microseconds(tick_us)), st)));
      nexmark::add_query(job, input, query, std::chrono::milliseconds(0))
          .sink(std::make_unique<latency_sink>(
              eddy::connectors::file::lines_out(
                  run_dir / "out.tsv",
                  [](const std::string& row) -> const std::string& { return row; }),
              query, warmup_ms, st));
      auto load_before = load_average();
      auto result = eddy::actors::execute(job);
      auto load_after = load_average();
      fs::remove_all(run_dir);
      if (result.exit_code != 0) {
        std::printf("| %s | %d | failed: %s | | | | | | | | | |\n", query.c_str(), r + 1,
                    result.error.c_str());
        ++failures;
        continue;
      }
      auto& h = st->latency_us;
      all.merge(h);
      all_windows += st->windows.size();
      std::printf(
          "| %s | %d | %llu (+%llu closed by the end of input%s) | %zu | %s | %s | %s | %s | %s "
          "| %s / %s | %llu | %s → %s |\n",
          query.c_str(), r + 1, static_cast<unsigned long long>(h.count()),
          static_cast<unsigned long long>(st->excluded_end_of_input),
          st->excluded_warmup ? (", +" + std::to_string(st->excluded_warmup) + " warm-up").c_str()
                              : "",
          st->windows.size(), ms(h.percentile(0.5)).c_str(), ms(h.percentile(0.99)).c_str(),
          ms(h.percentile(0.999)).c_str(), ms(h.max()).c_str(), ms(h.min()).c_str(),
          ms(st->source_lag_us.percentile(0.99)).c_str(), ms(st->source_lag_us.max()).c_str(),
          static_cast<unsigned long long>(st->delivered.load()), load_before.c_str(),
          load_after.c_str());
      std::fflush(stdout);
    }
    if (runs > 1)
      std::printf("| %s | all | %llu | %zu | %s | %s | %s | %s | %s | | | |\n", query.c_str(),
                  static_cast<unsigned long long>(all.count()), all_windows, ms(all.percentile(0.5)).c_str(),
                  ms(all.percentile(0.99)).c_str(), ms(all.percentile(0.999)).c_str(),
                  ms(all.max()).c_str(), ms(all.min()).c_str());
  }
  fs::remove_all(dir);
  std::printf("\ntarget (issue 8): p99 ≤ 50 ms at 50%% of max throughput, 128 key groups, "
              "over at least 30 windows\n");
  return failures ? 1 : 0;
}
