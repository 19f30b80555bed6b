// Long run with rotating keys (issue 8, item 6): a keyed job with a TTL whose
// keys rotate, so every key group keeps getting keys that then go quiet
// forever, runs for minutes at a paced rate with the journal on. At sample
// points the benchmark measures what a long run must keep flat:
//
// - RSS of the job process (VmRSS from /proc, median of 1 s readings over
//   the interval before the sample);
// - the journal on disk (journal.db + journal.db-wal);
// - replay cost: the job is paused (SIGSTOP) for a moment while its state
//   directory is copied, which leaves the image a SIGKILL would; a restart of
//   the same job on a fresh copy is timed until it has caught up with what
//   the paused job had read (its source ends there) and every output is
//   committed (median of --restarts), and the runtime's own recovery log
//   says how many entries its partitions replayed after their snapshots and
//   how many state keys they restored;
// - snapshot cost: on the same image, each partition's state is rebuilt on
//   the runtime's path (snapshot + entries, as bench_recovery does) and a
//   snapshot of every partition is encoded and written to the journal
//   (stage_snapshot + commit, which also deletes the entries it covers).
//
// The baseline is the start of the same run: each figure's median over the
// first third of the samples against its median over the last third
// (single samples move with the phase of the partitions' snapshot cycles),
// called flat when end/start <= 1.5.
//
//   bench_long_run [--seconds S | --minutes M] [--rate R] [--width W] [--rotation N]
//                  [--ttl-ms T] [--live-groups G] [--sample-seconds S] [--restarts R]
//                  [--key-groups K] [--parallelism P] [--snapshot-interval-ms T] [--dir DIR]
//
// Keys: record i has key (i / rotation) * width + i % width, so `width` keys
// are live at a time and the window moves on every `rotation` records
// (`--live-groups G`: the windows' keys fall in G key groups at a time,
// which take turns; see rotating_keys). Defaults: 3 minutes, 50 000
// records/s, 25 000 live keys, a new window every 250 000 records (5 s),
// TTL 5 s, all 128 key groups live, parallelism 2, samples every 15 s (a
// third of the run when it is shorter than 90 s), 3 restarts per sample.
// `--seconds 30` makes a quick run.
//
// The job runs as a child process of this binary (`--child run`), and so
// does each restart (`--child restart`); their files go to a fresh directory
// eddy-bench-long-run-<pid> under --dir (default the temp directory),
// removed at the end.

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <sqlite3.h>

#include "eddy/actors/run.hpp"
#include "eddy/connectors/memory/memory.hpp"
#include "eddy/context.hpp"
#include "eddy/journal/sqlite_journal.hpp"
#include "eddy/state.hpp"
#include "records_codec.hpp"
#include "support/bench_util.hpp"

namespace fs = std::filesystem;
using namespace eddy;

namespace {

// -- the job ------------------------------------------------------------------------

struct params {
  double seconds = 180;
  uint64_t rate = 50'000;
  uint64_t width = 25'000;
  uint64_t rotation = 250'000;
  int64_t ttl_ms = 5'000;
  double sample_seconds = 0; ///< 0: 30 s, or a third of a run shorter than 90 s
  int restarts = 3;
  uint32_t key_groups = 128;
  uint32_t live_groups = 0; ///< key groups with live keys at a time; 0: all
  uint32_t parallelism = 2;
  uint64_t snapshot_interval_ms = 10'000;
  fs::path dir = fs::temp_directory_path();
};

using record_t = std::pair<uint64_t, uint64_t>; ///< (key, record index)
using output_t = std::pair<uint64_t, int64_t>;  ///< (record index, count of its key so far)

/// The key of record i: (i / rotation) * width + i % width, so `width` keys
/// are live at a time and every key group keeps getting new ones. With
/// `live_groups` below the job's key groups, the keys of window w = i /
/// rotation are instead the first `width` numbers from w << 32 on whose key
/// group lies in the w-th block of `live_groups` groups (cyclically), so the
/// key groups themselves take turns: each goes quiet for all but one window
/// of every key_groups / live_groups, with a tail and expired TTL state left
/// behind. Deterministic in i (it runs again on replay); the table of a
/// window is built once per thread.
struct rotating_keys {
  uint64_t width, rotation;
  uint32_t key_groups, live_groups;

