#include "reconciler.hpp"

#include <spdlog/spdlog.h>

namespace eddy::manager {

namespace fs = std::filesystem;

namespace {

constexpr int64_t retry_ms = 10'000;     ///< after a failed stop or savepoint
constexpr int64_t gone_grace_ms = 15'000; ///< a supervised coordinator comes back within this

bool live(const job_record& job) {
  return job.state == "STARTING" || job.state == "RUNNING";
}

int64_t size_of(const fs::path& dir) {
  int64_t size = 0;
  std::error_code ec;
  for (auto& f : fs::recursive_directory_iterator(dir, ec))
    if (f.is_regular_file(ec))
      size += static_cast<int64_t>(f.file_size(ec));
  return size;
}

} // namespace

reconciler::reconciler(catalog& records, const launcher& run, fs::path data)
  : records_(records), launcher_(run), data_(std::move(data)) {
}

reconciler::~reconciler() {
  {
    std::lock_guard lock{wake_mutex_};
    stopping_ = true;
  }
  woken_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

void reconciler::start() {
  adopt();
  thread_ = std::thread{[this] { run(); }};
}

void reconciler::wake() {
  {
    std::lock_guard lock{wake_mutex_};
    wake_ = true;
  }
  woken_.notify_all();
}

std::unique_lock<std::mutex> reconciler::lock(int64_t deployment_id) {
  std::shared_ptr<std::mutex> m;
  {
    std::lock_guard guard{locks_mutex_};
    auto& slot = locks_[deployment_id];
    if (!slot)
      slot = std::make_shared<std::mutex>();
    m = slot;
  }
  return std::unique_lock{*m};
}

fs::path reconciler::deployment_dir(const deployment_record& d) const {
  // By id, not only name: a deployment deleted and created again under its
  // name starts with directories of its own, and the old one's savepoints stay.
  return data_ / "deployments" / (d.name + "-" + std::to_string(d.id));
}

fs::path reconciler::savepoint_path(const deployment_record& d, int64_t savepoint_id) const {
  char name[32];
  std::snprintf(name, sizeof name, "savepoint-%06lld", static_cast<long long>(savepoint_id));
  return deployment_dir(d) / "savepoints" / name;
}

void reconciler::run() {
  for (;;) {
    {
      std::unique_lock lock{wake_mutex_};
      woken_.wait_for(lock, std::chrono::milliseconds{250}, [this] { return wake_ || stopping_; });
      if (stopping_)
        return;
      wake_ = false;
    }
    for (auto& d : records_.deployments()) {
      try {
        auto hold = lock(d.id);
        if (auto fresh = records_.deployment(d.id)) // the API may have changed it meanwhile
          reconcile(*fresh);
      } catch (const std::exception& e) {
        spdlog::error("deployment {}: {}", d.name, e.what());
        records_.event(d.id, d.job_id, "MANAGER_ERROR", e.what());
        retry_later(d.id, retry_ms);
      }
    }
  }
}

void reconciler::adopt() {
  for (auto& d : records_.deployments()) {
    auto job = d.job_id ? records_.job(d.job_id) : std::nullopt;
    discover_savepoints(d);
    if (!job || !live(*job))
      continue;
    if (launcher::observe(job->dir).running) {
      records_.event(d.id, job->id, "JOB_ADOPTED",
                     "the manager started again and found job " + std::to_string(job->id) + " running");
      last_savepoint_ms_[d.id] = now_ms();
    }
  }
}

bool reconciler::due(int64_t deployment_id) const {
  auto i = not_before_ms_.find(deployment_id);
  return i == not_before_ms_.end() || now_ms() >= i->second;
}

void reconciler::retry_later(int64_t deployment_id, int64_t ms) {
  not_before_ms_[deployment_id] = now_ms() + ms;
}

void reconciler::reconcile(const deployment_record& d) {
  if (!due(d.id))
    return;
  auto job = d.job_id ? records_.job(d.job_id) : std::nullopt;
  bool running = job && live(*job);
  if (running) {
    auto view = launcher::observe(job->dir);
    if (view.running) {
      gone_since_ms_.erase(d.id);
    } else if (view.exit_code || now_ms() - gone_since_ms_.try_emplace(d.id, now_ms()).first->second > gone_grace_ms) {
      gone_since_ms_.erase(d.id);
      ended(d, *job, view.exit_code);
      return;
    } else {
      return; // the launcher's supervision is starting the coordinator again
    }
  }
  switch (d.desired) {
    case desired_state::running:
      if (!running) {
        if (d.state != "FAILED" && d.state != "FINISHED")
          start_by_strategy(d);
        return;
      }
      if (job->spec_version != d.spec_version) {
        auto stateful = d.spec.upgrade == upgrade_strategy::stateful;
        if (!stop_job(d, *job, stateful ? "UPGRADE" : "", "UPGRADED"))
          return;
        // STATELESS: the new spec starts empty, unless told to take the latest savepoint.
        bool empty = !stateful && d.spec.restore != restore_strategy::latest_savepoint;
        records_.event(d.id, job->id, "UPGRADING",
                       "spec version " + std::to_string(d.spec_version) + " replaces version "
                         + std::to_string(job->spec_version)
                         + (stateful ? " from the savepoint just taken" : empty ? " without state" : " from the latest savepoint"));
        if (empty)
          start_empty(*records_.deployment(d.id));
        else
          start_by_strategy(*records_.deployment(d.id));
        return;
      }
      for (auto& s : records_.savepoints(d.id))
        if (s.state == "PENDING" && (s.origin == "MANUAL" || s.origin == "PERIODIC"))
          take_savepoint(d, *job, s);
      if (d.spec.savepoint_interval_s > 0) {
        auto& last = last_savepoint_ms_.try_emplace(d.id, job->started_ms).first->second;
        if (now_ms() - last >= static_cast<int64_t>(d.spec.savepoint_interval_s) * 1000) {
          last = now_ms();
          auto id = records_.request_savepoint(d.id, job->id, "PERIODIC");
          take_savepoint(d, *job, *records_.savepoint(id));
        }
      }
      return;
    case desired_state::suspended:
      if (running)
        stop_job(d, *job, "SUSPEND", "SUSPENDED");
      else
        records_.observe(d.id, "SUSPENDED");
      return;
    case desired_state::cancelled:
      if (running)
        stop_job(d, *job, "", "CANCELLED");
      else
        records_.observe(d.id, "CANCELLED");
      return;
  }
}

void reconciler::ended(const deployment_record& d, const job_record& job, std::optional<int> exit_code) {
  // Workers outlive a failed coordinator by up to their peer timeout; a
  // restart in the same directory must not find them there.
  launcher_.stop(job.dir, {});
  archive_logs(d, job);
  discover_savepoints(d);
  auto id = std::to_string(job.id);
  if (exit_code && *exit_code == 0) {
    // A bounded job that finished, or one a killed manager was stopping.
    auto state = d.desired == desired_state::suspended ? "SUSPENDED"
                 : d.desired == desired_state::cancelled ? "CANCELLED"
                                                         : "FINISHED";
    records_.end_job(job.id, state, 0, "");
    records_.observe(d.id, state);
    records_.event(d.id, job.id, "JOB_" + std::string{state}, "job " + id + " ended with status 0");
    return;
  }
  auto failure = exit_code ? launcher::failure_of(job.dir) : "its coordinator is gone and no exit status was recorded";
  auto what = "job " + id + " failed" + (exit_code ? " (exit status " + std::to_string(*exit_code) + ")" : "") + ": "
              + failure;
  records_.end_job(job.id, "FAILED", exit_code ? std::optional<int64_t>{*exit_code} : std::nullopt, failure);
  records_.event(d.id, job.id, "JOB_FAILED", what);
  spdlog::warn("deployment {}: {}", d.name, what);
  bool restart = d.desired == desired_state::running && d.spec.restart.on_failure
                 && d.restarts < static_cast<int64_t>(d.spec.restart.max_restarts);
  records_.set_restarts(d.id, restart ? d.restarts + 1 : d.restarts, failure);
  if (restart) {
    records_.observe(d.id, "RESTARTING");
    records_.event(d.id, job.id, "RESTARTING",
                   "restart " + std::to_string(d.restarts + 1) + " of " + std::to_string(d.spec.restart.max_restarts)
                     + " by the restart policy, from the latest state, in " + std::to_string(d.spec.restart.backoff_s)
                     + " s");
    retry_later(d.id, static_cast<int64_t>(d.spec.restart.backoff_s) * 1000);
  } else if (d.desired == desired_state::running) {
    records_.observe(d.id, "FAILED");
    records_.event(d.id, job.id, "DEPLOYMENT_FAILED",
                   d.spec.restart.on_failure ? "the restart policy's " + std::to_string(d.spec.restart.max_restarts)
                                                 + " restarts are spent"
                                             : "the restart policy is NEVER");
  } else {
    records_.observe(d.id, to_string(d.desired));
  }
}

void reconciler::start_by_strategy(const deployment_record& d) {
  auto last = d.job_id ? records_.job(d.job_id) : std::nullopt;
  auto savepoint = records_.latest_savepoint(d.id);
  switch (d.spec.restore) {
    case restore_strategy::latest_state: {
      // A job that ended without a savepoint (failed, cancelled, stopped
      // for a STATELESS upgrade) left state in place newer than any
      // savepoint; it restarts at the same scale only (a rescale goes by
      // a savepoint).
      bool stopped_with_savepoint = savepoint && last && savepoint->job_id == last->id
                                    && (savepoint->origin == "SUSPEND" || savepoint->origin == "UPGRADE");
      if (last && !stopped_with_savepoint && last->spec.workers == d.spec.workers
          && last->spec.parallelism == d.spec.parallelism && last->spec.same_job(d.spec)
          && fs::exists(cluster_dir(d) / "state")) {
        start_job(d, {}, "the state of job " + std::to_string(last->id));
        return;
      }
      [[fallthrough]];
    }
    case restore_strategy::latest_savepoint:
      if (savepoint) {
        start_job(d, savepoint->path, savepoint->path);
        return;
      }
      [[fallthrough]];
    case restore_strategy::none:
      break;
  }
  start_empty(d);
}

void reconciler::start_empty(const deployment_record& d) {
  // What a run before left goes aside, not away.
  auto state = cluster_dir(d) / "state";
  if (fs::exists(state)) {
    fs::remove_all(cluster_dir(d) / "state.previous");
    fs::rename(state, cluster_dir(d) / "state.previous");
  }
  start_job(d, {}, "");
}

void reconciler::start_job(const deployment_record& d, const fs::path& savepoint, const std::string& restored_from) {
  auto dir = cluster_dir(d);
  fs::create_directories(dir);
  auto job_id = records_.add_job(d.id, d.spec, d.spec_version, dir.string(), restored_from);
  records_.set_current_job(d.id, job_id);
  records_.observe(d.id, "STARTING");
  auto id = std::to_string(job_id);
  records_.event(d.id, job_id, "JOB_STARTING",
                 "job " + id + " on " + std::to_string(d.spec.workers) + " worker(s), parallelism "
                   + std::to_string(d.spec.parallelism) + ", "
                   + (restored_from.empty() ? std::string{"without state"} : "from " + restored_from));
  auto started = launcher_.start(dir, d.spec, savepoint, false);
  if (started.exit_code == 0) {
    records_.job_state(job_id, "RUNNING");
    records_.observe(d.id, "RUNNING");
    records_.event(d.id, job_id, "JOB_RUNNING", "job " + id + " runs: " + tail_of(started.output, 1));
    last_savepoint_ms_[d.id] = now_ms();
    return;
  }
  // Refused arguments or savepoint (2) will not change by retrying; anything
  // else is a failure for the restart policy, as if the job had started.
  auto why = tail_of(started.output);
  if (started.exit_code == 2 || started.timed_out) {
    launcher_.stop(dir, {});
    records_.end_job(job_id, "FAILED", started.exit_code, why);
    records_.set_restarts(d.id, d.restarts, why);
    records_.observe(d.id, "FAILED");
    records_.event(d.id, job_id, "JOB_FAILED", "job " + id + " could not start: " + why);
    return;
  }
  ended(*records_.deployment(d.id), *records_.job(job_id), started.exit_code);
}

void reconciler::take_savepoint(const deployment_record& d, const job_record& job, const savepoint_record& s) {
  auto path = savepoint_path(d, s.id);
  auto sid = std::to_string(s.id);
  if (!fs::exists(path / "manifest.json")) { // else a killed manager's request completed
    fs::create_directories(path.parent_path());
    auto taken = launcher_.savepoint(job.dir, path);
    if (taken.exit_code != 0) {
      auto why = tail_of(taken.output);
      records_.fail_savepoint(s.id, why);
      records_.event(d.id, job.id, "SAVEPOINT_FAILED", "savepoint " + sid + " (" + s.origin + "): " + why);
      return;
    }
  }
  records_.complete_savepoint(s.id, path.string(), size_of(path));
  records_.event(d.id, job.id, "SAVEPOINT_COMPLETED", "savepoint " + sid + " (" + s.origin + ") at " + path.string());
}

bool reconciler::stop_job(const deployment_record& d, const job_record& job, const std::string& origin,
                          const std::string& ended_state) {
  auto id = std::to_string(job.id);
  records_.observe(d.id, ended_state == "SUSPENDED" ? "SUSPENDING"
                         : ended_state == "CANCELLED" ? "CANCELLING"
                                                      : "UPGRADING");
  int64_t savepoint = origin.empty() ? 0 : records_.request_savepoint(d.id, job.id, origin);
  auto path = savepoint ? savepoint_path(d, savepoint) : fs::path{};
  if (savepoint)
    fs::create_directories(path.parent_path());
  auto stopped = launcher_.stop(job.dir, path);
  if (stopped.exit_code != 0) {
    auto why = tail_of(stopped.output);
    if (savepoint)
      records_.fail_savepoint(savepoint, why);
    records_.event(d.id, job.id, "STOP_FAILED",
                   "job " + id + " did not stop" + (savepoint ? " with a savepoint" : "") + "; trying again in "
                     + std::to_string(retry_ms / 1000) + " s: " + why);
    retry_later(d.id, retry_ms);
    return false;
  }
  archive_logs(d, job);
  if (savepoint) {
    records_.complete_savepoint(savepoint, path.string(), size_of(path));
    records_.event(d.id, job.id, "SAVEPOINT_COMPLETED",
                   "savepoint " + std::to_string(savepoint) + " (" + origin + ") at " + path.string());
  }
  records_.end_job(job.id, ended_state, launcher::observe(job.dir).exit_code, "");
  records_.set_restarts(d.id, 0, "");
  if (ended_state != "UPGRADED")
    records_.observe(d.id, ended_state);
  records_.event(d.id, job.id, "JOB_" + ended_state,
                 "job " + id + " stopped" + (savepoint ? " with savepoint " + std::to_string(savepoint) : ""));
  return true;
}

void reconciler::discover_savepoints(const deployment_record& d) {
  // A savepoint a killed manager was waiting for, or one taken with the
  // launcher by hand, is a record too.
  std::error_code ec;
  for (auto& dir : {deployment_dir(d) / "savepoints", cluster_dir(d) / "savepoints"})
    for (auto& e : fs::directory_iterator(dir, ec)) {
      if (!fs::exists(e.path() / "manifest.json") || records_.knows_savepoint_path(e.path().string()))
        continue;
      int64_t pending = 0;
      for (auto& s : records_.savepoints(d.id))
        if (s.state == "PENDING" && savepoint_path(d, s.id) == e.path())
          pending = s.id;
      auto id = pending ? pending : records_.request_savepoint(d.id, d.job_id, "DISCOVERED");
      records_.complete_savepoint(id, e.path().string(), size_of(e.path()));
      records_.event(d.id, d.job_id, "SAVEPOINT_COMPLETED",
                     "savepoint " + std::to_string(id) + " found at " + e.path().string());
    }
}

void reconciler::archive_logs(const deployment_record& d, const job_record& job) {
  auto to = deployment_dir(d) / "jobs" / std::to_string(job.id);
  std::error_code ec;
  fs::create_directories(to, ec);
  for (auto& e : fs::directory_iterator(job.dir, ec))
    if (e.path().extension() == ".log")
      fs::copy_file(e.path(), to / e.path().filename(), fs::copy_options::overwrite_existing, ec);
}

std::optional<std::string> reconciler::refuse_upgrade(const deployment_record& d, const deployment_spec& next) {
  auto job = d.job_id ? records_.job(d.job_id) : std::nullopt;
  std::optional<savepoint_record> savepoint;
  if (job && live(*job) && launcher::observe(job->dir).running) {
    auto id = records_.request_savepoint(d.id, job->id, "UPGRADE");
    take_savepoint(d, *job, *records_.savepoint(id));
    savepoint = records_.savepoint(id);
    if (savepoint->state != "COMPLETED")
      return "no savepoint to check the new spec against: " + savepoint->failure;
  } else {
    savepoint = records_.latest_savepoint(d.id);
  }
  if (!savepoint)
    return std::nullopt; // nothing to restore: any job can start
  auto checked = launcher_.check(next, savepoint->path, false);
  if (checked.exit_code == 0)
    return std::nullopt;
  return "the new spec cannot start from savepoint " + std::to_string(savepoint->id) + ": " + tail_of(checked.output, 1);
}

} // namespace eddy::manager
