// The link messages (protocol.hpp) and the cluster's messages
// (cluster/cluster_messages.hpp) between two real processes over the CAF
// io middleman on loopback: each one goes to test/support/link_echo_peer.cpp
// and comes back field for field; a stopped peer makes a request time out.


#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "cluster/cluster_messages.hpp"
#include "link_types.hpp"
#include "protocol.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

using namespace eddy::actors;
using namespace std::chrono_literals;
using eddy::dataflow::record_batch;

// Contracts: link messages serialize, and batches are not skipped on the way
// (CAF 0.17 inspectors skip fields of allowed-unsafe types without a word).
static_assert(caf::detail::is_serializable<frame_msg>::value);
static_assert(caf::detail::is_serializable<frame_ack_msg>::value);
static_assert(caf::detail::is_serializable<greeting_msg>::value);
static_assert(!caf::allowed_unsafe_message_type<batch_ptr>::value);

namespace {

constexpr auto u32_max = std::numeric_limits<uint32_t>::max();
constexpr auto u64_max = std::numeric_limits<uint64_t>::max();

// -- comparing every field ---------------------------------------------------

// Every field of each type by structured binding, independent of inspect: a
// field added to a type breaks its line here until the test knows it too.
auto fields(const record_batch& x) {
  const auto& [first_seq, count, data, watermark] = x;
  return std::tie(first_seq, count, data, watermark);
}
auto fields(const channel_batch& x) {
  const auto& [producer, consumer, batch] = x;
  return std::tie(producer, consumer, batch);
}
auto fields(const channel_seq& x) {
  const auto& [producer, consumer, seq] = x;
  return std::tie(producer, consumer, seq);
}
auto fields(const input_seq& x) {
  const auto& [producer, seq] = x;
  return std::tie(producer, seq);
}
auto fields(const consumer_hello& x) {
  const auto& [consumer, hws] = x;
  return std::tie(consumer, hws);
}
auto fields(const frame_msg& x) {
  const auto& [stage, instance, epoch, batches, answers, watermark, end] = x;
  return std::tie(stage, instance, epoch, batches, answers, watermark, end);
}
auto fields(const frame_ack_msg& x) {
  const auto& [stage, instance, epoch, acks] = x;
  return std::tie(stage, instance, epoch, acks);
}
auto fields(const greeting_msg& x) {
  const auto& [stage, instance, epoch, hellos] = x;
  return std::tie(stage, instance, epoch, hellos);
}

auto fields(const cluster::join_msg& x) {
  const auto& [fingerprint, state_dir, host, port, agent] = x;
  return std::tie(fingerprint, state_dir, host, port, agent);
}
auto fields(const cluster::refused_msg& x) {
  const auto& [why] = x;
  return std::tie(why);
}
auto fields(const cluster::welcome_msg& x) {
  const auto& [generation, worker, workers, split_hint, splits, sink_instances, hosts, ports,
               state_dirs, nodes, homes] = x;
  return std::tie(generation, worker, workers, split_hint, splits, sink_instances, hosts, ports,
                  state_dirs, nodes, homes);
}
auto fields(const cluster::exchanges_msg& x) {
  const auto& [generation, worker, exchanges] = x;
  return std::tie(generation, worker, exchanges);
}
auto fields(const cluster::peers_msg& x) {
  const auto& [exchanges] = x;
  return std::tie(exchanges);
}

template <class T>
inline constexpr bool is_vector = false;
template <class T>
inline constexpr bool is_vector<std::vector<T>> = true;

template <class T>
void check_same(const T& sent, const T& got);

template <size_t I, class Fields>
void check_field(const Fields& sent, const Fields& got) {
  BOOST_TEST_CONTEXT("field " << I) {
    check_same(std::get<I>(sent), std::get<I>(got));
  }
}

/// Checks that `got` equals `sent` in every field, recursively.
template <class T>
void check_same(const T& sent, const T& got) {
  if constexpr (std::is_arithmetic_v<T>) {
    BOOST_TEST(got == sent);
  } else if constexpr (std::is_same_v<T, std::string>) {
    // Batch data may be a MiB of binary: no dump on failure.
    BOOST_CHECK_MESSAGE(got == sent, "bytes differ: sent " << sent.size() << ", got " << got.size());
  } else if constexpr (std::is_same_v<T, caf::actor>) {
    // A handle of this node's actor comes back as that actor.
    BOOST_TEST((got == sent));
  } else if constexpr (std::is_same_v<T, batch_ptr>) {
    BOOST_REQUIRE(sent != nullptr);
    BOOST_REQUIRE_MESSAGE(got != nullptr, "a batch arrived as null");
    check_same(*sent, *got);
  } else if constexpr (is_vector<T>) {
    BOOST_REQUIRE_EQUAL(got.size(), sent.size());
    for (size_t i = 0; i < sent.size(); ++i) {
      BOOST_TEST_CONTEXT("[" << i << "]") {
        check_same(sent[i], got[i]);
      }
    }
  } else {
    auto s = fields(sent);
    auto g = fields(got);
    [&]<size_t... I>(std::index_sequence<I...>) {
      (check_field<I>(s, g), ...);
    }(std::make_index_sequence<std::tuple_size_v<decltype(s)>>{});
  }
}

// -- messages with every kind of field value ---------------------------------

batch_ptr batch_of(uint64_t first_seq, int64_t watermark,
                   std::initializer_list<eddy::dataflow::record_view> records) {
  auto b = std::make_shared<record_batch>();
  b->first_seq = first_seq;
  b->watermark = watermark;
  for (const auto& r : records)
    b->append(r.key, r.time, r.payload);
  return b;
}

std::vector<frame_msg> sample_frames() {
  using namespace std::string_view_literals;
  auto records = batch_of(1, eddy::min_time,
                          {{"user-1", 1'700'000'000'000, R"({"amount": 12})"},
                           {"", -5, ""},
                           {"k\0y"sv, eddy::max_time, "\0\xff\n"sv}});
  auto empty = batch_of(42, eddy::max_time, {}); // count 0, no data
  std::string mib(size_t{1} << 20, 'x');
  auto large = batch_of(u64_max - 1, 1'700'000'000'123, {{"big", 7, mib}});
  frame_msg data;
  data.producer_stage = 1;
  data.producer_instance = 3;
  data.epoch = 7;
  data.batches = {{0, 7, records}, {2, 0, empty}, {u32_max, 5, large}, {0, 8, records}};
  data.answers = {0, 7, u32_max};
  data.watermark = 1'700'000'000'000;
  frame_msg last;
  last.producer_stage = u32_max;
  last.producer_instance = 0;
  last.epoch = u32_max;
  last.watermark = eddy::max_time;
  last.end = true;
  return {data, last, frame_msg{}};
}

std::vector<frame_ack_msg> sample_frame_acks() {
  return {{2, 4, 3, {{0, 0, 0}, {3, 9, 1}, {u32_max, u32_max, u64_max}}}, {0, u32_max, u32_max, {}}};
}

std::vector<greeting_msg> sample_greetings() {
  return {{2, 1, 5, {{0, {}}, {5, {{0, 1}, {3, 1000}, {u32_max, u64_max}}}, {9, {{1, 0}}}}},
          {u32_max, u32_max, u32_max, {}}};
}

// -- two processes -----------------------------------------------------------

/// A job's actor system config with the middleman loaded.
struct link_config : caf::actor_system_config {
  link_config() {
    add_link_message_types(*this);
    cluster::add_cluster_message_types(*this);
    load<caf::io::middleman>();
  }
};

/// An actor system in this process connected to link_echo_peer in a child.
/// The peer is killed (SIGKILL) and reaped when the fixture goes, also when a
/// test fails, and before the actor system shuts down.
struct peer_fixture {
  eddy::test::temp_dir dir;
  link_config cfg;
  caf::actor_system sys{cfg};
  std::optional<eddy::test::process> peer;
  caf::actor echo;