  record_t operator()(const uint64_t& i) const {
    auto w = i / rotation, j = i % width;
    if (live_groups == 0 || live_groups >= key_groups)
      return {w * width + j, i};
    thread_local uint64_t window = UINT64_MAX;
    thread_local std::vector<uint64_t> keys;
    if (window != w) {
      window = w;
      keys.clear();
      auto first = static_cast<uint32_t>(w * live_groups % key_groups);
      std::string bytes;
      for (uint64_t c = w << 32; keys.size() < width; ++c) {
        bytes.clear();
        append_key_bytes(bytes, c);
        if ((key_group_of(bytes, key_groups) + key_groups - first) % key_groups < live_groups)
          keys.push_back(c);
      }
    }
    return {keys[j], i};
  }
};

/// The keyed function: a count per key and the last record index per
/// (key, index mod 4), both with a TTL, so a key that goes quiet leaves
/// state behind that only the runtime's background cleanup removes.
struct rotating_counter {
  explicit rotating_counter(int64_t ttl_ms)
    : count{eddy::ttl{std::chrono::milliseconds{ttl_ms}}},
      last{eddy::ttl{std::chrono::milliseconds{ttl_ms}}} {
  }
  value_state<int64_t> count;
  map_state<uint32_t, uint64_t> last;

  void on_record(const record_t& r, context<output_t>& ctx) {
    auto i = r.second;
    count = count.value_or(0) + 1;
    last.put(static_cast<uint32_t>(i % 4), i);
    ctx.emit({i, *count});
  }
};

constexpr uint32_t keyed_stage = 1; ///< stage 0 is the source

int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// Record indexes 0, 1, … at `rate` per second of wall-clock time, open
/// loop (index n is due at start + n / rate), up to `count`; with `until_ms`
/// it ends with the last index due by that wall time (a restart that
/// catches up with a paused job and stops there). Position "n@start_ms", so
/// a restart replays the same indexes with the same due times.
class paced_indexes final : public source<uint64_t> {
public:
  paced_indexes(uint64_t rate, uint64_t count, int64_t until_ms)
    : rate_(rate), count_(count), until_ms_(until_ms) {
  }
  std::string name() const override {
    return "paced indexes (" + std::to_string(rate_) + "/s)";
  }
  error open(std::string_view position) override {
    if (position.empty()) {
      next_ = 0;
      start_ms_ = wall_us() / 1000;
    } else {
      auto at = position.find('@');
      if (at == std::string_view::npos)
        return {errc::corrupt, "position '" + std::string{position} + "' is not 'n@start_ms'"};
      std::from_chars(position.data(), position.data() + at, next_);
      std::from_chars(position.data() + at + 1, position.data() + position.size(), start_ms_);
    }
    limit_ = count_;
    if (until_ms_ > 0) {
      auto due = until_ms_ > start_ms_ ? static_cast<uint64_t>(until_ms_ - start_ms_) * rate_ / 1000 + 1 : 0;
      limit_ = std::min(limit_, std::max(due, next_));
    }
    return {};
  }
  expected<size_t> read(size_t max, const std::function<void(const uint64_t&)>& fn) override {
    if (finished() || max == 0)
      return size_t{0};
    auto now = wall_us();
    if (due_us(next_) > now) {
      // Nothing is due: sleep briefly (at most 1 ms) so that acks in the
      // source actor's mailbox are not held up, then deliver what is due.
      std::this_thread::sleep_for(std::chrono::microseconds(std::min<int64_t>(due_us(next_) - now, 1000)));
      now = wall_us();
    }
    size_t n = 0;
    for (; n < max && !finished() && due_us(next_) <= now; ++n) {
      uint64_t i = next_++;
      fn(i);
    }
    return n;
  }
  bool finished() const override {
    return next_ >= limit_;
  }
  std::string position() const override {
    return std::to_string(next_) + "@" + std::to_string(start_ms_);
  }

private:
  int64_t due_us(uint64_t n) const {
    return start_ms_ * 1000 + static_cast<int64_t>(static_cast<double>(n) * 1e6 / static_cast<double>(rate_));
  }

