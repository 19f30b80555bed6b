#pragma once

// The Nexmark benchmark's queries as Eddy jobs (QUERIES.md says what each
// one computes): the library behind `nexmark run`, shared with the tests and
// benchmarks so they all run the same jobs.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "eddy/connectors/nexmark/events.hpp"
#include "eddy/job.hpp"

namespace nexmark {

using eddy::connectors::nexmark::auction;
using eddy::connectors::nexmark::bid;
using eddy::connectors::nexmark::event;
using eddy::connectors::nexmark::person;

/// Nexmark's watermark bound: the watermark trails the highest date_time by 4 s.
constexpr std::chrono::milliseconds default_watermark_delay{4000};

/// The queries `add_query` knows, in order: q0, q1, q2, q3, q5, q7, q8, q11,
/// q14, q15, q17, q18, q19, q20, q21, q22.
const std::vector<std::string>& query_names();

/// Appends query `name` to `events` (events in input order, without
/// timestamps yet) and returns its output rows as TSV lines. Gives events
/// their `date_time` as event time with a watermark `watermark_delay` behind
/// the highest seen. Records a job error for an unknown name.
eddy::stream<std::string> add_query(eddy::job& job, eddy::stream<event> events,
                                    const std::string& name,
                                    std::chrono::milliseconds watermark_delay = default_watermark_delay);

} // namespace nexmark
