// The PostgreSQL table writer and sink against a server of the suite's own:
// rows and marks commit together or not at all, upserts, marks per
// instance, check() errors, and a server that restarts or stays down.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "eddy/connectors/postgres/table.hpp"
#include "support/postgres_server.hpp"

namespace postgres = eddy::connectors::postgres;
namespace table = eddy::connectors::table;
using namespace std::chrono_literals;

namespace {

auto& server = eddy::test::suite_postgres::server;

table::table_spec spec_of(std::string name, std::vector<std::string> columns,
                          std::vector<std::string> key = {}) {
  table::table_spec spec;
  spec.table = std::move(name);
  spec.columns = std::move(columns);
  spec.key = std::move(key);
  spec.max_instances = 2;
  return spec;
}

table::row row_of(std::vector<std::optional<std::string>> values) {
  return values;
}

/// The marks of one instance as "channel:seq,...".
std::string marks_text(const eddy::sink_marks& marks) {
  std::string s;
  for (auto& m : marks)
    s += (s.empty() ? "" : ",") + std::to_string(m.channel) + ":" + std::to_string(m.seq);
  return s;
}

std::string stored_marks(const std::string& sink_id, int instance) {
  auto rows = server->query("select channel || ':' || seq from eddy_sink_marks where sink_id = '"
                            + sink_id + "' and instance = " + std::to_string(instance)
                            + " order by channel");
  std::string s;
  for (auto& r : rows)
    s += (s.empty() ? "" : ",") + r;
  return s;
}

/// The server's port, from its DSN.
std::string server_port() {
  auto dsn = server->dsn();
  auto after = dsn.substr(dsn.rfind(':') + 1);
  return after.substr(0, after.find('/'));
}

postgres::retry_policy quick_retries(uint32_t attempts) {
  return {attempts, 20ms, 200ms};
}

} // namespace

BOOST_AUTO_TEST_SUITE(postgres_table, *boost::unit_test::fixture<eddy::test::suite_postgres>())

BOOST_AUTO_TEST_CASE(inserts_and_marks_commit_together) {
  server->query("create table words (word text, n bigint)");
  auto w = postgres::make_writer(server->dsn(), spec_of("words", {"word", "n"}));
  BOOST_REQUIRE(!w->check());
  auto opened = w->open(0);
  BOOST_REQUIRE(opened);
  BOOST_TEST(opened->empty());
  BOOST_REQUIRE(!w->commit(0, {row_of({"a", "1"}), row_of({"b", "2"})}, {{0, 2}, {1, 5}}));
  BOOST_TEST(server->query("select word || '=' || n from words order by word")
             == (std::vector<std::string>{"a=1", "b=2"}));
  BOOST_TEST(stored_marks("words", 0) == "0:2,1:5");
  BOOST_REQUIRE(!w->commit(0, {row_of({"c", "3"})}, {{0, 3}, {1, 5}}));
  BOOST_TEST(server->value("select count(*) from words") == "3");
  BOOST_TEST(stored_marks("words", 0) == "0:3,1:5");
}

BOOST_AUTO_TEST_CASE(values_with_tabs_newlines_backslashes_and_nulls_arrive_unchanged_in_a_schema_qualified_table) {
  server->query("create schema app; create table app.\"Odd \"\"Table\" (\"order\" text, \"two words\" text)");
  auto w = postgres::make_writer(server->dsn(), spec_of("app.Odd \"Table", {"order", "two words"}));
  BOOST_REQUIRE(!w->check());
  BOOST_REQUIRE(w->open(0));
  BOOST_REQUIRE(!w->commit(0, {row_of({"tab\there", std::nullopt}),
                               row_of({"line\nbreak\r\n", "back\\slash \\N"}),
                               row_of({"", "\xc3\xa9"})},
                           {{0, 1}}));
  BOOST_TEST(server->query("select coalesce(\"two words\", 'NULL') from app.\"Odd \"\"Table\" "
                           "where \"order\" = E'tab\\there'")
             == (std::vector<std::string>{"NULL"}));
  BOOST_TEST(server->value("select count(*) from app.\"Odd \"\"Table\" where \"order\" = "
                           "E'line\\nbreak\\r\\n' and \"two words\" = E'back\\\\slash \\\\N'")
             == "1");
  BOOST_TEST(server->value("select count(*) from app.\"Odd \"\"Table\" where \"order\" = '' "
                           "and \"two words\" = 'é'")
             == "1");
}