  uint64_t rate_, count_;
  int64_t until_ms_;
  uint64_t next_ = 0, limit_ = 0;
  int64_t start_ms_ = 0;
};

/// The same job for the run and every restart: paced indexes → their
/// rotating keys → key_by → rotating_counter → a counting sink.
void build(job& j, const params& p, const fs::path& state_dir, uint64_t count, int64_t until_ms,
           std::shared_ptr<uint64_t> committed) {
  j.config().state_dir = state_dir;
  j.config().log_level = "warn";
  j.config().max_key_groups = p.key_groups;
  j.config().parallelism = p.parallelism;
  j.config().snapshot_interval_ms = p.snapshot_interval_ms;
  j.source(std::unique_ptr<source<uint64_t>>(new paced_indexes(p.rate, count, until_ms)))
    .map(rotating_keys{p.width, p.rotation, p.key_groups, p.live_groups})
    .key_by([](const record_t& r) { return r.first; })
    .process<rotating_counter>(p.ttl_ms)
    .sink(connectors::memory::count_into<output_t>(std::move(committed)));
}

// -- child processes ----------------------------------------------------------------

/// Runs the job in this process (`--child run` or `--child restart`) and
/// prints one line with what execute() returned.
int child_main(const std::string& mode, const params& p, const fs::path& state_dir, int64_t until_ms) {
  // The run's input is longer than the run: the parent kills it after the last sample.
  auto count = static_cast<uint64_t>((p.seconds + 600) * static_cast<double>(p.rate));
  auto committed = std::make_shared<uint64_t>(0);
  job j{"long_run"};
  build(j, p, state_dir, count, mode == "restart" ? until_ms : 0, committed);
  auto r = actors::execute(j);
  std::printf("execute exit %d seconds %.4f records_out %llu committed %llu\n", r.exit_code,
              r.seconds, static_cast<unsigned long long>(r.records_out),
              static_cast<unsigned long long>(*committed));
  if (r.exit_code != 0)
    std::fprintf(stderr, "long_run: error: %s\n", r.error.c_str());
  std::fflush(stdout);
  return r.exit_code;
}

std::vector<std::string> child_args(const params& p, const std::string& mode, const fs::path& state_dir,
                                    int64_t until_ms) {
  return {"--child",     mode,
          "--state-dir", state_dir.string(),
          "--until-ms",  std::to_string(until_ms),
          "--seconds",   std::to_string(p.seconds),
          "--rate",      std::to_string(p.rate),
          "--width",     std::to_string(p.width),
          "--rotation",  std::to_string(p.rotation),
          "--ttl-ms",    std::to_string(p.ttl_ms),
          "--key-groups", std::to_string(p.key_groups),
          "--live-groups", std::to_string(p.live_groups),
          "--parallelism", std::to_string(p.parallelism),
          "--snapshot-interval-ms", std::to_string(p.snapshot_interval_ms)};
}

/// Starts this binary with `args`, stdout and stderr to files; the child dies with us.
pid_t spawn(const std::vector<std::string>& args, const fs::path& out, const fs::path& err,
            const char* log_level) {
  auto self = fs::read_symlink("/proc/self/exe").string();
  std::vector<char*> argv;
  argv.push_back(self.data());
  for (auto& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    std::perror("bench_long_run: fork");
    std::exit(1);
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o >= 0)
      dup2(o, 1);
    if (e >= 0)
      dup2(e, 2);
    if (log_level)
      setenv("EDDY_LOG_LEVEL", log_level, 1);
    execv(self.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

std::string slurp(const fs::path& file) {
  std::ifstream in{file};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string tail_of(const std::string& text, size_t lines) {
  size_t at = text.size();
  for (size_t n = 0; n <= lines && at > 0; ++n)
    at = text.rfind('\n', at - 1);
  return at == std::string::npos ? text : text.substr(at + 1);
}

/// Lines of a log at level warning or above.
size_t warnings_in(const std::string& log) {
  size_t n = 0;
  for (size_t at = 0; (at = log.find(" warn", at)) != std::string::npos; ++at)
    ++n;
  for (size_t at = 0; (at = log.find(" error", at)) != std::string::npos; ++at)
    ++n;
  return n;
}

/// VmRSS (or another field) of `pid` in KiB; 0 if it is gone.
uint64_t status_kib(pid_t pid, const char* field) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  for (std::string line; std::getline(in, line);)
    if (line.rfind(field, 0) == 0)
      return std::stoull(line.substr(std::strlen(field) + 1));
  return 0;
}

uint64_t files_bytes(const fs::path& dir) {
  uint64_t n = 0;
  std::error_code ec;
  for (auto& e : fs::directory_iterator{dir, ec})
    if (e.is_regular_file(ec))
      n += e.file_size(ec);
  return n;
}

void copy_dir(const fs::path& from, const fs::path& to) {
  fs::remove_all(to);
  fs::create_directories(to);
  for (auto& e : fs::directory_iterator{from})
    if (e.is_regular_file())
      fs::copy_file(e.path(), to / e.path().filename());
}

// -- measurements -------------------------------------------------------------------

/// One restart of the job on a copy of the paused job's state directory.
struct restart_figures {
  double wall_s = 0;       ///< fork to exit
  double execute_s = 0;    ///< execute() in the child: open, recover, catch up, commit, stop
  uint64_t partitions = 0; ///< keyed partitions that logged their recovery
  uint64_t entries = 0;    ///< entries they replayed after their snapshots
  uint64_t keys = 0;       ///< state keys they restored (summed over the handles)
};

restart_figures restart_once(const params& p, const fs::path& image, const fs::path& work, int64_t until_ms) {
  auto state = work / "restart-state";
  copy_dir(image, state);
  auto out = work / "restart.out", err = work / "restart.err";
  bench::stopwatch sw;
  auto pid = spawn(child_args(p, "restart", state, until_ms), out, err, "debug");
  int code = wait_exit(pid);
  restart_figures f;
  f.wall_s = sw.seconds();
  auto text = slurp(out);
  if (code != 0 || std::sscanf(text.c_str(), "execute exit %*d seconds %lf", &f.execute_s) != 1) {
    std::fprintf(stderr, "bench_long_run: a restart failed (exit %d): %s\n%s\n", code, text.c_str(),
                 tail_of(slurp(err), 10).c_str());
    std::exit(1);
  }
  // "partition <op>/<kg> recovered epoch E with N entries after its snapshot, K keys"
  std::istringstream log{slurp(err)};
  for (std::string line; std::getline(log, line);) {
    auto at = line.find(" recovered epoch ");
    if (at == std::string::npos || line.find("partition ") == std::string::npos)
      continue;
    unsigned long long epoch = 0, entries = 0, keys = 0;
    if (std::sscanf(line.c_str() + at, " recovered epoch %llu with %llu entries after its snapshot, %llu keys",
                    &epoch, &entries, &keys) == 3) {
      ++f.partitions;
      f.entries += entries;
      f.keys += keys;
    }
  }
  fs::remove_all(state);
  return f;
}

/// The keyed state of one partition rebuilt outside the runtime, laid out
/// as dataflow::process_logic lays it out (the timer service is state 0, the
/// function's handles follow), with the TTL clock fixed at the moment the
/// image was taken: what expires is decided as the paused job would have,
/// however long the measurement takes.
struct rebuilt_partition {
  rebuilt_partition(int64_t ttl_ms, int64_t now_ms) {
    detail::state_registry::scope scope{&registry};
    timers.emplace();
    fn.emplace(ttl_ms);
    registry.now_for_testing(now_ms);
  }
  detail::state_registry registry; // before the handles: they register here
  std::optional<timer_service> timers;
  std::optional<rotating_counter> fn;
};

/// What the state of every keyed partition costs on a paused job's image.
struct state_figures {
  double rebuild_ms = 0;         ///< read snapshot + entries, decode, apply: all partitions
  uint64_t entries = 0;          ///< entries after the snapshots
  uint64_t max_entries = 0;      ///< ... of the partition with the most
  uint64_t keys = 0;             ///< live state keys after the rebuild (both handles)
  double journal_live_mib = 0;   ///< pages of the journal in use (file pages less free ones)
  uint64_t snapshot_bytes = 0;   ///< of a fresh snapshot of every partition
  double snapshot_encode_ms = 0; ///< taking them (state + Cap'n Proto), all partitions
  double snapshot_write_ms = 0;  ///< staging and committing them, deleting what they cover
};

/// Bytes of the pages an SQLite file uses (with its WAL applied): the
/// journal's live data, where the file's size is its high-water mark.
double live_mib(const fs::path& db) {
  sqlite3* h = nullptr;
  double out = 0;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
    auto pragma = [&](const char* sql) {
      sqlite3_stmt* st = nullptr;
      int64_t v = 0;
      if (sqlite3_prepare_v2(h, sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
      sqlite3_finalize(st);
      return v;
    };
    auto pages = pragma("PRAGMA page_count"), free = pragma("PRAGMA freelist_count");
    out = static_cast<double>((pages - free) * pragma("PRAGMA page_size")) / (1024.0 * 1024.0);
  }
  sqlite3_close(h);
  return out;
}

state_figures measure_state(const params& p, const fs::path& image, const fs::path& work, int64_t image_ms) {
  auto state = work / "state-image";
  copy_dir(image, state);
  state_figures f;
  f.journal_live_mib = live_mib(state / "journal.db");
  journal::open_options options;
  options.create = false;
  auto jn = journal::sqlite_journal::open(state / "journal.db", options);
  if (!jn) {
    std::fprintf(stderr, "bench_long_run: cannot open the image: %s\n", jn.error().message().c_str());
    std::exit(1);
  }
  std::vector<journal::partition_id> pids;
  std::vector<std::unique_ptr<rebuilt_partition>> parts;
  std::vector<uint64_t> seqs;
  bench::stopwatch rebuild;
  for (uint32_t kg = 0; kg < p.key_groups; ++kg) {
    auto pid = journal::partition_id_of(keyed_stage, kg);
    auto part = std::make_unique<rebuilt_partition>(p.ttl_ms, image_ms);
    auto snap = *(*jn)->load_snapshot(pid);
    uint64_t seq = 0, entries = 0;
    if (snap) {
      part->registry.restore(actors::decode_snapshot(snap->body).state);
      seq = snap->seq;
    }
    (void) (*jn)->replay(pid, seq + 1, UINT64_MAX, [&](const journal::entry& e) {
      part->registry.apply_log(actors::decode_entry(e.body).state_log);
      seq = e.seq;
      ++entries;
      return error{};
    });
    f.entries += entries;
    f.max_entries = std::max(f.max_entries, entries);
    pids.push_back(pid);
    seqs.push_back(seq);
    parts.push_back(std::move(part));
  }
  f.rebuild_ms = 1000 * rebuild.seconds();
  std::vector<std::string> bodies;
  bench::stopwatch encode;
  for (auto& part : parts) {
    actors::snapshot_record s;
    part->registry.snapshot(s.state);
    bodies.push_back(actors::encode(s));
    f.snapshot_bytes += bodies.back().size();
  }
  f.snapshot_encode_ms = 1000 * encode.seconds();
  for (auto& part : parts)
    f.keys += part->registry.key_count();
  auto epochs = *(*jn)->acquire(pids);
  bench::stopwatch write;
  for (size_t i = 0; i < pids.size(); ++i)
    if (seqs[i] > 0) // a partition that never wrote has nothing to snapshot
      (*jn)->stage_snapshot(pids[i], epochs[i], seqs[i], bodies[i]);
  if (!(*jn)->commit()) {
    std::fprintf(stderr, "bench_long_run: writing the snapshots failed\n");
    std::exit(1);
  }
  f.snapshot_write_ms = 1000 * write.seconds();
  jn->reset();
  fs::remove_all(state);
  return f;
}

/// Everything measured at one sample point.
struct sample {
  double t = 0;               ///< seconds since the job started
  double rss_mib = 0;         ///< median of the interval's 1 s readings
  double rss_now_mib = 0;
  double journal_mib = 0;     ///< journal.db + journal.db-wal
  double wal_mib = 0;         ///< journal.db-wal alone
  double pause_ms = 0;        ///< the job stopped while its state was copied
  size_t warnings = 0;        ///< the job's log warnings since the previous sample
  restart_figures restart;    ///< medians of the restarts (entries and keys of the first)
  state_figures state;
};

double mib(uint64_t bytes) {
  return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

sample take_sample(const params& p, pid_t job, const fs::path& state, const fs::path& work, double t,
                   const std::vector<double>& rss_readings) {
  sample s;
  s.t = t;
  s.rss_mib = bench::median(rss_readings);
  s.rss_now_mib = static_cast<double>(status_kib(job, "VmRSS:")) / 1024.0;
  s.journal_mib = mib(files_bytes(state));
  std::error_code ec;
  auto wal = fs::file_size(state / "journal.db-wal", ec);
  s.wal_mib = ec ? 0 : mib(wal);
  // Pause the job (waitpid reports it once every thread has stopped), copy
  // its state directory — the image a SIGKILL would leave — and let it go.
  auto image = work / "image";
  bench::stopwatch pause;
  kill(job, SIGSTOP);
  int status = 0;
  while (waitpid(job, &status, WUNTRACED) < 0 && errno == EINTR) {
  }
  auto until_ms = wall_us() / 1000;
  copy_dir(state, image);
  kill(job, SIGCONT);
  s.pause_ms = 1000 * pause.seconds();
  std::vector<double> walls, executes;
  for (int r = 0; r < p.restarts; ++r) {
    auto f = restart_once(p, image, work, until_ms);
    if (r == 0)
      s.restart = f;
    walls.push_back(f.wall_s);
    executes.push_back(f.execute_s);
  }
  s.restart.wall_s = bench::median(walls);
  s.restart.execute_s = bench::median(executes);
  s.state = measure_state(p, image, work, until_ms);
  fs::remove_all(image);
  return s;
}

void print_row(const sample& s) {
  std::printf("| %.0f | %.1f | %.1f | %.1f | %.1f | %.0f | %zu | %llu | %llu | %llu | %.2f | %.2f | %.0f | %llu | %.0f | %.1f | %.1f |\n",
              s.t, s.rss_mib, s.journal_mib, s.wal_mib, s.state.journal_live_mib, s.pause_ms, s.warnings,
              static_cast<unsigned long long>(s.restart.entries),
              static_cast<unsigned long long>(s.state.max_entries),
              static_cast<unsigned long long>(s.restart.keys), s.restart.execute_s, s.restart.wall_s,
              s.state.rebuild_ms, static_cast<unsigned long long>(s.state.keys),
              static_cast<double>(s.state.snapshot_bytes) / 1024.0, s.state.snapshot_encode_ms,
              s.state.snapshot_write_ms);
  std::fflush(stdout);
}

/// One figure at the start and at the end of the run: the medians over the
/// first and the last third of the samples (phases of the partitions'
/// snapshot cycles and load from outside move single samples).
struct figure {
  const char* name;
  double (*of)(const sample&);
};

const std::vector<figure> figures = {
  {"RSS of the job MiB", [](const sample& s) { return s.rss_mib; }},
  {"journal on disk MiB", [](const sample& s) { return s.journal_mib; }},
  {"journal pages in use MiB", [](const sample& s) { return s.state.journal_live_mib; }},
  {"restart until caught up s", [](const sample& s) { return s.restart.execute_s; }},
  {"entries replayed after snapshots", [](const sample& s) { return static_cast<double>(s.restart.entries); }},
  {"rebuild of all partitions ms", [](const sample& s) { return s.state.rebuild_ms; }},
  {"live state keys", [](const sample& s) { return static_cast<double>(s.state.keys); }},
  {"snapshot of all partitions KiB", [](const sample& s) { return static_cast<double>(s.state.snapshot_bytes) / 1024.0; }},
  {"snapshot encode ms", [](const sample& s) { return s.state.snapshot_encode_ms; }},
  {"snapshot write ms", [](const sample& s) { return s.state.snapshot_write_ms; }},
};

/// Prints the start/end table; returns whether every figure is flat.
bool print_summary(const std::vector<sample>& taken) {
  auto third = std::max<size_t>(1, taken.size() / 3);
  auto range = [](const std::vector<sample>& xs, size_t from, size_t to) {
    return std::to_string(static_cast<int>(xs[from].t + 0.5)) + "–"
           + std::to_string(static_cast<int>(xs[to - 1].t + 0.5)) + " s";
  };
  std::printf("\nstart = median of the samples at %s, end = median of the samples at %s; "
              "flat = end/start <= 1.5\n\n| figure | start | end | end/start | |\n"
              "| --- | ---: | ---: | ---: | --- |\n",
              range(taken, 0, third).c_str(), range(taken, taken.size() - third, taken.size()).c_str());
  bool all_flat = true;
  for (auto& f : figures) {
    std::vector<double> first, last;
    for (size_t i = 0; i < third; ++i) {
      first.push_back(f.of(taken[i]));
      last.push_back(f.of(taken[taken.size() - third + i]));
    }
    auto start = bench::median(first), end = bench::median(last);
    auto ratio = start > 0 ? end / start : (end > 0 ? 99.0 : 1.0);
    bool flat = ratio <= 1.5;
    all_flat = all_flat && flat;
    auto fmt = [](double x) {
      char buf[32];
      std::snprintf(buf, sizeof buf, x < 100 ? "%.2f" : "%.0f", x);
      return std::string{buf};
    };
    std::printf("| %s | %s | %s | %.2f | %s |\n", f.name, fmt(start).c_str(), fmt(end).c_str(), ratio,
                flat ? "flat" : "**grows**");
  }
  return all_flat;
}

bool parse(int argc, char** argv, params& p, std::string& child, fs::path& state_dir, int64_t& until_ms) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], v = argv[i + 1];
    if (flag == "--seconds")
      p.seconds = std::stod(v);
    else if (flag == "--minutes")
      p.seconds = 60 * std::stod(v);
    else if (flag == "--rate")
      p.rate = std::stoull(v);
    else if (flag == "--width")
      p.width = std::stoull(v);
    else if (flag == "--rotation")
      p.rotation = std::stoull(v);
    else if (flag == "--ttl-ms")
      p.ttl_ms = std::stoll(v);
    else if (flag == "--sample-seconds")
      p.sample_seconds = std::stod(v);
    else if (flag == "--restarts")
      p.restarts = std::max(1, std::stoi(v));
    else if (flag == "--key-groups")
      p.key_groups = static_cast<uint32_t>(std::stoul(v));
    else if (flag == "--live-groups")
      p.live_groups = static_cast<uint32_t>(std::stoul(v));
    else if (flag == "--parallelism")
      p.parallelism = static_cast<uint32_t>(std::stoul(v));
    else if (flag == "--snapshot-interval-ms")
      p.snapshot_interval_ms = std::stoull(v);
    else if (flag == "--dir")
      p.dir = v;
    else if (flag == "--child")
      child = v;
    else if (flag == "--state-dir")
      state_dir = v;
    else if (flag == "--until-ms")
      until_ms = std::stoll(v);
    else {
      std::fprintf(stderr, "bench_long_run: unknown flag %s (see the head of long_run.bench.cpp)\n", flag.c_str());
      return false;
    }
  }
  if (argc % 2 == 0) {
    std::fprintf(stderr, "bench_long_run: flag %s has no value\n", argv[argc - 1]);
    return false;
  }
  if (p.rate == 0 || p.width == 0 || p.rotation == 0 || p.ttl_ms <= 0 || p.seconds <= 0) {
    std::fprintf(stderr, "bench_long_run: --rate, --width, --rotation, --ttl-ms and --seconds must be positive\n");
    return false;
  }
  return true;
}

} // namespace

int main(int argc, char** argv) {
  params p;
  std::string child;
  fs::path child_state;
  int64_t until_ms = 0;
  if (!parse(argc, argv, p, child, child_state, until_ms))
    return 2;
  if (!child.empty())
    return child_main(child, p, child_state, until_ms);

  bench::print_header(argc, argv);
  auto interval = p.sample_seconds > 0 ? p.sample_seconds : (p.seconds >= 90 ? 15.0 : p.seconds / 3);
  auto samples = std::max(1, static_cast<int>(p.seconds / interval + 1e-9));
  std::printf("%.0f s at %llu records/s; key = (i / %llu) * %llu + i %% %llu (%llu live keys, a new "
              "window every %.1f s%s); value_state + map_state with TTL %lld ms; %u key groups, "
              "parallelism %u, journal on, snapshot interval %llu ms; a sample every %.0f s, "
              "restarts: median of %d\n\n",
              p.seconds, static_cast<unsigned long long>(p.rate),
              static_cast<unsigned long long>(p.rotation), static_cast<unsigned long long>(p.width),
              static_cast<unsigned long long>(p.width), static_cast<unsigned long long>(p.width),
              static_cast<double>(p.rotation) / static_cast<double>(p.rate),
              p.live_groups && p.live_groups < p.key_groups
                ? (", in " + std::to_string(p.live_groups) + " key groups at a time").c_str()
                : "",
              static_cast<long long>(p.ttl_ms), p.key_groups, p.parallelism,
              static_cast<unsigned long long>(p.snapshot_interval_ms), interval, p.restarts);
  auto work = p.dir / ("eddy-bench-long-run-" + std::to_string(getpid()));
  fs::remove_all(work);
  fs::create_directories(work);
  auto state = work / "state";
  auto job_out = work / "job.out", job_err = work / "job.err";
  auto started = std::chrono::steady_clock::now();
  auto since = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(); };
  auto job = spawn(child_args(p, "run", state, 0), job_out, job_err, nullptr);

