// Eddy as a library, the way a user gets it: `cmake --install` into a fresh
// prefix, then a job made by scripts/new-job and the README's first example
// built out of tree against that prefix with find_package(eddy 0.1), run,
// and (the job) tested under SIGKILL by its own CTest.

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "integration/process.hpp"

namespace fs = std::filesystem;
using namespace eddy::test;

namespace {

const fs::path source_dir = EDDY_SOURCE_DIR;
const fs::path build_dir = EDDY_BUILD_DIR;
const std::string cmake = EDDY_CMAKE; // run() takes paths, not names to look up
const std::string ctest = EDDY_CTEST;

/// Runs `argv`, logging to dir/<name>.out/.err; fails the test with its tail otherwise.
void must_run(const fs::path& dir, const std::string& name, std::vector<std::string> argv,
              std::chrono::seconds timeout = std::chrono::seconds{600}) {
  auto status = run(std::move(argv), dir / (name + ".out"), dir / (name + ".err"), timeout);
  BOOST_TEST_REQUIRE(status.exited_with(0), name << ": " << status.describe() << "\n"
                                                 << tail_of(dir / (name + ".out")) << "\n"
                                                 << tail_of(dir / (name + ".err")));
}

/// The first ```cpp block of README.md.
std::string first_readme_example() {
  std::ifstream in{source_dir / "README.md"};
  std::string line, code;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside && line == "```cpp") {
      inside = true;
    } else if (inside && line == "```") {
      return code;
    } else if (inside) {
      code += line + "\n";
    }
  }
  return code;
}

/// Installs Eddy into dir/prefix once per test run.
fs::path installed(const fs::path& dir) {
  auto prefix = dir / "prefix";
  must_run(dir, "install", {cmake, "--install", build_dir.string(), "--prefix", prefix.string()});
  return prefix;
}

/// Configures and builds the project in `src` against `prefix`.
void build_against(const fs::path& dir, const std::string& name, const fs::path& src,
                   const fs::path& prefix) {
  must_run(dir, name + "-configure",
           {cmake, "-S", src.string(), "-B", (src / "build").string(),
            "-DCMAKE_PREFIX_PATH=" + prefix.string()});
  must_run(dir, name + "-build", {cmake, "--build", (src / "build").string(), "-j", "2"});
}

} // namespace

BOOST_AUTO_TEST_SUITE(installed_eddy)

BOOST_AUTO_TEST_CASE(a_job_from_new_job_and_the_readme_example_build_against_the_installed_eddy) {
  temp_dir dir{"eddy-install"};
  fs::create_directories(dir.path());
  auto prefix = installed(dir.path());
  for (auto tool : {"eddy", "eddy-manager", "eddy-cluster"})
    BOOST_TEST(fs::exists(prefix / "bin" / tool), tool);
  BOOST_TEST(fs::exists(prefix / "lib" / "cmake" / "eddy" / "eddyConfig.cmake"));

  // A job of the user's own, from the template, with its SIGKILL test.
  auto job = dir.path() / "counts";
  must_run(dir.path(), "new-job", {(source_dir / "scripts" / "new-job").string(), "counts", job.string()});
  build_against(dir.path(), "counts", job, prefix);
  must_run(dir.path(), "counts-ctest",
           {ctest, "--test-dir", (job / "build").string(), "--output-on-failure"});
  BOOST_TEST(slurp(dir.path() / "counts-ctest.out").find("100% tests passed") != std::string::npos);

  // The README's first example, exactly as shown.
  auto example = dir.path() / "readme";
  fs::create_directories(example);
  auto code = first_readme_example();
  BOOST_TEST_REQUIRE(code.find("eddy::job") != std::string::npos);
  std::ofstream{example / "main.cpp"} << code;
  std::ofstream{example / "CMakeLists.txt"}
    << "cmake_minimum_required(VERSION 3.22)\nproject(readme_example LANGUAGES CXX)\n"
       "set(CMAKE_CXX_STANDARD 20)\nfind_package(eddy 0.1 REQUIRED)\n"
       "add_executable(example main.cpp)\n"
       "target_link_libraries(example PRIVATE eddy::eddy eddy::connectors::file)\n";
  build_against(dir.path(), "readme", example, prefix);
  std::ofstream{example / "input.txt"} << "to be or not to be\n";
  must_run(dir.path(), "readme-run",
           {(example / "build" / "example").string(), "--input", (example / "input.txt").string(),
            "--output", (example / "counts.tsv").string(), "--state-dir", (example / "state").string()});
  auto counts = slurp(example / "counts.tsv");
  BOOST_TEST(counts.find("be\t2") != std::string::npos, counts);
  BOOST_TEST(counts.find("to\t2") != std::string::npos, counts);
}

BOOST_AUTO_TEST_CASE(new_job_refuses_a_name_that_is_not_an_identifier_and_a_directory_in_use) {
  temp_dir dir{"eddy-install"};
  fs::create_directories(dir.path() / "used");
  std::ofstream{dir.path() / "used" / "file"} << "x";
  auto script = (source_dir / "scripts" / "new-job").string();
  auto bad_name = run({script, "my-job", (dir.path() / "new").string()}, dir.path() / "a.out",
                      dir.path() / "a.err", std::chrono::seconds{30});
  BOOST_TEST(bad_name.exited_with(2));
  BOOST_TEST(slurp(dir.path() / "a.err").find("NAME 'my-job' must be a C identifier") != std::string::npos);
  auto used = run({script, "ok", (dir.path() / "used").string()}, dir.path() / "b.out", dir.path() / "b.err",
                  std::chrono::seconds{30});
  BOOST_TEST(used.exited_with(2));
  BOOST_TEST(slurp(dir.path() / "b.err").find("exists and is not empty") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
