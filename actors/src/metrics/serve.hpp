#pragma once

#include <memory>

#include "eddy/error.hpp"
#include "eddy/job.hpp"
#include "metrics/http_endpoint.hpp"

namespace eddy::actors::metrics {

/// Labels the process registry with the job and node (`local`,
/// `coordinator`, or `worker` until a worker learns its number), and, when
/// `cfg.metrics_listen` is set, serves it at http://HOST:PORT/metrics,
/// writes the address it listens on to STATE-DIR/metrics.address (through a
/// temporary file and a rename, so a reader never sees half of it) and logs
/// `metrics on HOST:PORT`. Null when metrics are off; an error naming the
/// address or the file when they cannot be served. Call once the state
/// directory exists (a fresh one must be empty until its journal is made).
expected<std::unique_ptr<http_endpoint>> serve(const job_config& cfg);

/// The node label of this process's series (a worker, once numbered: `worker-K`).
void node_label(const std::string& node);

} // namespace eddy::actors::metrics
