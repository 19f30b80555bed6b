// Recovery: the time to restore one partition from its journal as entries
// grow (10^4, 10^5, 10^6), in items per second (an item is one entry, or one
// key restored from a snapshot), measured on the runtime's own recovery path:
// the journal actor's part (acquire an epoch, load the snapshot, read the
// entries after it) and the partition's part (decode each Cap'n Proto entry,
// apply its state log to the user function's state). Also a snapshot of all
// keys plus a short tail, which is what recovery normally meets.
//
//   bench_recovery [--runs R] [--max N]

#include <cstring>
#include <filesystem>

#include "eddy/dataflow/keyed_logic.hpp"
#include "eddy/journal/sqlite_journal.hpp"
#include "eddy/state.hpp"
#include "records_codec.hpp"
#include "support/bench_util.hpp"
#include "support/word_counter.hpp"

using namespace eddy;

namespace {

using logic_t = dataflow::process_logic<bench::word_counter, std::string, std::pair<std::string, int64_t>>;

/// Outputs go nowhere: recovery applies state, it does not emit.
struct discard_port final : dataflow::output_port {
  void push(uint32_t, uint32_t, std::string_view, int64_t, std::string_view) override {
  }
  void propose_watermark(int64_t) override {
  }
};

std::unique_ptr<logic_t> make_logic() {
  static discard_port port;
  return std::make_unique<logic_t>([](const std::pair<std::string, int64_t>&, int64_t) {}, port);
}

constexpr journal::partition_id pid = journal::partition_id_of(1, 7);

/// Writes `n` entries of one record each (the smallest entries the runtime
/// writes: a state change, an input position, one output) and, if
/// `snapshot_at` > 0, a snapshot after entry `snapshot_at`.
void fill(journal::sqlite_journal& jn, uint64_t n, uint64_t snapshot_at, uint64_t keys) {
  auto epoch = *jn.acquire(pid);
  auto logic = make_logic();
  std::string payload;
  for (uint64_t seq = 1; seq <= n; ++seq) {
    auto word = "word" + std::to_string(seq % keys);
    payload.clear();
    encode_into(payload, word);
    logic->process({word, 0, payload});
    actors::entry_record e;
    logic->take_log(e.state_log);
    e.inputs.push_back({journal::partition_id_of(0, 0), seq});
    actors::target_batch out;
    out.batch.first_seq = seq;
    std::string out_payload;
    encode_into(out_payload, std::make_pair(word, int64_t(seq)));
    out.batch.append({}, 0, out_payload);
    e.outputs.push_back(std::move(out));
    jn.stage_append(pid, epoch, seq, actors::encode(e));
    if (seq == snapshot_at) {
      actors::snapshot_record s;
      logic->snapshot(s.state);
      jn.stage_snapshot(pid, epoch, seq, actors::encode(s));
    }
    if (seq % 1000 == 0 || seq == n)
      (void) jn.commit();
  }
}

struct timing {
  double read_s = 0;
  double apply_s = 0;
  size_t entries = 0;
};

/// What the journal actor and the partition do on recovery.
timing recover(const std::filesystem::path& file) {
  timing t;
  bench::stopwatch sw;
  auto jn = *journal::sqlite_journal::open(file);
  (void) jn->acquire(pid);
  auto snap = *jn->load_snapshot(pid);
  uint64_t from = snap ? snap->seq + 1 : 1;
  std::vector<std::string> bodies;
  (void) jn->replay(pid, from, UINT64_MAX, [&](const journal::entry& e) {
    bodies.push_back(e.body);
    return error{};
  });
  t.read_s = sw.seconds();
  bench::stopwatch sw2;
  auto logic = make_logic();
  if (snap) {
    logic->restore(actors::decode_snapshot(snap->body).state);
    t.entries += logic->key_count(); // restoring a key counts as one item
  }
  for (auto& b : bodies) {
    auto e = actors::decode_entry(b);
    logic->apply_log(e.state_log);
  }
  t.apply_s = sw2.seconds();
  t.entries += bodies.size();
  return t;
}

} // namespace

int main(int argc, char** argv) {
  int runs = 3;
  uint64_t max = 1'000'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--runs"))
      runs = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--max"))
      max = std::stoull(argv[i + 1]);
  }
  bench::print_header(argc, argv);
  std::printf("%-34s %10s %10s %10s %14s  %s\n", "case", "items", "read ms", "apply ms",
              "items/s", "target 1000000/s");
  auto dir = std::filesystem::temp_directory_path() / ("eddy-bench-recovery-" + std::to_string(getpid()));
  auto one = [&](const std::string& name, uint64_t n, uint64_t snapshot_at, uint64_t keys) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    {
      auto jn = *journal::sqlite_journal::open(dir / "journal.db");
      fill(*jn, n, snapshot_at, keys);
    }
    std::vector<double> reads, applies, rates;
    size_t entries = 0;
    for (int r = 0; r < runs; ++r) {
      auto t = recover(dir / "journal.db");
      reads.push_back(t.read_s);
      applies.push_back(t.apply_s);
      rates.push_back(static_cast<double>(t.entries) / (t.read_s + t.apply_s));
      entries = t.entries;
    }
    auto rate = bench::median(rates);
    std::printf("%-34s %10zu %10.1f %10.1f %14.0f  %s\n", name.c_str(), entries,
                1000 * bench::median(reads), 1000 * bench::median(applies), rate,
                rate >= 1e6 ? "met" : "MISSED");
  };
  for (uint64_t n = 10'000; n <= max; n *= 10)
    one("journal only, " + std::to_string(n) + " entries", n, 0, 10'000);
  one("snapshot of 100000 keys + 1000 entries", 101'000, 100'000, 100'000);
  std::filesystem::remove_all(dir);
  return 0;
}
