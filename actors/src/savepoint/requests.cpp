#include "requests.hpp"

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
    std::string kind, to;
    in >> kind;
    std::getline(in >> std::ws, to);
    auto answer_file = path;
    answer_file.replace_extension(".answer");
    fs::remove(path, ec);
    if (kind != "savepoint" && kind != "stop") {
      answer(answer_file.string(), false, "unknown request '" + kind + "' (savepoint or stop)");
      continue;
    }
    caf::anon_send(to_, savepoint_atom::value, kind, to, answer_file.string());
  }
}

void answer(const std::string& file, bool ok, const std::string& text) {
  if (file.empty())
    return;
  if (auto err = write_durably(file, (ok ? "ok " : "error ") + text + "\n"))
    log::runtime()->error("cannot answer a savepoint request: {}", err.message());
}

} // namespace eddy::actors::savepoint