BOOST_AUTO_TEST_CASE(upsert_by_key_replaces_rows_and_the_last_row_of_a_key_in_a_commit_wins) {
  server->query("create table totals (word text primary key, n bigint, note text)");
  auto sink = postgres::table_sink<std::vector<std::string>>(
    server->dsn(), spec_of("totals", {"word", "n", "note"}, {"word"}),
    [](const std::vector<std::string>& v) { return table::row{v[0], v[1], v[2]}; });
  BOOST_REQUIRE(!sink->check());
  BOOST_REQUIRE(sink->open(""));
  for (auto& v : std::vector<std::vector<std::string>>{
         {"a", "1", "x"}, {"b", "1", "x"}, {"a", "2", "y"}, {"a", "3", "z"}})
    BOOST_REQUIRE(!sink->write(v));
  BOOST_REQUIRE(sink->commit({{0, 4}}));
  BOOST_TEST(server->query("select word || '=' || n || note from totals order by word")
             == (std::vector<std::string>{"a=3z", "b=1x"}));
  BOOST_REQUIRE(!sink->write({"b", "7", "w"}));
  BOOST_REQUIRE(!sink->write({"c", "1", "v"}));
  BOOST_REQUIRE(sink->commit({{0, 6}}));
  BOOST_TEST(server->query("select word || '=' || n || note from totals order by word")
             == (std::vector<std::string>{"a=3z", "b=7w", "c=1v"}));
  BOOST_TEST(stored_marks("totals", 0) == "0:6");
}

BOOST_AUTO_TEST_CASE(open_returns_the_marks_of_the_last_commit_per_instance) {
  server->query("create table events (v text)");
  auto spec = spec_of("events", {"v"});
  auto w0 = postgres::make_writer(server->dsn(), spec);
  auto w1 = postgres::make_writer(server->dsn(), spec);
  BOOST_REQUIRE(w0->open(0));
  BOOST_REQUIRE(w1->open(1));
  BOOST_REQUIRE(!w0->commit(0, {row_of({"x"})}, {{0, 10}}));
  BOOST_REQUIRE(!w1->commit(1, {row_of({"y"})}, {{0, 3}, {2, 4}}));
  BOOST_REQUIRE(!w0->commit(0, {row_of({"z"})}, {{0, 11}, {1, 1}}));
  // A second sink into the same table keeps marks of its own.
  auto other_spec = spec;
  other_spec.sink_id = "events-copy";
  auto other = postgres::make_writer(server->dsn(), other_spec);
  BOOST_REQUIRE(other->open(0));
  BOOST_REQUIRE(!other->commit(0, {row_of({"w"})}, {{0, 99}}));

  auto again0 = postgres::make_writer(server->dsn(), spec)->open(0);
  auto again1 = postgres::make_writer(server->dsn(), spec)->open(1);
  BOOST_REQUIRE(again0);
  BOOST_REQUIRE(again1);
  BOOST_TEST(marks_text(*again0) == "0:11,1:1");
  BOOST_TEST(marks_text(*again1) == "0:3,2:4");
  BOOST_TEST(marks_text(*postgres::make_writer(server->dsn(), other_spec)->open(0)) == "0:99");
}

