#pragma once

// The SQL text only the PostgreSQL writer sends — rows in COPY's text
// format, the staged upsert, all marks in one statement — on top of what
// both table backends share (eddy/connectors/table/sql_text.hpp). Pure functions.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/connectors/table/table_sink.hpp"

namespace eddy::connectors::postgres::detail {

/// Appends `r` as one line of COPY's text format: values separated by tabs,
/// NULL as \N, backslash, tab, newline and CR escaped.
void append_copy_row(std::string& out, const table::row& r);

/// `COPY table (columns) FROM STDIN`.
std::string copy_statement(const std::string& table, const std::vector<std::string>& columns);

/// The staging table of an upsert: a temporary copy of the target's columns
/// (types included), emptied at every commit.
std::string create_stage_statement(const std::string& stage, const table::table_spec& spec);

/// Moves the staged rows into the target, replacing rows with the same key.
std::string upsert_statement(const std::string& stage, const table::table_spec& spec);

/// Sets the marks of one instance ($1 sink id, $2 instance, $3 channels and
/// $4 seqs as bigint arrays), keeping marks of channels not named.
std::string upsert_marks_statement(const std::string& marks_table);

/// `{1,2,3}`: a bigint array parameter.
std::string array_literal(const std::vector<uint64_t>& values);

/// `dsn` without its password, as `postgresql://user@host:port/dbname`, for
/// messages; the DSN itself when libpq cannot parse it.
std::string redacted_dsn(const std::string& dsn);

} // namespace eddy::connectors::postgres::detail
