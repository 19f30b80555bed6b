// A technology compatibility kit for the journal, after Akka Persistence's
// JournalSpec: replay bounds, the highest sequence number, and atomic group
// writes under SIGKILL.

#include "eddy/journal/sqlite_journal.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace eddy;
using namespace eddy::journal;

namespace {

/// A fresh directory per test case, removed at the end.
struct temp_dir {
  fs::path path;
  temp_dir() {
    static std::atomic<int> counter{0};
    auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    path = fs::temp_directory_path()
           / ("eddy-journal-tck-" + std::to_string(::getpid()) + "-" + std::to_string(stamp)
              + "-" + std::to_string(counter++));
    fs::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path file() const {
    return path / "journal.db";
  }
};

std::unique_ptr<sqlite_journal> open_ok(const fs::path& file, open_options opts = {}) {
  auto j = sqlite_journal::open(file, opts);
  BOOST_REQUIRE_MESSAGE(j, "open failed: " << (j ? "" : j.error().message()));
  return std::move(j).value();
}

void commit_ok(sqlite_journal& j) {
  auto r = j.commit();
  BOOST_REQUIRE_MESSAGE(r, "commit failed: " << (r ? "" : r.error().message()));
  for (auto st : *r)
    BOOST_REQUIRE(st == write_status::written);
}

std::vector<uint64_t> replayed(sqlite_journal& j, partition_id p, uint64_t from, uint64_t to) {
  std::vector<uint64_t> out;
  auto err = j.replay(p, from, to, [&](const entry& e) {
    BOOST_REQUIRE(e.partition == p);
    BOOST_REQUIRE_EQUAL(e.body, "p" + std::to_string(p) + "-" + std::to_string(e.seq));
    out.push_back(e.seq);
    return error{};
  });
  BOOST_REQUIRE_MESSAGE(!err, "replay failed: " << err.message());
  return out;
}

std::vector<uint64_t> range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> out;
  for (auto i = first; i <= last; ++i)
    out.push_back(i);
  return out;
}

uint64_t highest(sqlite_journal& j, partition_id p) {
  auto h = j.highest_seq(p);
  BOOST_REQUIRE(h);
  return *h;
}

std::string body_of(partition_id p, uint64_t seq) {
  return "p" + std::to_string(p) + "-" + std::to_string(seq);
}

/// A journal with entries 1..5 of partition `pid`, interleaved with another
/// partition's so that replay must pick one partition's entries.
struct five_entries {
  temp_dir dir;
  std::unique_ptr<sqlite_journal> j = open_ok(dir.file());
  static constexpr partition_id pid = partition_id_of(4, 2);
  static constexpr partition_id other = partition_id_of(4, 3);
  five_entries() {
    for (uint64_t seq = 1; seq <= 5; ++seq) {
      j->stage_append(other, 0, seq, body_of(other, seq));
      j->stage_append(pid, 0, seq, body_of(pid, seq));
      if (seq % 2 == 0)
        commit_ok(*j); // groups {1,2} {3,4} {5}
    }
    commit_ok(*j);
  }
};

using seqs = std::vector<uint64_t>;

} // namespace

BOOST_AUTO_TEST_SUITE(journal_tck)

