#pragma once

#include <chrono>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "logging.hpp"

namespace eddy::actors {

/// Logs how many input values the job's source instances have read so far,
/// from their (progress_atom, instance, values) reports.
class progress_log {
public:
  progress_log(std::string job, std::chrono::steady_clock::time_point started)
    : job_(std::move(job)), started_(started) {
  }

  void read(uint32_t instance, uint64_t values) {
    by_instance_.resize(std::max<size_t>(by_instance_.size(), instance + 1));
    by_instance_[instance] = values;
    auto total = std::accumulate(by_instance_.begin(), by_instance_.end(), uint64_t{0});
    auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    log::runtime()->info("job {}: read {} input values in {:.1f} s ({:.0f}/s)", job_, total, secs,
                         total / std::max(secs, 1e-9));
  }

private:
  std::string job_;
  std::chrono::steady_clock::time_point started_;
  std::vector<uint64_t> by_instance_; ///< values each source instance read in this run
};

} // namespace eddy::actors
