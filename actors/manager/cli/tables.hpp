#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace eddy::cli {

/// Prints rows under a header, each column as wide as its widest cell.
void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

/// "2026-12-03 15:04:05" (UTC) for a time in ms since the epoch; "-" for null.
std::string time_of(const nlohmann::json& ms);

/// A JSON value as a table cell: strings bare, null as "-".
std::string cell(const nlohmann::json& v);

} // namespace eddy::cli
