#include "requests.hpp"

#include <algorithm>
#include <csignal>
#include <fstream>

#include "logging.hpp"
#include "savepoint/durable_file.hpp"

namespace eddy::actors::savepoint {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::atomic<int> signalled_savepoints{0};
std::atomic<int> signalled_stops{0};

extern "C" void on_signal(int sig) {
  (sig == SIGUSR1 ? signalled_savepoints : signalled_stops).fetch_add(1);
}

} // namespace

request_watcher::request_watcher(fs::path savepoint_dir, caf::actor to)
  : requests_(std::move(savepoint_dir) / ".requests"), to_(std::move(to)) {
  std::error_code ec;
  fs::create_directories(requests_, ec);
  std::signal(SIGUSR1, on_signal);
  std::signal(SIGUSR2, on_signal);
  thread_ = std::thread{[this] {
    while (!stop_) {
      poll();
      std::this_thread::sleep_for(50ms);
    }
  }};
}

request_watcher::~request_watcher() {
  stop_ = true;
  thread_.join();
  std::signal(SIGUSR1, SIG_DFL);
  std::signal(SIGUSR2, SIG_DFL);
}

void request_watcher::poll() {
  for (; signalled_savepoints > 0; --signalled_savepoints)
    caf::anon_send(to_, savepoint_atom::value, std::string{"savepoint"}, std::string{}, std::string{});
  for (; signalled_stops > 0; --signalled_stops)
    caf::anon_send(to_, savepoint_atom::value, std::string{"stop"}, std::string{}, std::string{});
  std::error_code ec;
  for (auto it = fs::directory_iterator(requests_, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    auto path = it->path();
    if (path.extension() != ".request")
      continue;
    std::ifstream in{path};
    std::string kind, rest;
    in >> kind;
    std::getline(in, rest);
    auto answer_file = path;
    answer_file.replace_extension(".answer");
    fs::remove(path, ec);
    if (kind == "savepoint" || kind == "stop") {
      auto to = rest.substr(std::min(rest.find_first_not_of(' '), rest.size()));
      caf::anon_send(to_, savepoint_atom::value, kind, to, answer_file.string());
    } else if (kind == "query") {
      // "query OPERATOR KEY": the key is all after the one space behind the operator.
      auto op_at = std::min(rest.find_first_not_of(' '), rest.size());
      auto op_end = std::min(rest.find(' ', op_at), rest.size());
      auto op = rest.substr(op_at, op_end - op_at);
      auto key = op_end < rest.size() ? rest.substr(op_end + 1) : std::string{};
      if (op.empty() || op_end == rest.size())
        answer(answer_file.string(), answer_status::invalid, "a query names an operator and a key: 'query OPERATOR KEY'");
      else
        caf::anon_send(to_, query_request_atom::value, op, key, answer_file.string());
    } else {
      answer(answer_file.string(), answer_status::invalid, "unknown request '" + kind + "' (savepoint, stop or query)");
    }
  }
}

void answer(const std::string& file, answer_status status, const std::string& text) {
  if (file.empty())
    return;
  static constexpr const char* words[] = {"ok ", "error ", "invalid "};
  if (auto err = write_durably(file, words[static_cast<int>(status)] + text + "\n"))
    log::runtime()->error("cannot answer the request of {}: {}", file, err.message());
}

} // namespace eddy::actors::savepoint
