#pragma once

namespace eddy::manager {

/// web/dashboard.html, built into the binary (cmake embeds it).
const char* dashboard_page();

} // namespace eddy::manager
