// The Redis Streams connector against a real redis-server of the test's own:
// endpoint URLs, the source's splits and positions, bounded ends, the sink's
// transactions with their marks, and the errors of a server that is not there.

#include "eddy/connectors/redis/streams.hpp"
#include "eddy/connectors/redis/xadd.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "connectors/redis/redis_client.hpp"
#include "integration/process.hpp"
#include "support/redis_server.hpp"

namespace redis = eddy::connectors::redis;
using eddy::errc;
using eddy::sink_marks;
using eddy::test::redis_client;
using eddy::test::redis_server;

namespace {

redis::endpoint endpoint_of(const redis_server& server) {
  auto e = redis::parse_endpoint(server.url());
  BOOST_REQUIRE(e);
  return *e;
}

/// The error message of `x`, "" when it holds a value (Boost.Test builds
/// messages eagerly).
template <class T>
std::string why(const eddy::expected<T>& x) {
  return x ? std::string{} : x.error().message();
}

/// Appends entries {"n": first..first+count-1} to `stream`.
void append(redis_client& c, const std::string& stream, int first, int count) {
  for (int i = first; i < first + count; ++i)
    c.run({"XADD", stream, "*", "n", std::to_string(i)});
}

/// Reads `src` until it has nothing more now (or is finished): "stream:n" per entry.
std::vector<std::string> drain(eddy::source<redis::entry>& src, size_t max = 2) {
  std::vector<std::string> got;
  for (;;) {
    auto n = src.read(max, [&](const redis::entry& e) {
      got.push_back(e.stream + ":" + std::string{e.field("n").value_or("?")});
    });
    BOOST_REQUIRE_MESSAGE(n, why(n));
    if (*n < max || src.finished())
      return got;
  }
}

std::unique_ptr<eddy::source<redis::entry>> reader_of(const eddy::source<redis::entry>& src,
                                                       const std::string& split) {
  auto r = src.reader(split);
  BOOST_REQUIRE_MESSAGE(r, why(r));
  BOOST_REQUIRE(*r);
  return std::move(*r);
}

struct row {
  std::string key;
  int value;
};

redis::fields fields_of(const row& r) {
  return {{"key", r.key}, {"value", std::to_string(r.value)}};
}

} // namespace

BOOST_AUTO_TEST_SUITE(redis_streams)

BOOST_AUTO_TEST_CASE(endpoint_urls_parse_with_their_defaults_password_and_db) {
  auto plain = redis::parse_endpoint("redis://example.org");
  BOOST_REQUIRE(plain);
  BOOST_TEST(plain->host == "example.org");
  BOOST_TEST(plain->port == 6379);
  BOOST_TEST(plain->db == 0);
  BOOST_TEST(plain->password.empty());
  auto full = redis::parse_endpoint("redis://:s3cr@t@10.0.0.1:7000/3");
  BOOST_REQUIRE(full);
  BOOST_TEST(full->host == "10.0.0.1");
  BOOST_TEST(full->port == 7000);
  BOOST_TEST(full->db == 3);
  BOOST_TEST(full->password == "s3cr@t");
  BOOST_TEST(redis::address_of(*full) == "10.0.0.1:7000");
}

BOOST_AUTO_TEST_CASE(bad_endpoint_urls_are_errors_naming_the_input) {
  for (std::string url : {"http://host:1", "redis://", "redis://host:0", "redis://host:99999",
                          "redis://host:port", "redis://host:1/x", "redis://user:pw@host:1",
                          "redis://:pw@:1"}) {
    auto e = redis::parse_endpoint(url);
    BOOST_REQUIRE_MESSAGE(!e, url << " parsed");
    BOOST_TEST((e.error().code() == errc::invalid_argument));
    BOOST_TEST(e.error().message().find("'" + url + "'") != std::string::npos, e.error().message());
  }
}

