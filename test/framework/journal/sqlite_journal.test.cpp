#include "eddy/journal/sqlite_journal.hpp"

#include <boost/test/unit_test.hpp>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <string>
#include <vector>

#include <csignal>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace eddy::journal {

// For Boost.Test messages; internal linkage so other test files may have theirs.
static std::ostream& operator<<(std::ostream& out, write_status x) {
  switch (x) {
    case write_status::written: return out << "written";
    case write_status::fenced: return out << "fenced";
    case write_status::seq_conflict: return out << "seq_conflict";
  }
  return out << "write_status(" << int(x) << ")";
}

} // namespace eddy::journal

namespace eddy {

static std::ostream& operator<<(std::ostream& out, errc x) {
  return out << to_string(x);
}

} // namespace eddy::journal

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
           / ("eddy-sqlite-journal-" + std::to_string(::getpid()) + "-"
              + std::to_string(stamp) + "-" + std::to_string(counter++));
    fs::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path file(const std::string& name = "journal.db") const {
    return path / name;
  }
};

std::unique_ptr<sqlite_journal> open_ok(const fs::path& file, open_options opts = {}) {
  auto j = eddy::journal::sqlite_journal::open(file, opts);
  BOOST_REQUIRE_MESSAGE(j, "open failed: " << (j ? "" : j.error().message()));
  return std::move(*j);
}

std::vector<write_status> commit_ok(sqlite_journal& j) {
  auto r = j.commit();
  BOOST_REQUIRE_MESSAGE(r, "commit failed: " << (r ? "" : r.error().message()));
  return std::move(*r);
}

std::vector<entry> replay_all(sqlite_journal& j, partition_id p, uint64_t from = 0,
                              uint64_t to = UINT64_MAX) {
  std::vector<entry> out;
  auto err = j.replay(p, from, to, [&](const entry& e) {
    out.push_back(e);
    return error{};
  });
  BOOST_REQUIRE_MESSAGE(!err, "replay failed: " << err.message());
  return out;
}

std::vector<uint64_t> seqs_of(const std::vector<entry>& es) {
  std::vector<uint64_t> out;
  for (auto& e : es)
    out.push_back(e.seq);
  return out;
}

