#pragma once

// An eddy-manager for a test, on 127.0.0.1 and a port of its choosing, with
// its data in a directory of the test's; the `eddy` CLI pointed at it. The
// destructor stops the manager and every cluster it launched, also when the
// test fails.

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "integration/followed_input.hpp"
#include "integration/process.hpp"

namespace eddy::test {

inline const std::string manager_binary = EDDY_MANAGER_BINARY;
inline const std::string eddy_cli = EDDY_CLI_BINARY;
inline const std::string launcher_script = EDDY_CLUSTER_SCRIPT;

/// What a run of the CLI gave.
struct cli_result {
  exit_status status;
  std::string out;
  std::string err;

  bool ok() const { return status.exited_with(0); }
  nlohmann::json json() const { return nlohmann::json::parse(out); }
};

class running_manager {
public:
  explicit running_manager(std::filesystem::path data, std::vector<std::string> options = {})
    : data_(std::move(data)), options_(std::move(options)) {
    start();
  }

  running_manager(const running_manager&) = delete;
  running_manager& operator=(const running_manager&) = delete;

  ~running_manager() {
    stop();
    std::error_code ec;
    for (auto& d : std::filesystem::directory_iterator{data_ / "deployments", ec})
      run({launcher_script, "stop", "--dir", (d.path() / "cluster").string()}, d.path() / "stop.out",
          d.path() / "stop.err", std::chrono::seconds{30});
  }

  /// Starts the manager (again) on the data directory; check started().
  void start() {
    std::filesystem::remove(data_ / "manager.address");
    std::vector<std::string> argv{manager_binary, "--data", data_.string()};
    if (std::find(options_.begin(), options_.end(), "--listen") == options_.end())
      argv.insert(argv.end(), {"--listen", "127.0.0.1:0"});
    argv.insert(argv.end(), options_.begin(), options_.end());
    auto log = "manager-" + std::to_string(++starts_);
    manager_ = std::make_unique<process>(argv, data_.parent_path() / (log + ".out"), data_.parent_path() / (log + ".err"));
    eventually([&] { return started() || manager_->wait_for(std::chrono::milliseconds{0}).has_value(); },
               std::chrono::seconds{20});
    auto address = lines_of(slurp(data_ / "manager.address"));
    url_ = address.empty() ? "" : "http://" + address.front();
  }

  bool started() const { return std::filesystem::exists(data_ / "manager.address"); }
  process& proc() { return *manager_; }
  const std::string& url() const { return url_; }
  const std::filesystem::path& data() const { return data_; }
  std::string log() const {
    return tail_of(data_.parent_path() / ("manager-" + std::to_string(starts_) + ".err"), 4000);
  }

  /// SIGTERM, then waits for the manager to end.
  void stop() {
    if (!manager_)
      return;
    ::kill(manager_->pid(), SIGTERM);
    manager_->wait(std::chrono::seconds{10});
    manager_.reset();
  }

  /// SIGKILL: the manager dies at once; the jobs it launched run on.
  void kill() {
    ::kill(manager_->pid(), SIGKILL);
    manager_->wait(std::chrono::seconds{10});
    manager_.reset();
  }

  /// Runs `eddy --manager URL args...`.
  cli_result eddy(std::vector<std::string> args, std::chrono::seconds timeout = std::chrono::seconds{240}) {
    return eddy_via(url_, std::move(args), timeout);
  }

  /// Runs `eddy --manager url args...` (the manager by another of its addresses).
  cli_result eddy_via(const std::string& url, std::vector<std::string> args,
                      std::chrono::seconds timeout = std::chrono::seconds{240}) {
    std::vector<std::string> argv{eddy_cli, "--manager", url};
    argv.insert(argv.end(), args.begin(), args.end());
    auto n = std::to_string(++calls_);
    auto out = data_.parent_path() / ("eddy-" + n + ".out");
    auto err = data_.parent_path() / ("eddy-" + n + ".err");
    auto st = run(argv, out, err, timeout);
    return {st, slurp(out), slurp(err)};
  }

  /// `eddy --json args...`, parsed; fails the test unless it exits 0.
  nlohmann::json json(std::vector<std::string> args) {
    args.insert(args.begin(), "--json");
    auto r = eddy(args);
    BOOST_REQUIRE_MESSAGE(r.ok(), "eddy " << args[1] << ": " << r.status.describe() << ": " << r.err);
    return r.json();
  }

  /// Events of deployment `name` of kind `kind`.
  std::vector<nlohmann::json> events(const std::string& name, const std::string& kind) {
    std::vector<nlohmann::json> found;
    for (auto& e : json({"events", name}))
      if (e["kind"] == kind)
        found.push_back(e);
    return found;
  }

private:
  std::filesystem::path data_;
  std::vector<std::string> options_;
  std::unique_ptr<process> manager_;
  std::string url_;
  int starts_ = 0;
  int calls_ = 0;
};

/// What a manager test starts from: a directory kept when the test fails,
/// an input directory jobs follow, an output file and a running manager.
struct manager_test {
  temp_dir tmp;
  keep_on_failure keep{tmp};
  followed_input in{tmp / "in"};
  std::filesystem::path out = tmp / "out.txt";
  running_manager m{tmp / "data"};

  explicit manager_test(const std::string& prefix) : tmp(prefix) {
    BOOST_REQUIRE_MESSAGE(m.started(), m.log());
  }

  /// `binary --follow IN --output OUT extra...`, a job's command after `--`.
  std::vector<std::string> follow_job(const std::string& binary, std::vector<std::string> extra = {}) const {
    std::vector<std::string> job{binary, "--follow", in.dir.string(), "--output", out.string()};
    job.insert(job.end(), extra.begin(), extra.end());
    return job;
  }

  /// `eddy deploy NAME options... -- job...`; fails the test unless it runs.
  cli_result deploy(const std::string& name, std::vector<std::string> options, const std::vector<std::string>& job) {
    options.insert(options.begin(), {"deploy", name});
    options.push_back("--");
    options.insert(options.end(), job.begin(), job.end());
    auto deployed = m.eddy(options);
    BOOST_REQUIRE_MESSAGE(deployed.ok(), deployed.err << m.log());
    return deployed;
  }
};

} // namespace eddy::test
