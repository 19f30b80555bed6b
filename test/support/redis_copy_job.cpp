// A job binary for the Redis kill test: reads Redis streams with the
// bounded source, counts entries per value of their field "key", and appends
// "key"/"count" entries (the running count) to an output stream with the
// exactly-once XADD sink, one instance per --parallelism (up to 2).
//
// redis_copy_job --redis URL --inputs A,B,... --output STREAM --state-dir DIR [--parallelism N]

#include <sstream>
#include <string>
#include <vector>

#include "eddy/actors/run.hpp"
#include "eddy/connectors/redis/streams.hpp"
#include "eddy/connectors/redis/xadd.hpp"
#include "eddy/state.hpp"

namespace {

namespace redis = eddy::connectors::redis;

struct key_count {
  std::string key;
  int64_t count = 0;
};

template <class Inspector>
auto inspect(Inspector& f, key_count& x) {
  return f(x.key, x.count);
}

struct counter {
  eddy::value_state<int64_t> count;

  void on_record(const std::string& key, eddy::context<key_count>& ctx) {
    count = count.value_or(0) + 1;
    ctx.emit({key, *count});
  }
};

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> names;
  std::istringstream in{text};
  for (std::string name; std::getline(in, name, ',');)
    names.push_back(name);
  return names;
}

} // namespace

int main(int argc, char** argv) {
  eddy::job job{"redis_copy_job", argc, argv};
  auto url = job.arg("redis", "URL    redis://host:port of the server (required)");
  auto inputs = job.arg("inputs", "A,B    the streams to read (required)");
  auto output = job.arg("output", "STREAM where 'key'/'count' entries go (required)");
  auto server = redis::parse_endpoint(url);
  if (!server) {
    job.fail(server.error().message());
    return eddy::run(job);
  }
  job.source(redis::streams(*server, split_commas(inputs), {.follow = false}))
    .map([](const redis::entry& e) { return std::string{e.field("key").value_or("")}; })
    .key_by([](const std::string& key) -> const std::string& { return key; })
    .process<counter>()
    .sink(redis::xadd<key_count>(
      *server, output,
      [](const key_count& c) {
        return redis::fields{{"key", c.key}, {"count", std::to_string(c.count)}};
      },
      {.max_instances = 2}));
  return eddy::run(job);
}