BOOST_AUTO_TEST_CASE(a_commit_that_fails_midway_leaves_neither_rows_nor_marks) {
  server->query("create table strict (id int primary key, v text)");
  auto w = postgres::make_writer(server->dsn(), spec_of("strict", {"id", "v"}), quick_retries(5));
  BOOST_REQUIRE(w->open(0));
  BOOST_REQUIRE(!w->commit(0, {row_of({"1", "a"})}, {{0, 1}}));
  auto started = std::chrono::steady_clock::now();
  auto err = w->commit(0, {row_of({"2", "b"}), row_of({"1", "again"})}, {{0, 3}});
  BOOST_REQUIRE(err);
  BOOST_TEST_MESSAGE(err.message());
  BOOST_TEST(err.message().find("duplicate key") != std::string::npos);
  BOOST_TEST(err.message().find("strict") != std::string::npos);
  BOOST_TEST((std::chrono::steady_clock::now() - started < 1s)); // not retried
  auto bad_type = w->commit(0, {row_of({"x", "c"})}, {{0, 4}});
  BOOST_REQUIRE(bad_type);
  BOOST_TEST(bad_type.message().find("invalid input syntax") != std::string::npos);
  BOOST_TEST(server->query("select id || v from strict") == (std::vector<std::string>{"1a"}));
  BOOST_TEST(stored_marks("strict", 0) == "0:1");
  // The connection is still good for the next commit.
  BOOST_REQUIRE(!w->commit(0, {row_of({"2", "b"})}, {{0, 3}}));
  BOOST_TEST(stored_marks("strict", 0) == "0:3");
}

BOOST_AUTO_TEST_CASE(check_names_a_bad_dsn_a_missing_table_column_or_key_index) {
  server->query("create table checked (a text, b text)");
  auto port = server->dsn().substr(server->dsn().rfind(':') + 1);
  port = port.substr(0, port.find('/'));
  auto unused_port = std::to_string(std::stoi(port) == 1 ? 2 : 1);
  auto err = postgres::make_writer("postgresql://postgres:secret@127.0.0.1:" + unused_port + "/eddy",
                                   spec_of("checked", {"a"}))
               ->check();
  BOOST_REQUIRE(err);
  BOOST_TEST_MESSAGE(err.message());
  BOOST_TEST(err.message().find("postgresql://postgres@127.0.0.1:" + unused_port + "/eddy")
             != std::string::npos);
  BOOST_TEST(err.message().find("secret") == std::string::npos);

  err = postgres::make_writer("this is no dsn", spec_of("checked", {"a"}))->check();
  BOOST_REQUIRE(err);
  BOOST_TEST_MESSAGE(err.message());

  err = postgres::make_writer(server->dsn(), spec_of("missing", {"a"}))->check();
  BOOST_REQUIRE(err);
  BOOST_TEST_MESSAGE(err.message());
  BOOST_TEST(err.message().find("table missing does not exist") != std::string::npos);

  err = postgres::make_writer(server->dsn(), spec_of("checked", {"a", "c"}))->check();
  BOOST_REQUIRE(err);
  BOOST_TEST_MESSAGE(err.message());
  BOOST_TEST(err.message().find("no column 'c'") != std::string::npos);

  err = postgres::make_writer(server->dsn(), spec_of("checked", {"a", "b"}, {"a"}))->check();
  BOOST_REQUIRE(err);
  BOOST_TEST_MESSAGE(err.message());
  BOOST_TEST(err.message().find("no primary key or unique index on (a)") != std::string::npos);

  server->query("create unique index on checked (a)");
  BOOST_TEST(!postgres::make_writer(server->dsn(), spec_of("checked", {"a", "b"}, {"a"}))->check());
}

BOOST_AUTO_TEST_CASE(check_runs_the_create_statement_of_a_job_that_owns_its_table) {
  auto spec = spec_of("owned", {"a"});
  spec.create = "CREATE TABLE IF NOT EXISTS owned (a text)";
  BOOST_REQUIRE(!postgres::make_writer(server->dsn(), spec)->check());
  BOOST_REQUIRE(!postgres::make_writer(server->dsn(), spec)->check()); // again: no harm
  BOOST_TEST(server->value("select count(*) from owned") == "0");
}