  std::printf("| t s | RSS MiB | journal MiB | of it WAL MiB | in use MiB | pause ms | warnings | entries replayed | most of one "
              "partition | keys restored | restart s | restart wall s | rebuild ms | live keys | snapshots KiB | "
              "snapshot encode ms | snapshot write ms |\n"
              "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  std::fflush(stdout);
  std::vector<sample> taken;
  std::vector<double> rss;
  size_t warned_before = 0;
  for (int k = 1; k <= samples; ++k) {
    auto at = k * interval;
    while (since() < at) {
      std::this_thread::sleep_for(std::chrono::milliseconds(
        static_cast<int64_t>(std::min(1.0, at - since()) * 1000) + 1));
      if (auto kib = status_kib(job, "VmRSS:"))
        rss.push_back(static_cast<double>(kib) / 1024.0);
      int status = 0;
      if (waitpid(job, &status, WNOHANG) == job) {
        std::fprintf(stderr, "bench_long_run: the job ended early:\n%s\n%s\n", slurp(job_out).c_str(),
                     tail_of(slurp(job_err), 20).c_str());
        return 1;
      }
    }
    taken.push_back(take_sample(p, job, state, work, since(), rss));
    rss.clear();
    auto warned = warnings_in(slurp(job_err));
    taken.back().warnings = warned - warned_before;
    warned_before = warned;
    print_row(taken.back());
  }
  auto peak = static_cast<double>(status_kib(job, "VmHWM:")) / 1024.0;
  kill(job, SIGKILL);
  wait_exit(job);
  auto log = slurp(job_err);
  auto warnings = warnings_in(log);
  std::printf("\npeak RSS (VmHWM) %.1f MiB; the job logged %zu warnings%s\n", peak, warnings,
              warnings ? (": " + tail_of(log, 3)).c_str() : "");

  bool flat = print_summary(taken);
  std::printf("\n%s\n", flat ? "all flat" : "NOT flat");
  fs::remove_all(work);
  return 0;
}
