#pragma once

#include <nlohmann/json.hpp>

#include "node_metrics.hpp"

namespace eddy::manager {

/// The job graph of GET .../graph: every stage of `plan` (a job's
/// plan.json) with its parallelism and, per instance and summed, records in
/// and out per second, the share of time it was backpressured, its
/// watermark and watermark lag, and partition restarts, from two scrapes of
/// the job's nodes (rates are the difference over the time between them).
nlohmann::json job_graph(const nlohmann::json& plan, const scrape& before, const scrape& now);

} // namespace eddy::manager
