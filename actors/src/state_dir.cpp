#include "state_dir.hpp"

#include <filesystem>

namespace eddy::actors {

namespace fs = std::filesystem;

namespace {

constexpr const char* journal_file = "journal.db";

} // namespace

std::string shape_of(const job& j) {
  auto& g = j.graph();
  auto edges = [](const std::vector<dataflow::output_edge>& es) {
    std::string out;
    for (auto& e : es)
      out += std::string{e.kind == dataflow::output_edge::keyed ? " k" : " s"}
             + std::to_string(e.index);
    return out;
  };
  auto shape = "source ->" + edges(g.source->outputs);
  for (size_t i = 0; i < g.keyed.size(); ++i)
    shape += ", k" + std::to_string(i) + " ->" + edges(g.keyed[i].outputs);
  return shape;
}

expected<std::shared_ptr<journal::sqlite_journal>> open_state_dir(const job& j) {
  return open_state_dir(j, j.config().state_dir);
}

expected<std::shared_ptr<journal::sqlite_journal>> open_state_dir(const job& j, const fs::path& dir, bool verify) {
  auto quoted = "state directory '" + dir.string() + "'";
  std::error_code ec;
  bool fresh = false;
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec)
      return error{errc::invalid_argument, "cannot create " + quoted + ": " + ec.message()};
    fresh = true;
  } else if (!fs::is_directory(dir, ec)) {
    return error{errc::invalid_argument, quoted + " is not a directory"};
  } else if (fs::is_empty(dir, ec)) {
    fresh = true;
  } else if (!fs::exists(dir / journal_file, ec)) {
    return error{errc::invalid_argument,
                 quoted + " is not an Eddy state directory (it has files but no "
                   + journal_file + ")"};
  }
  journal::open_options options;
  options.create = fresh;
  options.verify = verify && !fresh;
  auto opened = journal::sqlite_journal::open(dir / journal_file, options);
  if (!opened)
    return error{opened.error().code(), quoted + " is unusable: " + opened.error().message()};
  std::shared_ptr<journal::sqlite_journal> jn = std::move(*opened);
  // A process killed while creating the directory leaves a journal without
  // (all) its metadata and without any partition: that is still a fresh one.
  if (!fresh) {
    auto parts = jn->partitions();
    if (!parts)
      return error{parts.error().code(), quoted + ": " + parts.error().message()};
    fresh = parts->empty();
  }
  auto expect = [&](const std::string& key, const std::string& value,
                    const std::string& what) -> eddy::error {
    auto stored = jn->meta(key);
    if (!stored)
      return error{stored.error().code(), quoted + ": " + stored.error().message()};
    if (!*stored) {
      if (!fresh)
        return error{errc::corrupt, quoted + " is corrupt: its journal has no '" + key + "'"};
      return jn->meta(key, value);
    }
    if (**stored != value)
      return error{errc::invalid_argument,
                   quoted + " holds the state of " + what + " '" + **stored + "', not '" + value
                     + "'"};
    return {};
  };
  if (auto err = expect("job", j.config().name, "job"))
    return err;
  if (auto err = expect("max_key_groups", std::to_string(j.config().max_key_groups),
                        "--max-key-groups"))
    return err;
  if (auto err = expect("shape", shape_of(j), "a job with"))
    return err;
  return jn;
}

} // namespace eddy::actors