BOOST_AUTO_TEST_CASE(each_stream_is_a_split_and_a_reopened_reader_delivers_exactly_the_rest) {
  redis_server server;
  redis_client c{server.port()};
  append(c, "a", 1, 5);
  append(c, "b", 1, 3);
  auto src = redis::streams(endpoint_of(server), {"a", "b", "empty"}, {.follow = false});
  BOOST_REQUIRE(!src->check());
  auto splits = src->splits(1);
  BOOST_REQUIRE(splits);
  BOOST_REQUIRE_EQUAL(splits->size(), 3u);
  BOOST_TEST((*splits)[2] == "0-0 empty");

  auto a = reader_of(*src, (*splits)[0]);
  BOOST_REQUIRE(!a->open(""));
  BOOST_TEST(a->position() == "");
  std::vector<std::string> first;
  auto n = a->read(2, [&](const redis::entry& e) { first.push_back(e.id); });
  BOOST_REQUIRE(n);
  BOOST_TEST(*n == 2u);
  auto position = a->position();
  BOOST_TEST(position == first.back());

  auto again = reader_of(*src, (*splits)[0]);
  BOOST_REQUIRE(!again->open(position));
  BOOST_TEST((drain(*again) == std::vector<std::string>{"a:3", "a:4", "a:5"}));
  BOOST_TEST(again->finished());

  auto b = reader_of(*src, (*splits)[1]);
  BOOST_REQUIRE(!b->open(""));
  BOOST_TEST((drain(*b, 100) == std::vector<std::string>{"b:1", "b:2", "b:3"}));
  BOOST_TEST(b->finished());

  auto empty = reader_of(*src, (*splits)[2]);
  BOOST_REQUIRE(!empty->open(""));
  BOOST_TEST(empty->finished());

  BOOST_TEST((a->open("not-an-id").code() == errc::corrupt));
  BOOST_TEST(!src->reader("0-0 c"));
}

BOOST_AUTO_TEST_CASE(a_bounded_source_ends_at_the_last_id_of_its_first_start) {
  redis_server server;
  redis_client c{server.port()};
  append(c, "s", 1, 4);
  auto bounded = redis::streams(endpoint_of(server), {"s"}, {.follow = false});
  auto splits = bounded->splits(4);
  BOOST_REQUIRE(splits);
  append(c, "s", 5, 3); // after the first start: a restart must not read these
  auto r = reader_of(*bounded, splits->front());
  BOOST_REQUIRE(!r->open(""));
  BOOST_TEST((drain(*r) == std::vector<std::string>{"s:1", "s:2", "s:3", "s:4"}));
  BOOST_TEST(r->finished());

  auto follow = redis::streams(endpoint_of(server), {"s"});
  auto unbounded = follow->splits(1);
  BOOST_REQUIRE(unbounded);
  BOOST_TEST(unbounded->front() == "+ s");
  auto f = reader_of(*follow, unbounded->front());
  BOOST_REQUIRE(!f->open(r->position()));
  BOOST_TEST((drain(*f) == std::vector<std::string>{"s:5", "s:6", "s:7"}));
  BOOST_TEST(!f->finished());
  append(c, "s", 8, 1);
  BOOST_TEST((drain(*f) == std::vector<std::string>{"s:8"}));
}

BOOST_AUTO_TEST_CASE(a_commit_stores_entries_and_marks_together_and_open_returns_the_marks) {
  redis_server server;
  redis_client c{server.port()};
  auto out = redis::xadd<row>(endpoint_of(server), "out", fields_of);
  BOOST_REQUIRE(!out->check());
  auto opened = out->open("");
  BOOST_REQUIRE(opened);
  BOOST_REQUIRE(*opened);
  BOOST_TEST((*opened)->empty());

  BOOST_REQUIRE(!out->write({"x", 1}));
  BOOST_REQUIRE(!out->write({"y", 2}));
  BOOST_TEST(c.one({"XLEN", "out"}) == "0"); // staged, not sent
  sink_marks marks{{0, 7}, {3, 9}};
  BOOST_REQUIRE(out->commit(marks));
  BOOST_TEST((c.run({"XRANGE", "out", "-", "+"}).size()) == 2u * (1 + 4)); // id + 2 pairs each
  BOOST_TEST((c.run({"HGETALL", "eddy:marks:out:0"}) == std::vector<std::string>{"0", "7", "3", "9"}));

  // Staged writes die with their sink; a new one finds the committed marks.
  BOOST_REQUIRE(!out->write({"lost", 3}));
  auto restarted = redis::xadd<row>(endpoint_of(server), "out", fields_of);
  auto again = restarted->open("1");
  BOOST_REQUIRE(again);
  BOOST_TEST((**again == marks));
  BOOST_REQUIRE(!restarted->write({"z", 4}));
  BOOST_REQUIRE(restarted->commit({{0, 8}, {3, 9}}));
  auto values = c.run({"XRANGE", "out", "-", "+"});
  std::vector<std::string> keys;
  for (size_t i = 0; i + 2 < values.size(); ++i)
    if (values[i] == "key")
      keys.push_back(values[i + 1]);
  BOOST_TEST((keys == std::vector<std::string>{"x", "y", "z"}));
}

