#include "shutdown.hpp"

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "logging.hpp"

namespace eddy::actors::cluster {

void shut_down(std::unique_ptr<caf::actor_system> sys, const run_result& result, std::chrono::milliseconds grace) {
  // The system must be destroyed on this thread: CAF keeps its logger in a
  // thread-local of every thread that ran a scoped actor, and
  // ~actor_system waits until the logger is gone. So the watchdog is the
  // other thread.
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  std::thread watchdog{[&] {
    std::unique_lock<std::mutex> lock{m};
    if (cv.wait_for(lock, grace, [&] { return done; }))
      return;
    log::runtime()->warn("CAF's shutdown did not finish within {} ms; exiting with status {}",
                         grace.count(), result.exit_code);
    if (result.exit_code != 0)
      log::runtime()->error("error: {}", result.error);
    log::runtime()->flush();
    std::fflush(nullptr);
    std::_Exit(result.exit_code);
  }};
  sys.reset();
  {
    std::lock_guard<std::mutex> lock{m};
    done = true;
  }
  cv.notify_one();
  watchdog.join();
}

} // namespace eddy::actors::cluster
