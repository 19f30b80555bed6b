// Both user styles survive SIGKILL: an event-sourced behavior (events
// journaled, replayed through on_event) and a process function with map and
// list state. A forked child runs the job and is killed at random moments;
// reruns resume; the final output holds every effect exactly once.

#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <thread>
#include <variant>

#include "eddy/actors/run.hpp"
#include "eddy/connectors/file/lines_out.hpp"
#include "eddy/connectors/memory/memory.hpp"
#include "eddy/state.hpp"
#include "support/kill_loop.hpp"
#include "support/temp_dir.hpp"

using namespace eddy;

namespace {

struct command {
  int32_t account = 0;
  int64_t amount = 0; // > 0 deposit, < 0 withdrawal
};
template <class I>
auto inspect(I& f, command& x) {
  return f(x.account, x.amount);
}

struct deposited {
  int64_t amount = 0;
};
struct withdrawn {
  int64_t amount = 0;
};
template <class I>
auto inspect(I& f, deposited& x) {
  return f(x.amount);
}
template <class I>
auto inspect(I& f, withdrawn& x) {
  return f(x.amount);
}

/// Akka style: commands decide, events apply.
struct bank_account {
  struct state {
    int64_t balance = 0;
    int64_t operations = 0;
  };
  void on_command(const state& s, const command& c,
                  effects<std::variant<deposited, withdrawn>, std::string>& fx) {
    if (c.amount >= 0)
      fx.persist(deposited{c.amount});
    else
      fx.persist(withdrawn{-c.amount});
    fx.emit(std::to_string(c.account) + " " + std::to_string(s.operations + 1) + " "
            + std::to_string(s.balance + c.amount));
  }
  static void on_event(state& s, const deposited& e) {
    s.balance += e.amount;
    ++s.operations;
  }
  static void on_event(state& s, const withdrawn& e) {
    s.balance -= e.amount;
    ++s.operations;
  }
};
template <class I>
auto inspect(I& f, bank_account::state& x) {
  return f(x.balance, x.operations);
}

/// Flink style with map and list state: per account, the last five amounts
/// and how often each amount sign was seen.
struct recent_amounts {
  list_state<int64_t> recent;
  map_state<std::string, int64_t> signs;
  void on_record(const command& c, context<std::string>& ctx) {
    auto last = recent.values();
    last.push_back(c.amount);
    if (last.size() > 5)
      last.erase(last.begin());
    recent.update(last);
    auto sign = c.amount >= 0 ? "plus" : "minus";
    auto* n = signs.get(sign);
    signs.put(sign, n ? *n + 1 : 1);
    std::string line = std::to_string(c.account) + " " + std::to_string(*signs.get(sign)) + sign;
    for (auto a : recent)
      line += " " + std::to_string(a);
    ctx.emit(line);
  }
};

std::vector<command> commands(int n) {
  std::mt19937 rng{42};
  std::vector<command> result;
  for (int i = 0; i < n; ++i)
    result.push_back({static_cast<int32_t>(rng() % 500),
                      static_cast<int64_t>(rng() % 2000) - 900});
  return result;
}

/// Expected output lines, in input order (per account order is what counts).
std::vector<std::string> expected_lines(bool events, const std::vector<command>& cmds) {
  std::map<int32_t, std::pair<int64_t, int64_t>> bank;
  std::map<int32_t, std::vector<int64_t>> recent;
  std::map<std::pair<int32_t, std::string>, int64_t> signs;
  std::vector<std::string> out;
  for (auto& c : cmds) {
    if (events) {
      auto& [balance, ops] = bank[c.account];
      balance += c.amount;
      ++ops;
      out.push_back(std::to_string(c.account) + " " + std::to_string(ops) + " "
                    + std::to_string(balance));
    } else {
      auto& r = recent[c.account];
      r.push_back(c.amount);
      if (r.size() > 5)
        r.erase(r.begin());
      std::string sign = c.amount >= 0 ? "plus" : "minus";
      auto n = ++signs[{c.account, sign}];
      std::string line = std::to_string(c.account) + " " + std::to_string(n) + sign;
      for (auto a : r)
        line += " " + std::to_string(a);
      out.push_back(line);
    }
  }
  return out;
}

int run_job(bool events, const std::vector<command>& cmds, const std::filesystem::path& state,
            const std::filesystem::path& output) {
  job j{events ? "bank" : "recent"};
  j.config().state_dir = state;
  j.config().log_level = "off";
  j.config().snapshot_every_entries = 50; // exercise snapshot + tail recovery
  auto keyed = j.source(connectors::memory::from_vector(cmds)).key_by(&command::account);
  auto format = [](const std::string& s) { return s; };
  if (events)
    keyed.process_events<bank_account>().sink(connectors::file::lines_out(output, format));
  else
    keyed.process<recent_amounts>().sink(connectors::file::lines_out(output, format));
  auto result = actors::execute(j);
  if (result.exit_code != 0)
    std::fprintf(stderr, "job failed: %s\n", result.error.c_str());
  return result.exit_code;
}

void check_exactly_once_under_sigkill(bool events) {
  test::temp_dir dir;
  std::filesystem::create_directories(dir.path);
  auto cmds = commands(200'000);
  auto report = test::kill_and_finish(
    [&](bool probe) {
      return probe ? run_job(events, cmds, dir.path / "probe-state", dir.path / "probe.txt")
                   : run_job(events, cmds, dir.path / "state", dir.path / "out.txt");
    },
    7);
  BOOST_TEST_MESSAGE("the whole job takes " << report.whole_ms << " ms; killed " << report.kills
                                            << " times");
  BOOST_TEST_REQUIRE(report.final_code == 0);
  BOOST_TEST(report.kills >= 8);
  auto output = dir.path / "out.txt";
  // Per account, the lines are exactly the expected ones, in order.
  std::map<std::string, std::vector<std::string>> got, want;
  auto account_of = [](const std::string& l) { return l.substr(0, l.find(' ')); };
  std::ifstream in{output};
  for (std::string line; std::getline(in, line);)
    got[account_of(line)].push_back(line);
  for (auto& line : expected_lines(events, cmds))
    want[account_of(line)].push_back(line);
  BOOST_TEST(got.size() == want.size());
  for (auto& [account, lines] : want)
    BOOST_TEST((got[account] == lines), "account " << account);
}

} // namespace

BOOST_AUTO_TEST_SUITE(crash_recovery)

BOOST_AUTO_TEST_CASE(an_event_sourced_behavior_applies_each_command_once_across_sigkills) {
  check_exactly_once_under_sigkill(true);
}

BOOST_AUTO_TEST_CASE(map_and_list_state_apply_each_record_once_across_sigkills) {
  check_exactly_once_under_sigkill(false);
}

BOOST_AUTO_TEST_SUITE_END()