BOOST_AUTO_TEST_CASE(two_instances_keep_separate_marks) {
  redis_server server;
  auto proto = redis::xadd<row>(endpoint_of(server), "out", fields_of,
                                {.sink_id = "copy", .max_instances = 2});
  BOOST_TEST(proto->max_instances() == 2u);
  auto i0 = proto->instance(0, 2);
  auto i1 = proto->instance(1, 2);
  BOOST_REQUIRE(i0);
  BOOST_REQUIRE(i1);
  BOOST_TEST(!proto->instance(2, 2));
  BOOST_REQUIRE((*i0)->open(""));
  BOOST_REQUIRE((*i1)->open(""));
  BOOST_REQUIRE(!(*i0)->write({"a", 1}));
  BOOST_REQUIRE((*i0)->commit({{0, 1}}));
  BOOST_REQUIRE(!(*i1)->write({"b", 1}));
  BOOST_REQUIRE((*i1)->commit({{0, 5}, {1, 2}}));
  auto m0 = (*proto->instance(0, 2))->open("");
  auto m1 = (*proto->instance(1, 2))->open("");
  BOOST_REQUIRE(m0);
  BOOST_REQUIRE(m1);
  BOOST_TEST((**m0 == sink_marks{{0, 1}}));
  BOOST_TEST((**m1 == sink_marks{{0, 5}, {1, 2}}));
  redis_client c{server.port()};
  BOOST_TEST(c.one({"XLEN", "out"}) == "2");
}

BOOST_AUTO_TEST_CASE(a_commit_whose_connection_was_killed_reconnects_and_writes_once) {
  redis_server server;
  redis_client c{server.port()};
  auto out = redis::xadd<row>(endpoint_of(server), "out", fields_of, {.backoff_ms = 10});
  BOOST_REQUIRE(out->open(""));
  BOOST_REQUIRE(!out->write({"a", 1}));
  BOOST_REQUIRE(out->commit({{0, 1}}));
  c.run({"CLIENT", "KILL", "TYPE", "normal"}); // the sink's connection, not ours
  BOOST_REQUIRE(!out->write({"b", 2}));
  auto committed = out->commit({{0, 2}});
  BOOST_REQUIRE_MESSAGE(committed, why(committed));
  BOOST_TEST(c.one({"XLEN", "out"}) == "2");
  BOOST_TEST((c.run({"HGETALL", "eddy:marks:out:0"}) == std::vector<std::string>{"0", "2"}));
}

BOOST_AUTO_TEST_CASE(a_source_survives_a_killed_connection_between_reads) {
  redis_server server;
  redis_client c{server.port()};
  append(c, "s", 1, 4);
  auto src = redis::streams(endpoint_of(server), {"s"}, {.follow = false, .backoff_ms = 10});
  auto again = reader_of(*src, src->splits(1)->front());
  BOOST_REQUIRE(!again->open(""));
  auto first = again->read(2, [](const redis::entry&) {});
  BOOST_REQUIRE(first);
  c.run({"CLIENT", "KILL", "TYPE", "normal"});
  BOOST_TEST((drain(*again) == std::vector<std::string>{"s:3", "s:4"}));
}

BOOST_AUTO_TEST_CASE(an_unreachable_server_or_a_wrong_key_is_a_clear_check_error) {
  auto port = eddy::test::free_port();
  redis::endpoint nowhere{.port = port};
  auto address = "127.0.0.1:" + std::to_string(port);
  auto src_err = redis::streams(nowhere, {"s"})->check();
  BOOST_TEST((src_err.code() == errc::unavailable));
  BOOST_TEST(src_err.message().find(address) != std::string::npos, src_err.message());
  auto sink_err = redis::xadd<row>(nowhere, "out", fields_of)->check();
  BOOST_TEST((sink_err.code() == errc::unavailable));
  BOOST_TEST(sink_err.message().find(address) != std::string::npos, sink_err.message());

  redis_server server;
  redis_client c{server.port()};
  c.run({"SET", "plain", "1"});
  BOOST_TEST((redis::streams(endpoint_of(server), {"s", ""})->check().code() == errc::invalid_argument));
  BOOST_TEST((redis::streams(endpoint_of(server), {})->check().code() == errc::invalid_argument));
  auto wrong = redis::streams(endpoint_of(server), {"plain"})->check();
  BOOST_TEST(wrong.message().find("'plain' is a string") != std::string::npos, wrong.message());
  BOOST_TEST((redis::xadd<row>(endpoint_of(server), "plain", fields_of)->check().code()
             == errc::invalid_argument));
  auto bad_db = redis::streams(redis::endpoint{.port = server.port(), .db = 99}, {"s"})->check();
  BOOST_TEST(bad_db.message().find("refused the login") != std::string::npos, bad_db.message());
}

BOOST_AUTO_TEST_SUITE_END()
