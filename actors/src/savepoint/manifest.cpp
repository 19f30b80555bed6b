#include "manifest.hpp"

#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "savepoint/durable_file.hpp"

namespace eddy::actors::savepoint {

namespace fs = std::filesystem;
using nlohmann::json;

uint64_t manifest::body_bytes() const {
  uint64_t n = 0;
  for (auto& b : bodies)
    n += b.size;
  return n;
}

uint64_t manifest::key_groups() const {
  uint64_t n = 0;
  for (auto& b : bodies)
    n += b.stage >= 1 && b.stage <= operators.size();
  return n;
}

namespace {

json json_of(const body_ref& b) {
  return {{"stage", b.stage}, {"index", b.index}, {"file", b.file}, {"offset", b.offset}, {"size", b.size}, {"xxh64", b.xxh64}};
}

body_ref ref_of(const json& b) {
  return {b.at("stage").get<uint32_t>(), b.at("index").get<uint32_t>(), b.at("file").get<std::string>(),
          b.at("offset").get<uint64_t>(), b.at("size").get<uint64_t>(), b.at("xxh64").get<uint64_t>()};
}

} // namespace

std::string refs_text(const std::vector<body_ref>& refs) {
  json j = json::array();
  for (auto& r : refs)
    j.push_back(json_of(r));
  return j.dump();
}

expected<std::vector<body_ref>> refs_of(const std::string& text) {
  try {
    std::vector<body_ref> refs;
    for (auto& b : json::parse(text))
      refs.push_back(ref_of(b));
    return refs;
  } catch (const std::exception& e) {
    return error{errc::corrupt, std::string{"body references do not parse: "} + e.what()};
  }
}

error write_manifest(const fs::path& dir, const manifest& m) {
  json j;
  j["format"] = m.format;
  j["job"] = m.job;
  j["shape"] = m.shape;
  j["max_key_groups"] = m.max_key_groups;
  j["parallelism"] = m.parallelism;
  j["origin"] = m.origin;
  j["created_ms"] = m.created_ms;
  j["layout"] = {{"split_hint", m.layout.split_hint},
                 {"splits", m.layout.splits},
                 {"sink_instances", m.layout.sink_instances}};
  j["operators"] = json::array();
  for (auto& o : m.operators) {
    json states = json::array();
    for (auto& st : o.states)
      states.push_back({{"name", st.name}, {"schema", st.schema}});
    j["operators"].push_back({{"stage", o.stage}, {"name", o.name}, {"uid", o.uid}, {"states", states}});
  }
  j["sinks"] = json::array();
  for (auto& k : m.sinks)
    j["sinks"].push_back({{"stage", k.stage}, {"name", k.name}});
  j["bodies"] = json::array();
  for (auto& b : m.bodies)
    j["bodies"].push_back(json_of(b));
  return write_durably(dir / manifest_file, j.dump(1) + "\n");
}

expected<manifest> read_manifest(const fs::path& dir) {
  auto file = dir / manifest_file;
  auto quoted = "savepoint '" + dir.string() + "'";
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return error{errc::invalid_argument, quoted + " is not a directory"};
  std::ifstream in{file};
  if (!in)
    return error{errc::corrupt, quoted + " has no " + manifest_file + ": it is not a savepoint, or one "
                                  "that was never finished"};
  manifest m;
  try {
    auto j = json::parse(in);
    m.format = j.at("format").get<std::string>();
    if (m.format != format_name)
      return error{errc::corrupt, quoted + " is of format '" + m.format + "'; this Eddy reads " + format_name};
    m.job = j.at("job").get<std::string>();
    m.shape = j.at("shape").get<std::string>();
    m.max_key_groups = j.at("max_key_groups").get<uint32_t>();
    m.parallelism = j.at("parallelism").get<uint32_t>();
    m.origin = j.at("origin").get<std::string>();
    m.created_ms = j.at("created_ms").get<int64_t>();
    auto& l = j.at("layout");
    m.layout.split_hint = l.at("split_hint").get<uint32_t>();
    m.layout.splits = l.at("splits").get<std::vector<std::string>>();
    m.layout.sink_instances = l.at("sink_instances").get<std::vector<uint32_t>>();
    for (auto& o : j.at("operators")) {
      operator_info op{o.at("stage").get<uint32_t>(), o.at("name").get<std::string>(), o.at("uid").get<std::string>(), {}};
      for (auto& st : o.at("states"))
        op.states.push_back({st.at("name").get<std::string>(), st.at("schema").get<std::string>()});
      m.operators.push_back(std::move(op));
    }
    for (auto& k : j.at("sinks"))
      m.sinks.push_back({k.at("stage").get<uint32_t>(), k.at("name").get<std::string>()});
    std::set<std::pair<uint32_t, uint32_t>> seen;
    for (auto& b : j.at("bodies")) {
      auto r = ref_of(b);
      if (r.file.empty() || r.file.find("..") != std::string::npos || r.file.front() == '/')
        return error{errc::corrupt, quoted + " names a body file outside itself: '" + r.file + "'"};
      if (!seen.insert({r.stage, r.index}).second)
        return error{errc::corrupt, quoted + " has two images of stage " + std::to_string(r.stage) + " index "
                                      + std::to_string(r.index)};
      m.bodies.push_back(std::move(r));
    }
  } catch (const std::exception& e) {
    return error{errc::corrupt, quoted + ": its " + manifest_file + " is corrupt: " + e.what()};
  }
  return m;
}

} // namespace eddy::actors::savepoint
