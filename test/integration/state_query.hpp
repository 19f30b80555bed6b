#pragma once

// Asking a running job for one key's state with `eddy-cluster query`
// (actors/src/query/README.md) and reading wordcount's answer. Header-only.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "integration/followed_input.hpp"
#include "integration/process.hpp"

namespace eddy::test {

/// What `eddy-cluster query` printed and how it exited.
struct query_answer {
  exit_status status;
  nlohmann::json json; ///< stdout parsed, on exit 0
  std::string error;   ///< stderr otherwise
};

/// `eddy-cluster query WHERE... OPERATOR KEY`, WHERE `--dir DIR` (a cluster) or
/// `--savepoint-dir DIR` (a local job); its output goes next to `scratch`.
inline query_answer query_state(const std::vector<std::string>& where, const std::string& op, const std::string& key,
                                const std::filesystem::path& scratch) {
  std::vector<std::string> argv{EDDY_CLUSTER_SCRIPT, "query"};
  argv.insert(argv.end(), where.begin(), where.end());
  argv.push_back(op);
  argv.push_back(key);
  query_answer a;
  a.status = run(argv, scratch.string() + ".query.out", scratch.string() + ".query.err", std::chrono::seconds{60});
  if (a.status.exited_with(0))
    a.json = nlohmann::json::parse(slurp(scratch.string() + ".query.out"));
  else
    a.error = slurp(scratch.string() + ".query.err");
  return a;
}

/// Wordcount's count of a word in an answer ("states": {"words": {"count": n}}); nullopt when null.
inline std::optional<int64_t> word_count_in(const nlohmann::json& answer) {
  auto& words = answer.at("states").at("words");
  if (words.is_null())
    return std::nullopt;
  return words.at("count").get<int64_t>();
}

/// Asks until a query of `word` shows `count` (a failover answers errors a
/// while), at most `timeout`; the last answer.
inline query_answer query_until_count(const std::vector<std::string>& where, const std::string& word, int64_t count,
                                      const std::filesystem::path& scratch,
                                      std::chrono::seconds timeout = std::chrono::seconds{90}) {
  query_answer last;
  eventually(
    [&] {
      last = query_state(where, "counts", word, scratch);
      return last.status.exited_with(0) && word_count_in(last.json) == count;
    },
    timeout);
  return last;
}

} // namespace eddy::test
