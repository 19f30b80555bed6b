#pragma once

// STATE-DIR/plan.json: the job's stages and where their instances run, as
// the coordinator (or a local job) placed them last, for the application
// manager's job graph (actors/manager). Written by a rename: a reader never
// sees half of it.

#include <filesystem>
#include <string>

#include "placement.hpp"
#include "plan.hpp"

namespace eddy {
class job;
}

namespace eddy::actors {

/// Writes `p` placed by `where` for generation `generation` of `j` into
/// `dir`/plan.json; a failure is logged, not fatal (the job runs on).
void write_plan_file(const std::filesystem::path& dir, const job& j, const plan& p, const placement& where,
                     uint32_t generation);

} // namespace eddy::actors
