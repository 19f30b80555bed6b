// eddy-manager --listen HOST:PORT --data DIR [--token-file FILE]
//
// The application manager: keeps the catalog of deployments in DIR, runs
// each deployment's job as a cluster of its own through scripts/eddy-cluster,
// and serves the REST API (README.md). Exit codes: 0 stopped by SIGTERM or
// SIGINT, 2 bad usage or a catalog it cannot use.

#include <csignal>
#include <filesystem>
#include <fstream>

#include <CLI/CLI.hpp>
#include <httplib.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "catalog.hpp"
#include "eddy/log_format.hpp"
#include "reconciler.hpp"
#include "rest_api.hpp"

namespace fs = std::filesystem;

namespace {

httplib::Server* serving = nullptr;

bool loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1";
}

int refuse(const std::string& why) {
  spdlog::error("eddy-manager: {}", why);
  return 2;
}

/// Writes `text` to `file` by a rename: a reader never sees half of it.
void put(const fs::path& file, const std::string& text) {
  auto tmp = file;
  tmp += ".tmp";
  std::ofstream{tmp} << text << "\n";
  fs::rename(tmp, file);
}

/// The launcher installed next to this binary (`cmake --install` puts both
/// in bin/), else the one of the source tree it was built from.
std::string default_launcher() {
  std::error_code ec;
  auto beside = fs::read_symlink("/proc/self/exe", ec).parent_path() / "eddy-cluster";
  return !ec && fs::exists(beside, ec) ? beside.string() : std::string{EDDY_LAUNCHER_SCRIPT};
}

} // namespace

int main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("manager")); // stdout stays for what a caller asked for
  CLI::App app{"eddy-manager: deploys and operates Eddy jobs, keeps their records, serves the REST API"};
  std::string listen = "127.0.0.1:8081";
  std::string data;
  std::string token_file;
  std::string launcher_script = default_launcher();
  app.add_option("--listen", listen, "HOST:PORT of the HTTP API (port 0: any free one)")->capture_default_str();
  app.add_option("--data", data, "directory of the catalog, the deployments' clusters and savepoints")->required();
  app.add_option("--token-file", token_file,
                 "file holding the bearer token every request must carry (required off loopback)");
  app.add_option("--launcher", launcher_script, "the cluster launcher")->capture_default_str();
  std::string log_format = "text";
  app.add_option("--log-format", log_format, "text, or json: one JSON object per line")
    ->check(CLI::IsMember({"text", "json"}))
    ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (log_format == "json")
    spdlog::default_logger()->set_formatter(eddy::log_format::json_formatter("manager"));
  auto colon = listen.rfind(':');
  int port = -1;
  if (colon != std::string::npos)
    try {
      port = std::stoi(listen.substr(colon + 1));
    } catch (...) {
    }
  if (colon == std::string::npos || colon == 0 || port < 0 || port > 65535)
    return refuse("--listen: '" + listen + "' is not HOST:PORT");
  auto host = listen.substr(0, colon);
  std::string token;
  if (!token_file.empty()) {
    std::ifstream in{token_file};
    if (!in || !std::getline(in, token) || token.empty())
      return refuse("--token-file: cannot read a token from '" + token_file + "'");
  } else if (!loopback(host)) {
    return refuse("--listen " + listen + " is not loopback: give --token-file, so that requests need a token");
  }
  if (!fs::is_regular_file(launcher_script))
    return refuse("--launcher: '" + launcher_script + "' does not exist");

  std::error_code ec;
  fs::create_directories(data, ec);
  if (ec)
    return refuse("--data: cannot create '" + data + "': " + ec.message());
  data = fs::absolute(data).string();
  // One manager per data directory: two would run every job twice.
  int lock = ::open((fs::path{data} / "manager.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock < 0 || ::flock(lock, LOCK_EX | LOCK_NB) != 0)
    return refuse("--data: another manager uses '" + data + "'");

  try {
    eddy::manager::catalog records{fs::path{data} / "catalog.db"};
    eddy::manager::launcher launcher{fs::absolute(launcher_script)};
    eddy::manager::reconciler driver{records, launcher, data};
    httplib::Server server;
    eddy::manager::serve_api(server, records, driver, launcher, token);
    int bound = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
    if (bound < 0)
      return refuse("--listen: cannot listen on " + listen);
    driver.start();
    auto address = host + ":" + std::to_string(bound);
    put(fs::path{data} / "manager.address", address);
    spdlog::info("eddy-manager: listening on http://{}, catalog schema version {}, data in {}", address,
                 records.version(), data);
    serving = &server;
    std::signal(SIGTERM, [](int) { serving->stop(); });
    std::signal(SIGINT, [](int) { serving->stop(); });
    server.listen_after_bind();
    spdlog::info("eddy-manager: stopped; the deployments' jobs keep running");
    return 0;
  } catch (const std::exception& e) {
    return refuse(e.what());
  }
}