BOOST_AUTO_TEST_CASE(a_server_restarted_between_commits_is_survived_through_retries) {
  server->query("create table durable (v text primary key)");
  auto w = postgres::make_writer(server->dsn(), spec_of("durable", {"v"}, {"v"}),
                                 {10, 50ms, 1s});
  BOOST_REQUIRE(w->open(0));
  BOOST_REQUIRE(!w->commit(0, {row_of({"before"})}, {{0, 1}}));
  // Down when the commit starts, back a moment later: the first attempts
  // find no server, a later one a new one (and a new staging table).
  server->stop();
  std::thread restart{[] {
    std::this_thread::sleep_for(300ms);
    server->start();
  }};
  auto err = w->commit(0, {row_of({"after"})}, {{0, 2}});
  restart.join();
  BOOST_REQUIRE_MESSAGE(!err, err.message());
  BOOST_TEST(server->query("select v from durable order by v")
             == (std::vector<std::string>{"after", "before"}));
  BOOST_TEST(stored_marks("durable", 0) == "0:2");
}

// The connection breaks (ss -K on the client's socket) while the server is
// still inside COMMIT, held there by a deferred trigger that sleeps 1 s:
// the writer cannot know whether the transaction committed. With a long
// backoff the old session has committed and gone when the writer looks, and
// the marks say so; with a short one the writer ends the session mid-commit
// (it rolls back) and runs the transaction again. Either way: once.
BOOST_AUTO_TEST_CASE(a_connection_that_breaks_during_commit_writes_the_commit_once) {
  server->query("create function slow_commit() returns trigger language plpgsql as "
                "$$ begin perform pg_sleep(1); return null; end $$");
  int n = 0;
  for (auto backoff : {1500ms, 20ms}) {
    auto name = "unsure" + std::to_string(n++);
    server->query("create table " + name + " (v text); create constraint trigger slow after insert on "
                  + name + " deferrable initially deferred for each row execute function slow_commit()");
    auto w = postgres::make_writer(server->dsn(), spec_of(name, {"v"}), {5, backoff, backoff});
    BOOST_REQUIRE(w->open(0));
    auto killed = server->dir() / "ss.out";
    std::thread cut{[&] {
      std::this_thread::sleep_for(400ms);
      eddy::test::process ss{{"/usr/bin/ss", "-K", "dst", "127.0.0.1", "dport", "=", ":" + server_port()},
                             killed, server->dir() / "ss.err"};
      ss.wait(10s);
    }};
    auto started = std::chrono::steady_clock::now();
    auto err = w->commit(0, {row_of({"once"})}, {{0, 1}});
    cut.join();
    BOOST_TEST_MESSAGE("backoff " << backoff.count() << " ms: the commit took "
                                  << (std::chrono::steady_clock::now() - started) / 1ms << " ms");
    BOOST_REQUIRE_MESSAGE(!err, err.message());
    // ss lists the sockets it closed under a header line: the writer's.
    std::ifstream listed{killed};
    int lines = 0;
    for (std::string line; std::getline(listed, line);)
      ++lines;
    BOOST_TEST_REQUIRE(lines >= 2, "ss -K closed no connection");
    BOOST_TEST(server->value("select count(*) from " + name) == "1");
    BOOST_TEST(stored_marks(name, 0) == "0:1");
  }
}

BOOST_AUTO_TEST_CASE(a_server_that_stays_down_fails_with_a_message_naming_it_after_the_retries) {
  server->query("create table lonely (v text)");
  auto w = postgres::make_writer(server->dsn(), spec_of("lonely", {"v"}), quick_retries(3));
  BOOST_REQUIRE(w->open(0));
  server->stop();
  auto err = w->commit(0, {row_of({"x"})}, {{0, 1}});
  auto reopened = postgres::make_writer(server->dsn(), spec_of("lonely", {"v"}), quick_retries(2))
                    ->open(0);
  server->start();
  BOOST_REQUIRE(err);
  BOOST_TEST_MESSAGE(err.message());
  auto where = server->dsn();
  BOOST_TEST(err.message().find("PostgreSQL server " + where + " unreachable") != std::string::npos);
  BOOST_TEST(err.message().find("failed 3 times") != std::string::npos);
  BOOST_REQUIRE(!reopened);
  BOOST_TEST(reopened.error().message().find("open of table lonely failed 2 times")
             != std::string::npos);
  BOOST_TEST(server->value("select count(*) from lonely") == "0");
}

BOOST_AUTO_TEST_SUITE_END()