  peer_fixture() {
    std::filesystem::create_directories(dir.path);
    peer.emplace(std::vector<std::string>{EDDY_LINK_ECHO_PEER_BINARY}, dir.path / "out",
                 dir.path / "err");
    auto port = wait_for_port();
    auto h = sys.middleman().remote_actor("127.0.0.1", port);
    // Not BOOST_REQUIRE_MESSAGE: it evaluates h.error() even when h holds a value.
    if (!h)
      BOOST_FAIL("cannot connect to the peer: " << sys.render(h.error()));
    echo = *h;
  }

  /// The port the peer printed; fails when it exits or takes 10 s.
  uint16_t wait_for_port() {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    for (;;) {
      std::ifstream in{dir.path / "out"};
      std::string line;
      if (std::getline(in, line) && !in.eof()) // a whole line, '\n' included
        return static_cast<uint16_t>(std::stoul(line));
      if (auto st = peer->wait_for(0s))
        BOOST_FAIL("link_echo_peer ended (" << st->describe() << ") before printing its port: "
                                            << first_line_of(dir.path / "err"));
      if (std::chrono::steady_clock::now() > deadline)
        BOOST_FAIL("link_echo_peer printed no port within 10 s");
      std::this_thread::sleep_for(5ms);
    }
  }

  static std::string first_line_of(const std::filesystem::path& file) {
    std::ifstream in{file};
    std::string line;
    std::getline(in, line);
    return line;
  }

  /// Sends `msg` to the echo as a request and returns the answer or the error.
  template <class T>
  caf::expected<T> ask(const T& msg, std::chrono::milliseconds timeout = 10s) {
    caf::scoped_actor self{sys};
    std::optional<T> answer;
    caf::error failure;
    self->request(echo, timeout, msg)
      .receive([&](T& x) { answer = std::move(x); }, [&](caf::error& err) { failure = err; });
    if (answer)
      return std::move(*answer);
    return failure;
  }

