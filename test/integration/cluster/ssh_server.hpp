#pragma once

// A real OpenSSH server on 127.0.0.1 and a free port, for the launcher's
// --hosts: its own host key, one client key allowed, and an ssh_config
// that reaches it (what `EDDY_SSH="ssh -F FILE"` gives the launcher).
// Stopped by the destructor, also when the test fails.

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "integration/process.hpp"

namespace eddy::test {

class ssh_server {
public:
  explicit ssh_server(const std::filesystem::path& dir) : dir_(dir) {
    std::filesystem::create_directories(dir_);
    std::error_code ec; // sshd's privilege separation directory, needed when root
    std::filesystem::create_directories("/run/sshd", ec);
    for (auto key : {"host_key", "client_key"})
      run({"/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", (dir_ / key).string()},
          dir_ / "keygen.out", dir_ / "keygen.err", std::chrono::seconds{20});
    std::filesystem::copy_file(dir_ / "client_key.pub", dir_ / "authorized_keys");
    port_ = eddy::test::free_port();
    server_ = std::make_unique<process>(
      std::vector<std::string>{"/usr/sbin/sshd", "-D", "-e", "-f", "/dev/null", "-p", std::to_string(port_),
                               "-o", "ListenAddress=127.0.0.1", "-o", "HostKey=" + (dir_ / "host_key").string(),
                               "-o", "AuthorizedKeysFile=" + (dir_ / "authorized_keys").string(), "-o",
                               "PidFile=" + (dir_ / "sshd.pid").string(), "-o", "UsePAM=no", "-o",
                               "StrictModes=no", "-o", "PermitRootLogin=yes", "-o", "PasswordAuthentication=no",
                               "-o", "MaxStartups=100"},
      dir_ / "sshd.out", dir_ / "sshd.log");
    std::ofstream{dir_ / "ssh_config"} << "Host *\n  Port " << port_ << "\n  IdentityFile "
                                       << (dir_ / "client_key").string()
                                       << "\n  UserKnownHostsFile /dev/null\n  StrictHostKeyChecking no\n"
                                          "  BatchMode yes\n  LogLevel ERROR\n";
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
    while (!ready() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }

  /// Whether `ssh 127.0.0.1 true` gets through.
  bool ready() const {
    return run({"/usr/bin/ssh", "-F", config().string(), "127.0.0.1", "true"}, dir_ / "probe.out",
               dir_ / "probe.err", std::chrono::seconds{10})
      .exited_with(0);
  }

  /// The EDDY_SSH value for the launcher.
  std::string command() const {
    return "ssh -F " + config().string();
  }

  std::filesystem::path config() const {
    return dir_ / "ssh_config";
  }

  std::string log() const {
    return tail_of(dir_ / "sshd.log");
  }

private:
  std::filesystem::path dir_;
  uint16_t port_ = 0;
  std::unique_ptr<process> server_; ///< killed by its destructor
};

} // namespace eddy::test
