#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eddy/connectors/redis/endpoint.hpp"
#include "eddy/source.hpp"

namespace eddy::connectors::redis {

/// The field/value pairs of one stream entry, in the order XADD got them.
using fields = std::vector<std::pair<std::string, std::string>>;

/// One entry of a Redis stream, as XREAD returns it.
struct entry {
  std::string stream; ///< the stream's key
  std::string id;     ///< "<ms>-<seq>"
  redis::fields fields;

  /// The value of the first field called `name`, if there is one.
  std::optional<std::string_view> field(std::string_view name) const {
    for (auto& [k, v] : fields)
      if (k == name)
        return std::string_view{v};
    return std::nullopt;
  }
};

template <class Inspector>
auto inspect(Inspector& f, entry& x) {
  return f(x.stream, x.id, x.fields);
}

/// How streams() reads.
struct stream_options {
  /// true: unbounded, the job keeps reading new entries. false: bounded, each
  /// stream ends at the last entry it had when the job first started.
  bool follow = true;
  /// Entries asked for per XREAD (COUNT); read(max) issues XREADs until it
  /// has `max` entries or one comes back short (caught up).
  size_t batch = 1000;
  /// Reconnects after a lost connection before read() fails, and the wait
  /// before the first of them (doubled each time).
  int reconnects = 5;
  int backoff_ms = 100;
};

/// Returns a replayable source of the entries of the Redis streams `names`
/// on `server`, each stream one split, read in id order with
/// `XREAD COUNT batch STREAMS name last-id`, repeated until read()'s `max`
/// (never BLOCK: read() returns fewer than asked once it has caught up).
///
/// A split's descriptor is "<end> <name>": `end` is "+" when following, else
/// the stream's last id when splits() ran ("0-0" for an empty or missing
/// stream). The runtime fixes the split list at a job's first start, so a
/// restarted bounded job ends where the first start would have. A reader's
/// position is the id of the last entry it delivered ("" before the first);
/// open(position) reads on after it. Entries must not be deleted (XDEL,
/// XTRIM) while a job may still replay them.
///
/// check() fails with errc::invalid_argument if `names` is empty or has an
/// empty name, and with errc::unavailable naming host:port if the server
/// cannot be reached or refuses AUTH/SELECT. A read whose connection breaks
/// reconnects `reconnects` times with backoff, then fails naming the server.
/// Values passed to read()'s callback are valid only during the call.
std::unique_ptr<eddy::source<entry>> streams(endpoint server, std::vector<std::string> names,
                                             stream_options options = {});

} // namespace eddy::connectors::redis