std::string read_bytes(const fs::path& file) {
  std::ifstream in{file, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

uint64_t highest(sqlite_journal& j, partition_id p) {
  auto h = j.highest_seq(p);
  BOOST_REQUIRE(h);
  return *h;
}

using ws = write_status;

/// The read counters' growth over one call of `fn`.
template <class F>
read_stats cost_of(sqlite_journal& j, F&& fn) {
  auto before = j.stats();
  fn();
  auto after = j.stats();
  return {after.segments_searched - before.segments_searched, after.runs_read - before.runs_read,
          after.rows_read - before.rows_read};
}

} // namespace

BOOST_AUTO_TEST_SUITE(sqlite_journal)

BOOST_AUTO_TEST_CASE(append_and_replay_returns_entries_in_seq_order) {
  temp_dir dir;
  auto j = open_ok(dir.file());
  auto p = partition_id_of(3, 17);
  auto e = *j->acquire(p);
  BOOST_TEST(e == 1u);
  for (uint64_t seq = 1; seq <= 5; ++seq)
    j->stage_append(p, e, seq, "body-" + std::to_string(seq));
  BOOST_TEST(j->staged() == 5u);
  auto st = commit_ok(*j);
  BOOST_TEST(j->staged() == 0u);
  BOOST_TEST(st == std::vector<ws>(5, ws::written), boost::test_tools::per_element());
  auto es = replay_all(*j, p);
  BOOST_REQUIRE_EQUAL(es.size(), 5u);
  for (size_t i = 0; i < es.size(); ++i) {
    BOOST_TEST(es[i].partition == p);
    BOOST_TEST(es[i].seq == i + 1);
    BOOST_TEST(es[i].epoch == e);
    BOOST_TEST(es[i].body == "body-" + std::to_string(i + 1));
  }
  BOOST_TEST(highest(*j, p) == 5u);
  BOOST_TEST(replay_all(*j, partition_id_of(3, 18)).empty());
}

BOOST_AUTO_TEST_CASE(binary_bodies_survive_unchanged) {
  temp_dir dir;
  auto j = open_ok(dir.file());
  std::string body;
  for (int i = 0; i < 256; ++i)
    body.push_back(static_cast<char>(i));
  j->stage_append(1, 0, 1, body);
  j->stage_append(1, 0, 2, "");
  commit_ok(*j);
  auto es = replay_all(*j, 1);
  BOOST_REQUIRE_EQUAL(es.size(), 2u);
  BOOST_TEST(es[0].body == body);
  BOOST_TEST(es[1].body.empty());
}

BOOST_AUTO_TEST_CASE(replay_stops_at_the_first_error_of_the_callback) {
  temp_dir dir;
  auto j = open_ok(dir.file());
  for (uint64_t seq = 1; seq <= 10; ++seq)
    j->stage_append(1, 0, seq, "x");
  commit_ok(*j);
  int calls = 0;
  auto err = j->replay(1, 1, 10, [&](const entry& e) {
    ++calls;
    return e.seq == 4 ? error{errc::user_failure, "stop"} : error{};
  });
  BOOST_TEST(calls == 4);
  BOOST_TEST((err.code() == errc::user_failure));
  // The statement is usable again after an early stop.
  BOOST_TEST(replay_all(*j, 1).size() == 10u);
}

BOOST_AUTO_TEST_CASE(a_replay_callback_may_read_but_not_replay_or_commit) {
  temp_dir dir;
  auto j = open_ok(dir.file());
  j->stage_append(1, 0, 1, "a");
  j->stage_append(1, 0, 2, "b");
  commit_ok(*j);
  std::vector<errc> codes;
  auto err = j->replay(1, 1, 2, [&](const entry& e) {
    codes.push_back(j->replay(1, 1, 2, [](const entry&) { return error{}; }).code());
    j->stage_append(2, 0, e.seq, "x");
    auto r = j->commit();
    codes.push_back(r ? errc::none : r.error().code());
    BOOST_TEST(j->meta("format")->value() == "eddy-journal-1");
    return error{};
  });
  BOOST_TEST(!err);
  BOOST_TEST(codes == std::vector<errc>(4, errc::invalid_argument),
             boost::test_tools::per_element());
  // The writes staged in the callback are still staged.
  BOOST_TEST(j->staged() == 2u);
  BOOST_TEST(commit_ok(*j) == (std::vector<ws>{ws::written, ws::written}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(group_commit_of_many_partitions_in_one_commit) {
  temp_dir dir;
  auto j = open_ok(dir.file());
  constexpr uint32_t partitions = 64;
  constexpr uint64_t per_partition = 20;
  std::vector<uint64_t> epochs;
  for (uint32_t kg = 0; kg < partitions; ++kg)
    epochs.push_back(*j->acquire(partition_id_of(1, kg)));
  // Interleave partitions the way a node's journal actor would.
  for (uint64_t seq = 1; seq <= per_partition; ++seq)
    for (uint32_t kg = 0; kg < partitions; ++kg)
      j->stage_append(partition_id_of(1, kg), epochs[kg], seq,
                      std::to_string(kg) + ":" + std::to_string(seq));
  auto st = commit_ok(*j);
  BOOST_TEST(st.size() == partitions * per_partition);
  BOOST_TEST(std::count(st.begin(), st.end(), ws::written) == long(st.size()));
  for (uint32_t kg = 0; kg < partitions; ++kg) {
    auto es = replay_all(*j, partition_id_of(1, kg));
    BOOST_REQUIRE_EQUAL(es.size(), per_partition);
    for (uint64_t i = 0; i < per_partition; ++i)
      BOOST_TEST(es[i].body == std::to_string(kg) + ":" + std::to_string(i + 1));
    BOOST_TEST(highest(*j, partition_id_of(1, kg)) == per_partition);
  }
  auto ps = *j->partitions();
  BOOST_TEST(ps.size() == partitions);
}

BOOST_AUTO_TEST_CASE(empty_commit_is_a_no_op) {
  temp_dir dir;
  auto j = open_ok(dir.file());
  auto st = commit_ok(*j);
  BOOST_TEST(st.empty());
  BOOST_TEST(j->partitions()->empty());
}

BOOST_AUTO_TEST_CASE(snapshot_deletes_older_entries_and_replay_continues_after_it) {
  temp_dir dir;
  auto j = open_ok(dir.file());
  auto p = partition_id_of(2, 5);
  auto e = *j->acquire(p);
  for (uint64_t seq = 1; seq <= 10; ++seq)
    j->stage_append(p, e, seq, "e" + std::to_string(seq));
  commit_ok(*j);
  j->stage_snapshot(p, e, 6, "state@6");
  j->stage_append(p, e, 11, "e11");
  auto st = commit_ok(*j);
  BOOST_TEST(st == (std::vector<ws>{ws::written, ws::written}),
             boost::test_tools::per_element());
  auto snap = *j->load_snapshot(p);
  BOOST_REQUIRE(snap.has_value());
  BOOST_TEST(snap->partition == p);
  BOOST_TEST(snap->seq == 6u);
  BOOST_TEST(snap->epoch == e);
  BOOST_TEST(snap->body == "state@6");
  // Recovery: the snapshot plus the entries after it.
  auto es = replay_all(*j, p, snap->seq + 1);
  BOOST_TEST(seqs_of(es) == (std::vector<uint64_t>{7, 8, 9, 10, 11}),
             boost::test_tools::per_element());
  // The entries the snapshot covers are gone, not just skipped.
  BOOST_TEST(seqs_of(replay_all(*j, p)) == (std::vector<uint64_t>{7, 8, 9, 10, 11}),
             boost::test_tools::per_element());
  // A later snapshot replaces the earlier one.
  j->stage_snapshot(p, e, 9, "state@9");
  commit_ok(*j);
  BOOST_TEST(j->load_snapshot(p)->value().body == "state@9");
  BOOST_TEST(seqs_of(replay_all(*j, p)) == (std::vector<uint64_t>{10, 11}),
             boost::test_tools::per_element());
  BOOST_TEST(highest(*j, p) == 11u);
  BOOST_TEST(!j->load_snapshot(p + 1)->has_value());
}

BOOST_AUTO_TEST_CASE(snapshot_in_the_same_group_deletes_entries_staged_before_it) {
  temp_dir dir;
  auto j = open_ok(dir.file());
  j->stage_append(1, 0, 1, "a");
  j->stage_append(1, 0, 2, "b");
  j->stage_snapshot(1, 0, 2, "s");
  j->stage_append(1, 0, 3, "c");
  commit_ok(*j);
  BOOST_TEST(seqs_of(replay_all(*j, 1)) == (std::vector<uint64_t>{3}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(snapshot_deletes_entries_of_its_own_group_in_a_newer_segment) {
  // Entry ids are grouped in segments of 1024 (ids 0-1023 are segment 0);
  // the group below is the first to write in segment 1.
  temp_dir dir;
  auto j = open_ok(dir.file());
  for (uint64_t seq = 1; seq <= 1023; ++seq)
    j->stage_append(1, 0, seq, "a");
  commit_ok(*j);
  for (uint64_t seq = 1; seq <= 10; ++seq)
    j->stage_append(2, 0, seq, "b");
  j->stage_snapshot(2, 0, 10, "s");
  j->stage_append(2, 0, 11, "c");
  commit_ok(*j);
  BOOST_TEST(seqs_of(replay_all(*j, 2)) == (std::vector<uint64_t>{11}),
             boost::test_tools::per_element());
  BOOST_TEST(replay_all(*j, 1).size() == 1023u);
}

BOOST_AUTO_TEST_CASE(fencing_refuses_a_write_from_an_older_epoch) {
  temp_dir dir;
  auto j = open_ok(dir.file());
  auto p = partition_id_of(7, 1);
  auto first = *j->acquire(p);
  auto second = *j->acquire(p);
  BOOST_TEST(second > first);
  BOOST_TEST(j->epoch(p) == second);
  j->stage_append(p, first, 1, "stale");
  j->stage_snapshot(p, first, 1, "stale snapshot");
  j->stage_append(partition_id_of(7, 2), 0, 1, "other partition");
  auto st = commit_ok(*j);
  BOOST_TEST(st == (std::vector<ws>{ws::fenced, ws::fenced, ws::written}),
             boost::test_tools::per_element());
  BOOST_TEST(replay_all(*j, p).empty());
  BOOST_TEST(!j->load_snapshot(p)->has_value());
  BOOST_TEST(highest(*j, p) == 0u);
  // The current incarnation writes the same seq without conflict.
  j->stage_append(p, second, 1, "fresh");
  BOOST_TEST(commit_ok(*j) == std::vector<ws>{ws::written}, boost::test_tools::per_element());
  BOOST_TEST(replay_all(*j, p).at(0).body == "fresh");
}

BOOST_AUTO_TEST_CASE(acquiring_many_partitions_at_once_fences_each_and_survives_reopen) {
  temp_dir dir;
  auto a = partition_id_of(1, 0), b = partition_id_of(1, 1);
  uint64_t first_a = 0;
  {
    auto j = open_ok(dir.file());
    first_a = *j->acquire(a);
    auto epochs = *j->acquire(std::vector<partition_id>{a, b, b});
    BOOST_TEST(epochs.size() == 3u);
    BOOST_TEST(epochs[0] > first_a);
    BOOST_TEST(epochs[2] > epochs[1]); // named twice: two incarnations
    BOOST_TEST(j->epoch(b) == epochs[2]);
    j->stage_append(a, first_a, 1, "stale");
    BOOST_TEST(commit_ok(*j) == std::vector<ws>{ws::fenced}, boost::test_tools::per_element());
  }
  auto j = open_ok(dir.file());
  BOOST_TEST(j->epoch(a) == first_a + 1);
  BOOST_TEST(j->epoch(b) == 2u);
}

BOOST_AUTO_TEST_CASE(seq_conflict_refuses_a_repeated_or_lower_seq) {
  temp_dir dir;
  auto j = open_ok(dir.file());
  j->stage_append(1, 0, 1, "a");
  j->stage_append(1, 0, 2, "b");
  commit_ok(*j);
  j->stage_append(1, 0, 2, "again");   // repeats a stored seq
  j->stage_append(1, 0, 1, "lower");   // below it
  j->stage_append(1, 0, 4, "d");       // a gap is allowed
  j->stage_append(1, 0, 4, "d again"); // repeats a seq of the same group
  j->stage_append(1, 0, 3, "c");       // below a seq of the same group
  j->stage_append(1, 0, 0, "zero");    // seqs start at 1
  auto st = commit_ok(*j);
  BOOST_TEST(st
               == (std::vector<ws>{ws::seq_conflict, ws::seq_conflict, ws::written,
                                   ws::seq_conflict, ws::seq_conflict, ws::seq_conflict}),
             boost::test_tools::per_element());
  auto es = replay_all(*j, 1);
  BOOST_TEST(seqs_of(es) == (std::vector<uint64_t>{1, 2, 4}), boost::test_tools::per_element());
  BOOST_TEST(es[1].body == "b");
  BOOST_TEST(highest(*j, 1) == 4u);
}

BOOST_AUTO_TEST_CASE(corrupt_file_gives_corrupt_and_stays_unchanged_byte_for_byte) {
  temp_dir dir;
  auto file = dir.file();
  std::string garbage;
  for (int i = 0; i < 8192; ++i)
    garbage.push_back(static_cast<char>((i * 131 + 7) % 251));
  {
    std::ofstream out{file, std::ios::binary};
    out << garbage;
  }
  auto j = eddy::journal::sqlite_journal::open(file);
  BOOST_REQUIRE(!j);
  BOOST_TEST((j.error().code() == errc::corrupt));
  BOOST_TEST(j.error().message().find(file.string()) != std::string::npos, j.error().message());
  // SQLite's own words are part of the message.
  BOOST_TEST(j.error().message().find("not a database") != std::string::npos,
             j.error().message());
  BOOST_TEST(read_bytes(file) == garbage);
  BOOST_TEST(!fs::exists(file.string() + "-wal"));
  BOOST_TEST(!fs::exists(file.string() + "-journal"));
}

BOOST_AUTO_TEST_CASE(a_short_garbage_file_gives_corrupt_too) {
  temp_dir dir;
  auto file = dir.file();
  {
    std::ofstream out{file, std::ios::binary};
    out << "hello";
  }
  auto j = eddy::journal::sqlite_journal::open(file);
  BOOST_REQUIRE(!j);
  BOOST_TEST((j.error().code() == errc::corrupt));
  BOOST_TEST(read_bytes(file) == "hello");
}

BOOST_AUTO_TEST_CASE(a_non_eddy_sqlite_db_gives_corrupt_and_stays_unchanged) {
  temp_dir dir;
  auto file = dir.file();
  {
    sqlite3* db = nullptr;
    BOOST_REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
    BOOST_REQUIRE(sqlite3_exec(db,
                               "CREATE TABLE people(name TEXT); "
                               "INSERT INTO people VALUES('ada'), ('grace');",
                               nullptr, nullptr, nullptr)
                  == SQLITE_OK);
    sqlite3_close(db);
  }
  auto before = read_bytes(file);
  auto j = eddy::journal::sqlite_journal::open(file);
  BOOST_REQUIRE(!j);
  BOOST_TEST((j.error().code() == errc::corrupt));
  BOOST_TEST(j.error().message().find(file.string()) != std::string::npos, j.error().message());
  BOOST_TEST(j.error().message().find("is not an Eddy journal") != std::string::npos,
             j.error().message());
  BOOST_TEST(read_bytes(file) == before);
  BOOST_TEST(!fs::exists(file.string() + "-wal"));
  // A database with a meta table but another format is not ours either.
  {
    sqlite3* db = nullptr;
    BOOST_REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
    BOOST_REQUIRE(sqlite3_exec(db,
                               "CREATE TABLE meta(key TEXT PRIMARY KEY, value BLOB); "
                               "INSERT INTO meta VALUES('format', 'eddy-journal-99');",
                               nullptr, nullptr, nullptr)
                  == SQLITE_OK);
    sqlite3_close(db);
  }
  before = read_bytes(file);
  auto k = eddy::journal::sqlite_journal::open(file);
  BOOST_REQUIRE(!k);
  BOOST_TEST((k.error().code() == errc::corrupt));
  BOOST_TEST(k.error().message().find("eddy-journal-99") != std::string::npos,
             k.error().message());
  BOOST_TEST(read_bytes(file) == before);
}

BOOST_AUTO_TEST_CASE(open_without_create_fails_with_io_when_the_file_is_missing) {
  temp_dir dir;
  auto file = dir.file();
  auto j = eddy::journal::sqlite_journal::open(file, open_options{.create = false});
  BOOST_REQUIRE(!j);
  BOOST_TEST((j.error().code() == errc::io));
  BOOST_TEST(j.error().message().find(file.string()) != std::string::npos);
  BOOST_TEST(!fs::exists(file));
  auto k = eddy::journal::sqlite_journal::open(dir.path / "no-such-dir" / "journal.db");
  BOOST_REQUIRE(!k);
  BOOST_TEST((k.error().code() == errc::io));
}

BOOST_AUTO_TEST_CASE(a_second_open_while_the_first_is_open_fails_as_unavailable) {
  temp_dir dir;
  auto file = dir.file();
  // Fork before this process opens the file, so the child holds no copy of
  // the parent's SQLite state: what it meets is the other process's lock.
  int go[2];
  BOOST_REQUIRE(::pipe(go) == 0);
  auto child = ::fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    ::close(go[1]);
    char c;
    if (::read(go[0], &c, 1) != 1)
      ::_exit(10);
    auto j = eddy::journal::sqlite_journal::open(file);
    if (j)
      ::_exit(11);
    if (j.error().code() != errc::unavailable)
      ::_exit(12);
    if (j.error().message().find(file.string()) == std::string::npos
        || j.error().message().find("in use by another process") == std::string::npos)
      ::_exit(13);
    ::_exit(0);
  }
  ::close(go[0]);
  auto j = open_ok(file);
  j->stage_append(1, 0, 1, "a");
  commit_ok(*j);
  BOOST_REQUIRE(::write(go[1], "x", 1) == 1);
  ::close(go[1]);
  int status = 0;
  BOOST_REQUIRE(::waitpid(child, &status, 0) == child);
  BOOST_REQUIRE(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0,
             "child exit code " << WEXITSTATUS(status)
                                << " (11: opened, 12: not unavailable, 13: message)");
  // The same process is refused too.
  auto k = eddy::journal::sqlite_journal::open(file);
  BOOST_REQUIRE(!k);
  BOOST_TEST((k.error().code() == errc::unavailable));
  // The first journal still works, and once closed the file opens again.
  j->stage_append(1, 0, 2, "b");
  commit_ok(*j);
  j.reset();
  auto l = open_ok(file);
  BOOST_TEST(seqs_of(replay_all(*l, 1)) == (std::vector<uint64_t>{1, 2}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(meta_round_trip) {
  temp_dir dir;
  auto file = dir.file();
  {
    auto j = open_ok(file);
    BOOST_TEST(!j->meta("job")->has_value());
    BOOST_TEST(!j->meta("job", "wordcount"));
    BOOST_TEST(!j->meta("max_key_groups", std::string_view{"\0\x01\x02", 3}));
    BOOST_TEST(!j->meta("job", "wordcount-v2"));
    BOOST_TEST(j->meta("job")->value() == "wordcount-v2");
    BOOST_TEST(j->meta("format")->value() == "eddy-journal-1");
    auto err = j->meta("format", "mine");
    BOOST_TEST((err.code() == errc::invalid_argument));
  }
  auto j = open_ok(file);
  BOOST_TEST(j->meta("job")->value() == "wordcount-v2");
  BOOST_TEST(j->meta("max_key_groups")->value() == std::string(std::string_view{"\0\x01\x02", 3}));
  BOOST_TEST(j->file() == file);
}

BOOST_AUTO_TEST_CASE(reopen_keeps_epochs_highest_seqs_snapshots_and_entries) {
  temp_dir dir;
  auto file = dir.file();
  auto a = partition_id_of(1, 1), b = partition_id_of(1, 2), c = partition_id_of(9, 0);
  {
    auto j = open_ok(file, open_options{.synchronous_full = false});
    (void) *j->acquire(a);
    (void) *j->acquire(a);
    auto eb = *j->acquire(b);
    (void) *j->acquire(c);
    for (uint64_t seq = 1; seq <= 8; ++seq)
      j->stage_append(b, eb, seq, "b");
    j->stage_append(a, 2, 3, "a");
    commit_ok(*j);
    j->stage_snapshot(b, eb, 8, "snap b"); // deletes every entry of b
    commit_ok(*j);
    BOOST_TEST(replay_all(*j, b).empty());
  }
  auto j = open_ok(file);
  BOOST_TEST(j->epoch(a) == 2u);
  BOOST_TEST(j->epoch(b) == 1u);
  BOOST_TEST(j->epoch(c) == 1u);
  BOOST_TEST(j->epoch(partition_id_of(5, 5)) == 0u);
  BOOST_TEST(highest(*j, a) == 3u);
  BOOST_TEST(highest(*j, b) == 8u);
  BOOST_TEST(highest(*j, c) == 0u);
  BOOST_TEST(j->load_snapshot(b)->value().body == "snap b");
  BOOST_TEST(*j->partitions() == (std::vector<partition_id>{a, b, c}),
             boost::test_tools::per_element());
  BOOST_TEST(*j->acquire(a) == 3u);
  // The highest seq survived the deletion: seq 8 of b is still taken.
  j->stage_append(b, 1, 8, "again");
  j->stage_append(b, 1, 9, "next");
  BOOST_TEST(commit_ok(*j) == (std::vector<ws>{ws::seq_conflict, ws::written}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_failed_commit_stores_nothing_and_keeps_caches_consistent) {
  temp_dir dir;
  auto file = dir.file();
  // The failure is a real write error: a child process lowers its file size
  // limit (RLIMIT_FSIZE) below what the group needs. It reports by exit code
  // so that the limit cannot touch this process's own files.
  auto child = ::fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    auto j = eddy::journal::sqlite_journal::open(file);
    if (!j)
      ::_exit(10);
    auto& jr = **j;
    jr.stage_append(1, 0, 1, "a");
    if (!jr.commit())
      ::_exit(11);
    ::signal(SIGXFSZ, SIG_IGN);
    rlimit old{};
    ::getrlimit(RLIMIT_FSIZE, &old);
    std::error_code ec;
    auto wal = fs::file_size(file.string() + "-wal", ec);
    auto limit = std::max<uintmax_t>(fs::file_size(file), ec ? 0 : wal) + 64 * 1024;
    rlimit low = old;
    low.rlim_cur = limit;
    if (::setrlimit(RLIMIT_FSIZE, &low) != 0)
      ::_exit(12);
    jr.stage_append(2, 0, 1, "fine");
    jr.stage_append(1, 0, 2, std::string(1 << 20, 'x'));
    auto r = jr.commit();
    if (r)
      ::_exit(13);
    if (r.error().code() != errc::io || r.error().message().find(file.string()) == std::string::npos)
      ::_exit(14);
    if (jr.staged() != 0 || *jr.highest_seq(1) != 1 || *jr.highest_seq(2) != 0)
      ::_exit(15);
    ::setrlimit(RLIMIT_FSIZE, &old);
    // The journal keeps working after the failure.
    jr.stage_append(1, 0, 2, "b");
    auto again = jr.commit();
    if (!again || again->at(0) != ws::written)
      ::_exit(16);
    ::_exit(0);
  }
  int status = 0;
  BOOST_REQUIRE(::waitpid(child, &status, 0) == child);
  BOOST_REQUIRE(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0, "child exit code " << WEXITSTATUS(status));
  auto j = open_ok(file);
  BOOST_TEST(replay_all(*j, 2).empty());
  auto es = replay_all(*j, 1);
  BOOST_TEST(seqs_of(es) == (std::vector<uint64_t>{1, 2}), boost::test_tools::per_element());
  BOOST_TEST(es.back().body == "b");
  BOOST_TEST(highest(*j, 2) == 0u);
}

BOOST_AUTO_TEST_CASE(replay_and_snapshots_of_a_busy_partition_stay_flat_while_a_quiet_one_is_pinned) {
  temp_dir dir;
  auto j = open_ok(dir.file(), open_options{.synchronous_full = false});
  auto quiet = partition_id_of(1, 0);
  auto busy = partition_id_of(1, 1);
  auto noise = partition_id_of(1, 2);
  auto eq = *j->acquire(quiet);
  auto eb = *j->acquire(busy);
  auto en = *j->acquire(noise);
  // The quiet partition writes one entry at the very start and never
  // snapshots: its entry pins the oldest live id of the file at 1.
  j->stage_append(quiet, eq, 1, "pinned");
  commit_ok(*j);
  uint64_t busy_seq = 0;
  uint64_t noise_seq = 0;
  std::vector<read_stats> replays, snapshots;
  constexpr int rounds = 12;
  for (int round = 0; round < rounds; ++round) {
    // Unrelated entries pile up: 4 groups of 512 noise entries (two segments
    // per round), each with a few entries of the busy partition.
    for (int g = 0; g < 4; ++g) {
      for (int i = 0; i < 512; ++i)
        j->stage_append(noise, en, ++noise_seq, "noise");
      for (int i = 0; i < 4; ++i)
        j->stage_append(busy, eb, ++busy_seq, "busy");
      commit_ok(*j);
    }
    // The busy partition snapshots everything, then writes a little more.
    auto snap_seq = busy_seq;
    snapshots.push_back(cost_of(*j, [&] {
      j->stage_snapshot(busy, eb, snap_seq, "state");
      commit_ok(*j);
    }));
    for (int i = 0; i < 3; ++i)
      j->stage_append(busy, eb, ++busy_seq, "after");
    commit_ok(*j);
    std::vector<entry> tail;
    replays.push_back(cost_of(*j, [&] { tail = replay_all(*j, busy, snap_seq + 1); }));
    BOOST_TEST(seqs_of(tail) == (std::vector<uint64_t>{snap_seq + 1, snap_seq + 2, snap_seq + 3}),
               boost::test_tools::per_element());
    // The noise partition snapshots too (else it would pin the file as well).
    j->stage_snapshot(noise, en, noise_seq, "state");
    commit_ok(*j);
  }
  for (int round = 0; round < rounds; ++round)
    BOOST_TEST_MESSAGE("round " << round << ": replay searched " << replays[round].segments_searched
                                << " segments, " << replays[round].runs_read << " runs, "
                                << replays[round].rows_read << " rows; snapshot delete searched "
                                << snapshots[round].segments_searched << " segments, "
                                << snapshots[round].runs_read << " runs, "
                                << snapshots[round].rows_read << " rows");
  // The file now spans ~2 segments per round since the pinned entry, but the
  // busy partition's replay reads its own run only, and its snapshot deletes
  // read only the segments its entries since the previous snapshot span.
  for (int round = 0; round < rounds; ++round) {
    BOOST_TEST_CONTEXT("round " << round) {
      BOOST_TEST(replays[round].runs_read == 1u);
      BOOST_TEST(replays[round].rows_read <= 3u + 1);
      BOOST_TEST(replays[round].segments_searched <= 2u);
      BOOST_TEST(snapshots[round].segments_searched <= 4u);
      BOOST_TEST(snapshots[round].runs_read <= 5u);
      BOOST_TEST(replays[round].segments_searched == replays.back().segments_searched);
    }
  }
  BOOST_TEST(snapshots[1].segments_searched == snapshots.back().segments_searched);
  // Reopened, the journal finds each partition's first live entry again.
  j.reset();
  j = open_ok(dir.file());
  std::vector<entry> tail;
  auto reopened = cost_of(*j, [&] { tail = replay_all(*j, busy); });
  BOOST_TEST(tail.size() == 3u);
  BOOST_TEST(reopened.runs_read == 1u);
  BOOST_TEST(reopened.segments_searched <= 2u);
  // The quiet partition still has its entry; finding it costs it the span.
  auto pinned = replay_all(*j, quiet);
  BOOST_REQUIRE_EQUAL(pinned.size(), 1u);
  BOOST_TEST(pinned[0].body == "pinned");
  BOOST_TEST(replay_all(*j, noise).empty());
}

BOOST_AUTO_TEST_CASE(a_snapshot_that_cuts_a_run_leaves_the_rest_replayable_after_reopen) {
  temp_dir dir;
  auto j = open_ok(dir.file());
  auto a = partition_id_of(2, 0);
  auto b = partition_id_of(2, 1);
  auto ea = *j->acquire(a);
  auto eb = *j->acquire(b);
  j->stage_append(b, eb, 1, "b1"); // b's only entry, before all of a's
  for (uint64_t seq = 1; seq <= 2000; ++seq)
    j->stage_append(a, ea, seq, "a");
  commit_ok(*j);
  auto cut = cost_of(*j, [&] {
    j->stage_snapshot(a, ea, 1500, "state");
    commit_ok(*j);
  });
  BOOST_TEST(cut.runs_read == 1u);
  BOOST_TEST(seqs_of(replay_all(*j, a)).size() == 500u);
  BOOST_TEST(replay_all(*j, a, 1501, 1501).at(0).seq == 1501u);
  // A second snapshot starts where the first one left.
  auto second = cost_of(*j, [&] {
    j->stage_snapshot(a, ea, 1700, "state");
    commit_ok(*j);
  });
  BOOST_TEST(second.rows_read <= 200u + 1);
  j.reset();
  j = open_ok(dir.file());
  auto rest = replay_all(*j, a);
  BOOST_REQUIRE_EQUAL(rest.size(), 300u);
  BOOST_TEST(rest.front().seq == 1701u);
  BOOST_TEST(rest.back().seq == 2000u);
  BOOST_TEST(replay_all(*j, b).size() == 1u);
  // Appends after a snapshot that left nothing are found again too.
  j->stage_snapshot(a, ea, 2000, "state");
  j->stage_append(a, ea, 2001, "a");
  commit_ok(*j);
  BOOST_TEST(seqs_of(replay_all(*j, a)) == std::vector<uint64_t>{2001},
             boost::test_tools::per_element());
  j.reset();
  j = open_ok(dir.file());
  BOOST_TEST(seqs_of(replay_all(*j, a)) == std::vector<uint64_t>{2001},
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(entries_a_snapshot_covers_are_deleted_with_the_next_checkpoint) {
  temp_dir dir;
  auto j = open_ok(dir.file(), open_options{.synchronous_full = false});
  auto a = partition_id_of(1, 0);
  auto b = partition_id_of(1, 1);
  for (uint64_t seq = 1; seq <= 10; ++seq)
    j->stage_append(a, 0, seq, "a");
  commit_ok(*j);
  j->stage_snapshot(a, 0, 10, "state of a"); // covers all of a: deleted later
  commit_ok(*j);
  BOOST_TEST(replay_all(*j, a).empty());
  // Enough groups for a checkpoint; b snapshots as it goes, so it pins nothing.
  for (uint64_t seq = 1; seq <= 300; ++seq) {
    j->stage_append(b, 0, seq, "b");
    j->stage_snapshot(b, 0, seq, "state of b");
    commit_ok(*j);
  }
  j->stage_append(a, 0, 11, "a11");
  commit_ok(*j);
  j.reset();
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open(dir.file().c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* count = nullptr;
  BOOST_REQUIRE(sqlite3_prepare_v2(db, "SELECT count(*) FROM entries", -1, &count, nullptr) == SQLITE_OK);
  BOOST_REQUIRE(sqlite3_step(count) == SQLITE_ROW);
  auto rows = sqlite3_column_int64(count, 0);
  sqlite3_finalize(count);
  sqlite3_close(db);
  // Of 311 entries, only those after the last checkpoint may be left.
  BOOST_TEST(rows < 64);
  j = open_ok(dir.file());
  BOOST_TEST(seqs_of(replay_all(*j, a)) == std::vector<uint64_t>{11}, boost::test_tools::per_element());
  BOOST_TEST(replay_all(*j, b).empty());
}

BOOST_AUTO_TEST_SUITE_END()
