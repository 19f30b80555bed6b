#pragma once

// One libpq connection with the few calls the writer makes, each telling a
// broken connection (worth a retry on a new one) from a statement the
// server refused (not).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

typedef struct pg_conn PGconn;

namespace eddy::connectors::postgres::detail {

/// Why a call failed: `lost` when the connection is gone (or never came up),
/// else the server's error for the statement, on one line.
struct failure {
  bool lost = false;
  std::string message;
};

/// Nothing when the call succeeded.
using outcome = std::optional<failure>;

/// Result rows as text; std::nullopt is NULL.
using text_rows = std::vector<std::vector<std::optional<std::string>>>;

/// Owns one PGconn. Not thread-safe; movable, not copyable.
class connection {
public:
  connection() = default;
  connection(connection&& other) noexcept;
  connection& operator=(connection&& other) noexcept;
  ~connection();

  /// Connects to `dsn`, replacing any connection held.
  outcome connect(const std::string& dsn);

  /// True while a connection is held that libpq thinks is fine.
  bool connected() const;

  /// Closes the connection.
  void close();

  /// Runs `sql` with text parameters $1, $2, ...; rows go to `rows` if given.
  outcome exec(const std::string& sql, const std::vector<std::string>& params = {},
               text_rows* rows = nullptr);

  /// Runs `copy_sql` (COPY ... FROM STDIN) and sends it `data`.
  outcome copy_in(const std::string& copy_sql, std::string_view data);

private:
  /// The failure of the last call, from `result` (may be null) or the connection.
  failure failed(const void* result) const;

  PGconn* conn_ = nullptr;
};

} // namespace eddy::connectors::postgres::detail
