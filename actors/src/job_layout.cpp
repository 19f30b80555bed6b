#include "job_layout.hpp"

#include <algorithm>
#include <tuple>

#include "eddy/codec.hpp"

namespace eddy::actors {

namespace {

constexpr const char* layout_key = "layout";

using stored_layout = std::tuple<uint32_t, std::vector<std::string>, std::vector<uint32_t>>;

expected<job_layout> fresh_layout(const job& j, uint32_t hint) {
  auto& g = j.graph();
  job_layout l;
  l.split_hint = std::max<uint32_t>(hint, 1);
  auto splits = g.source->splits(l.split_hint);
  if (!splits)
    return splits.error();
  if (splits->empty())
    return error{errc::invalid_argument, "source '" + g.source->name + "' has no splits"};
  l.splits = std::move(*splits);
  for (auto& s : g.sinks)
    l.sink_instances.push_back(std::clamp<uint32_t>(j.config().parallelism, 1, std::max<uint32_t>(s->max_instances, 1)));
  return l;
}

} // namespace

error store_layout(journal::sqlite_journal& jn, const job_layout& l) {
  return jn.meta(layout_key, encode(stored_layout{l.split_hint, l.splits, l.sink_instances}));
}

expected<job_layout> settle_layout(const job& j, journal::sqlite_journal& jn, const std::string& where) {
  auto stored = jn.meta(layout_key);
  if (!stored)
    return error{stored.error().code(), where + ": " + stored.error().message()};
  if (!*stored) {
    auto parts = jn.partitions();
    if (!parts)
      return error{parts.error().code(), where + ": " + parts.error().message()};
    if (!parts->empty()) {
      // State from before layouts were stored: one source split, one
      // instance per sink, as that runtime ran them.
      auto l = fresh_layout(j, 1);
      if (l && l->splits.size() != 1)
        return error{errc::invalid_argument, where + " holds a source read as one split, but it now has " + std::to_string(l->splits.size())};
      if (l)
        std::fill(l->sink_instances.begin(), l->sink_instances.end(), 1u);
      return l;
    }
    auto l = fresh_layout(j, j.config().parallelism);
    if (!l)
      return l;
    if (auto err = store_layout(jn, *l))
      return error{err.code(), where + ": " + err.message()};
    return l;
  }
  job_layout l;
  try {
    std::tie(l.split_hint, l.splits, l.sink_instances) = decode<stored_layout>(**stored);
  } catch (const decode_error& e) {
    return error{errc::corrupt, where + " is corrupt: its job layout does not decode: " + e.what()};
  }
  if (l.splits.empty() || l.sink_instances.size() != j.graph().sinks.size())
    return error{errc::corrupt, where + " is corrupt: its job layout does not match the job's shape"};
  auto now = j.graph().source->splits(l.split_hint);
  if (!now)
    return now.error();
  if (*now != l.splits)
    return error{errc::invalid_argument,
                 where + ": the source's splits differ from those of its checkpoint ("
                   + std::to_string(now->size()) + " now, " + std::to_string(l.splits.size())
                   + " then): its input or configuration changed"};
  return l;
}

} // namespace eddy::actors