BOOST_FIXTURE_TEST_CASE(replay_all_entries, five_entries) {
  BOOST_TEST(replayed(*j, pid, 1, 5) == range(1, 5), boost::test_tools::per_element());
  BOOST_TEST(replayed(*j, pid, 0, UINT64_MAX) == range(1, 5), boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(replay_with_a_lower_bound, five_entries) {
  BOOST_TEST(replayed(*j, pid, 3, UINT64_MAX) == range(3, 5), boost::test_tools::per_element());
  BOOST_TEST(replayed(*j, pid, 5, UINT64_MAX) == seqs{5}, boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(replay_with_an_upper_bound, five_entries) {
  BOOST_TEST(replayed(*j, pid, 1, 3) == range(1, 3), boost::test_tools::per_element());
  BOOST_TEST(replayed(*j, pid, 0, 1) == seqs{1}, boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(replay_with_both_bounds, five_entries) {
  BOOST_TEST(replayed(*j, pid, 2, 4) == range(2, 4), boost::test_tools::per_element());
  BOOST_TEST(replayed(*j, pid, 3, 3) == seqs{3}, boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(replay_of_an_empty_range_returns_nothing, five_entries) {
  BOOST_TEST(replayed(*j, pid, 4, 2).empty());       // lower bound above upper bound
  BOOST_TEST(replayed(*j, pid, 0, 0).empty());       // below the first seq
  BOOST_TEST(replayed(*j, pid, 6, UINT64_MAX).empty()); // above the highest seq
  BOOST_TEST(replayed(*j, partition_id_of(9, 9), 0, UINT64_MAX).empty()); // never written
}

BOOST_FIXTURE_TEST_CASE(replay_with_bounds_beyond_the_highest_seq, five_entries) {
  BOOST_TEST(replayed(*j, pid, 1, 100) == range(1, 5), boost::test_tools::per_element());
  BOOST_TEST(replayed(*j, pid, 4, UINT64_MAX - 1) == range(4, 5),
             boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(replay_does_not_return_entries_a_snapshot_deleted, five_entries) {
  j->stage_snapshot(pid, 0, 3, "state");
  commit_ok(*j);
  BOOST_TEST(replayed(*j, pid, 0, UINT64_MAX) == range(4, 5), boost::test_tools::per_element());
  BOOST_TEST(replayed(*j, pid, 2, 4) == seqs{4}, boost::test_tools::per_element());
  // The other partition keeps all of its entries.
  BOOST_TEST(replayed(*j, other, 0, UINT64_MAX) == range(1, 5),
             boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(highest_seq_of_a_written_partition_is_its_last_seq, five_entries) {
  BOOST_TEST(highest(*j, pid) == 5u);
  BOOST_TEST(highest(*j, partition_id_of(9, 9)) == 0u);
}

BOOST_AUTO_TEST_CASE(highest_seq_never_decreases) {
  temp_dir dir;
  auto file = dir.file();
  auto p = partition_id_of(1, 0);
  {
    auto j = open_ok(file);
    for (uint64_t seq = 1; seq <= 10; ++seq)
      j->stage_append(p, 0, seq, body_of(p, seq));
    commit_ok(*j);
    // A snapshot that deletes every entry.
    j->stage_snapshot(p, 0, 10, "s10");
    commit_ok(*j);
    BOOST_TEST(replayed(*j, p, 0, UINT64_MAX).empty());
    BOOST_TEST(highest(*j, p) == 10u);
    // A snapshot below the previous one replaces it but lowers nothing.
    j->stage_snapshot(p, 0, 4, "s4");
    commit_ok(*j);
    BOOST_TEST(highest(*j, p) == 10u);
  }
  {
    auto j = open_ok(file);
    BOOST_TEST(highest(*j, p) == 10u);
    BOOST_TEST(j->load_snapshot(p)->value().seq == 4u);
    j->stage_append(p, 0, 11, body_of(p, 11));
    commit_ok(*j);
  }
  {
    auto j = open_ok(file);
    BOOST_TEST(highest(*j, p) == 11u);
    j->stage_snapshot(p, 0, 11, "s11");
    commit_ok(*j);
  }
  auto j = open_ok(file);
  BOOST_TEST(highest(*j, p) == 11u);
  BOOST_TEST(replayed(*j, p, 0, UINT64_MAX).empty());
}

// Many groups over many partitions with snapshots, fenced writes, gaps and
// reopens, checked against a model after each step: this crosses several
// index segments and several checkpoints of the highest seqs.
BOOST_AUTO_TEST_CASE(replay_and_highest_seq_match_a_model_over_many_groups) {
  temp_dir dir;
  auto file = dir.file();
  constexpr partition_id partitions = 7;
  std::map<partition_id, std::map<uint64_t, std::string>> entries;
  std::map<partition_id, uint64_t> high, snap, epochs;
  std::mt19937_64 rng{20240607};
  auto pick = [&](uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>{lo, hi}(rng);
  };
  // Durability is not under test here; skip fsync to keep the test fast.
  open_options opts{.create = true, .synchronous_full = false};
  auto j = open_ok(file, opts);
  for (partition_id p = 0; p < partitions; ++p)
    epochs[p] = *j->acquire(p);
  auto check = [&](partition_id p) {
    BOOST_REQUIRE_EQUAL(highest(*j, p), high[p]);
    BOOST_REQUIRE_EQUAL(j->epoch(p), epochs[p]);
    auto s = j->load_snapshot(p);
    BOOST_REQUIRE(s);
    BOOST_REQUIRE_EQUAL(s->has_value() ? s->value().seq : 0, snap[p]);
    for (int k = 0; k < 3; ++k) {
      auto from = pick(0, high[p] + 2);
      auto to = k == 0 ? UINT64_MAX : pick(from > 0 ? from - 1 : 0, high[p] + 2);
      seqs expected;
      for (auto it = entries[p].lower_bound(from); it != entries[p].end() && it->first <= to;
           ++it)
        expected.push_back(it->first);
      auto got = replayed(*j, p, from, to);
      BOOST_REQUIRE_MESSAGE(got == expected, "replay of partition " << p << " from " << from
                                                                    << " to " << to);
    }
  };
  for (int group = 0; group < 1500; ++group) {
    std::vector<write_status> expected;
    auto touched = pick(1, partitions);
    for (uint64_t t = 0; t < touched; ++t) {
      auto p = pick(0, partitions - 1);
      auto n = pick(1, 6);
      for (uint64_t i = 0; i < n; ++i) {
        auto dice = pick(0, 99);
        if (dice < 3) { // a write from an older incarnation
          j->stage_append(p, epochs[p] - 1, high[p] + 1, "stale");
          expected.push_back(write_status::fenced);
        } else if (dice < 6) { // a repeated seq
          j->stage_append(p, epochs[p], high[p], "repeat");
          expected.push_back(write_status::seq_conflict); // also seq 0, below 1
        } else if (dice < 9 && high[p] > 0) { // a snapshot, maybe below an earlier one
          auto seq = pick(high[p] > 20 ? high[p] - 20 : 1, high[p]);
          j->stage_snapshot(p, epochs[p], seq, "snap");
          expected.push_back(write_status::written);
          snap[p] = seq;
          entries[p].erase(entries[p].begin(), entries[p].upper_bound(seq));
        } else {
          auto seq = high[p] + (dice < 12 ? 3 : 1); // sometimes a gap
          j->stage_append(p, epochs[p], seq, body_of(p, seq));
          expected.push_back(write_status::written);
          entries[p][seq] = body_of(p, seq);
          high[p] = seq;
        }
      }
    }
    auto r = j->commit();
    BOOST_REQUIRE(r);
    BOOST_REQUIRE_MESSAGE(*r == expected, "statuses of group " << group);
    if (group % 97 == 0) // a new incarnation fences the old one
      epochs[group % partitions] = *j->acquire(group % partitions);
    if (group % 250 == 249) {
      j.reset();
      j = open_ok(file, opts);
    }
    if (group % 50 == 0)
      for (partition_id p = 0; p < partitions; ++p)
        check(p);
  }
  j.reset();
  j = open_ok(file, opts);
  for (partition_id p = 0; p < partitions; ++p)
    check(p);
}

namespace {

// The SIGKILL test: a child appends groups; each group g holds
// entries_in(g) entries over three partitions, with bodies "g/i".
constexpr partition_id kill_partitions = 8;
constexpr uint64_t ready_marker = UINT64_MAX;

std::vector<partition_id> partitions_of(uint64_t g) {
  return {g % kill_partitions, (g + 3) % kill_partitions, (g + 5) % kill_partitions};
}

uint64_t per_partition_in(uint64_t g) {
  return 1 + g % 3;
}

uint64_t entries_in(uint64_t g) {
  return 3 * per_partition_in(g);
}

bool write_all(int fd, const void* data, size_t size) {
  auto p = static_cast<const char*>(data);
  while (size > 0) {
    auto n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

/// The child: continue from the journal's state and commit groups until
/// killed, reporting each group number after commit() returned.
[[noreturn]] void append_until_killed(const fs::path& file, int report) {
  auto opened = sqlite_journal::open(file);
  if (!opened)
    ::_exit(20);
  auto& j = **opened;
  std::map<partition_id, uint64_t> seq, epoch;
  uint64_t next_group = 0;
  for (partition_id p = 0; p < kill_partitions; ++p) {
    auto e = j.acquire(p);
    if (!e)
      ::_exit(21);
    epoch[p] = *e;
    seq[p] = *j.highest_seq(p);
    // The last entry of a partition names the newest group that wrote it.
    auto err = j.replay(p, seq[p], seq[p], [&](const entry& e) {
      next_group = std::max<uint64_t>(next_group, std::stoull(e.body) + 1);
      return error{};
    });
    if (err)
      ::_exit(22);
  }
  if (!write_all(report, &ready_marker, sizeof ready_marker))
    ::_exit(23);
  for (auto g = next_group;; ++g) {
    for (auto p : partitions_of(g))
      for (uint64_t i = 0; i < per_partition_in(g); ++i)
        j.stage_append(p, epoch[p], ++seq[p], std::to_string(g) + "/" + std::to_string(i));
    auto r = j.commit();
    if (!r)
      ::_exit(24);
    for (auto st : *r)
      if (st != write_status::written)
        ::_exit(25);
    if (!write_all(report, &g, sizeof g))
      ::_exit(26);
  }
}

} // namespace

BOOST_AUTO_TEST_CASE(groups_are_all_or_nothing_and_committed_groups_survive_sigkill) {
  temp_dir dir;
  auto file = dir.file();
  std::mt19937 rng{7};
  std::set<uint64_t> committed; // reported by a child after commit() returned
  std::map<partition_id, uint64_t> last_highest, last_epoch;
  constexpr int kills = 12;
  for (int round = 0; round < kills; ++round) {
    int fds[2];
    BOOST_REQUIRE(::pipe(fds) == 0);
    auto child = ::fork();
    BOOST_REQUIRE(child >= 0);
    if (child == 0) {
      ::close(fds[0]);
      append_until_killed(file, fds[1]);
    }
    ::close(fds[1]);
    // Collect reports until the kill moment: a random time after the child
    // has opened the journal (and, until something was committed at all,
    // after its first commit, so that the test always checks survivors).
    bool ready = false;
    std::vector<uint64_t> reports;
    auto read_reports = [&](int timeout_ms) {
      pollfd pfd{fds[0], POLLIN, 0};
      if (::poll(&pfd, 1, timeout_ms) <= 0)
        return false;
      uint64_t buf[512];
      auto n = ::read(fds[0], buf, sizeof buf);
      if (n <= 0)
        return false;
      BOOST_REQUIRE(n % sizeof(uint64_t) == 0); // writes of 8 bytes are atomic on a pipe
      for (size_t i = 0; i < size_t(n) / sizeof(uint64_t); ++i) {
        if (buf[i] == ready_marker)
          ready = true;
        else
          reports.push_back(buf[i]);
      }
      return true;
    };
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while ((!ready || (committed.empty() && reports.empty()))
           && std::chrono::steady_clock::now() < deadline)
      if (!read_reports(100)) {
        int status = 0;
        BOOST_REQUIRE_MESSAGE(::waitpid(child, &status, WNOHANG) == 0,
                              "child exited early with status " << status);
      }
    BOOST_REQUIRE_MESSAGE(ready, "child did not open the journal in time");
    auto kill_at = std::chrono::steady_clock::now()
                   + std::chrono::microseconds(std::uniform_int_distribution<>{0, 40000}(rng));
    while (std::chrono::steady_clock::now() < kill_at)
      read_reports(1);
    BOOST_REQUIRE(::kill(child, SIGKILL) == 0);
    int status = 0;
    BOOST_REQUIRE(::waitpid(child, &status, 0) == child);
    BOOST_REQUIRE_MESSAGE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                          "child ended by itself with status " << status);
    while (read_reports(0)) {
    }
    ::close(fds[0]);
    committed.insert(reports.begin(), reports.end());

    // Check the journal the dead child left behind.
    auto j = open_ok(file);
    std::map<uint64_t, uint64_t> found; // group -> entries
    for (partition_id p = 0; p < kill_partitions; ++p) {
      uint64_t expect_seq = 1;
      auto err = j->replay(p, 0, UINT64_MAX, [&](const entry& e) {
        BOOST_REQUIRE_EQUAL(e.seq, expect_seq++);
        found[std::stoull(e.body)] += 1;
        return error{};
      });
      BOOST_REQUIRE(!err);
      auto h = highest(*j, p);
      BOOST_TEST(h == expect_seq - 1, "partition " << p << " highest seq");
      BOOST_TEST(h >= last_highest[p], "highest seq of partition " << p << " decreased");
      BOOST_TEST(j->epoch(p) >= last_epoch[p], "epoch of partition " << p << " decreased");
      last_highest[p] = h;
      last_epoch[p] = j->epoch(p);
    }
    for (auto [g, n] : found)
      BOOST_TEST(n == entries_in(g), "group " << g << " is torn: " << n << " of "
                                              << entries_in(g) << " entries");
    for (auto g : committed)
      BOOST_TEST(found.contains(g), "committed group " << g << " was lost");
    BOOST_TEST_MESSAGE("round " << round << ": " << reports.size() << " groups reported, "
                                << found.size() << " stored");
  }
  BOOST_TEST(!committed.empty());
}

BOOST_AUTO_TEST_SUITE_END()