  /// Sends `msg` to the echo and checks that it comes back the same.
  template <class T>
  void check_round_trip(const T& msg) {
    auto back = ask(msg);
    if (!back)
      BOOST_FAIL("no echo: " << sys.render(back.error()));
    check_same(msg, *back);
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(link_messages)

BOOST_FIXTURE_TEST_CASE(every_link_message_survives_a_round_trip_between_two_processes,
                        peer_fixture) {
  for (const auto& m : sample_frames())
    check_round_trip(m);
  for (const auto& m : sample_frame_acks())
    check_round_trip(m);
  for (const auto& m : sample_greetings())
    check_round_trip(m);
}

BOOST_FIXTURE_TEST_CASE(every_cluster_message_survives_a_round_trip_between_two_processes,
                        peer_fixture) {
  // Handles of actors of this node, and a null one (a peer's exchange).
  auto a = sys.spawn([]() -> caf::behavior { return {[](int) {}}; });
  auto b = sys.spawn([]() -> caf::behavior { return {[](int) {}}; });
  check_round_trip(cluster::join_msg{"job 'x' (source s; operators a, b) with --parallelism 3",
                                     "/tmp/state/worker-1", "127.0.0.1", 65535, a});
  check_round_trip(cluster::join_msg{});
  check_round_trip(cluster::refused_msg{"it runs another job"});
  check_round_trip(cluster::welcome_msg{7, 2, 3, 4, {"0-99", "", std::string(3, '\0')}, {1, u32_max},
                                        {"127.0.0.1", "::1", "h"}, {1, 65535, 0},
                                        {"/s/worker-1", "", "/s/worker-3"}, {0, 2, 2, 1}, {0, 1, 2, 1}});
  check_round_trip(cluster::exchanges_msg{3, u32_max, {a, nullptr, b}});
  check_round_trip(cluster::peers_msg{{nullptr, b, a, a}});
  check_round_trip(cluster::peers_msg{});
  caf::anon_send_exit(a, caf::exit_reason::kill);
  caf::anon_send_exit(b, caf::exit_reason::kill);
}

BOOST_AUTO_TEST_CASE(a_null_batch_is_refused_with_an_error_when_serialized) {
  caf::actor_system_config cfg;
  add_link_message_types(cfg);
  caf::actor_system sys{cfg};
  frame_msg frame;
  frame.batches = {{0, 1, nullptr}};
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  auto err = sink(frame);
  BOOST_REQUIRE(err);
  BOOST_CHECK_MESSAGE(err == caf::sec::invalid_argument, sys.render(err));
  BOOST_CHECK_MESSAGE(sys.render(err).find("null batch_ptr") != std::string::npos, sys.render(err));
}

// What the refusal means on a link in CAF 0.17 (batch_inspect.hpp): the
// receiver gets an empty message, and the link carries on.
BOOST_FIXTURE_TEST_CASE(a_frame_with_a_null_batch_arrives_empty_and_the_next_frame_gets_through,
                        peer_fixture) {
  frame_msg broken;
  broken.batches = {{0, 1, nullptr}};
  auto back = ask(broken);
  BOOST_REQUIRE_MESSAGE(!back, "a frame with a null batch came back");
  BOOST_CHECK_MESSAGE(back.error() == caf::sec::unexpected_message, sys.render(back.error()));
  check_round_trip(sample_frames().front());
}

BOOST_FIXTURE_TEST_CASE(a_stopped_peer_makes_a_request_time_out_instead_of_hanging,
                        peer_fixture) {
  auto greeting = sample_greetings().front();
  check_round_trip(greeting);
  BOOST_REQUIRE_MESSAGE(peer->stop(), "the peer did not stop within 5 s");
  auto started = std::chrono::steady_clock::now();
  auto back = ask(greeting, 1s);
  auto waited = std::chrono::steady_clock::now() - started;
  BOOST_REQUIRE_MESSAGE(!back, "a stopped peer answered");
  BOOST_CHECK_MESSAGE(back.error() == caf::sec::request_timeout, sys.render(back.error()));
  auto waited_ms = std::chrono::duration<double, std::milli>(waited).count();
  BOOST_TEST(waited_ms >= 900);
  BOOST_TEST(waited_ms < 5000);
  // The link survives the pause: once the peer runs again, it answers.
  BOOST_REQUIRE(peer->resume());
  check_round_trip(greeting);
}

// Registering the types changes nothing locally: CAF consults the names only
// when it serializes, so a local send passes the same immutable batch along.
BOOST_AUTO_TEST_CASE(a_local_send_shares_batches_instead_of_copying_them) {
  link_config cfg;
  caf::actor_system sys{cfg};
  auto local_echo = sys.spawn([]() -> caf::behavior { return {[](frame_msg& m) { return std::move(m); }}; });
  auto frame = sample_frames().front();
  caf::scoped_actor self{sys};
  std::optional<frame_msg> back;
  self->request(local_echo, 10s, frame).receive([&](frame_msg& m) { back = std::move(m); },
                                                [&](caf::error&) {});
  BOOST_REQUIRE(back);
  BOOST_REQUIRE_EQUAL(back->batches.size(), frame.batches.size());
  for (size_t i = 0; i < frame.batches.size(); ++i)
    BOOST_TEST(back->batches[i].batch.get() == frame.batches[i].batch.get());
  self->send_exit(local_echo, caf::exit_reason::kill);
}

BOOST_AUTO_TEST_SUITE_END()
