#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

namespace eddy::test {

/// A fresh temporary directory path, removed with everything in it when the
/// object goes. Not created: the runtime creates state directories itself.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    static int counter = 0;
    path = std::filesystem::temp_directory_path()
           / ("eddy-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
};

} // namespace eddy::test
