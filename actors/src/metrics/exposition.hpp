#pragma once

#include <string>

#include "metrics/registry.hpp"

namespace eddy::actors::metrics {

/// The content type of what exposition() writes.
inline constexpr const char* exposition_content_type = "text/plain; version=0.0.4; charset=utf-8";

/// Every series of `reg` in Prometheus' text exposition format 0.0.4: per
/// family `# HELP` and `# TYPE`, then one line per series with the
/// registry's constant labels first; histograms as cumulative `_bucket`
/// lines (`le`, ending in `+Inf`), `_sum` and `_count`. Families and gauges
/// without a value are left out.
std::string exposition(const registry& reg);

/// `v` as Prometheus writes sample values: `NaN`, `+Inf`, `-Inf`, or the
/// shortest decimal that reads back as `v`.
std::string format_value(double v);

/// `v` escaped for a label value: backslash, double quote and newline.
std::string escape_label_value(const std::string& v);

} // namespace eddy::actors::metrics
