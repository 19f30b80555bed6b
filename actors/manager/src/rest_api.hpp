#pragma once

#include <string>

namespace httplib {
class Server;
}

namespace eddy::manager {

class catalog;
class launcher;
class reconciler;

/// The manager's REST API under /api/v1 (README.md lists it): JSON in and
/// out, errors as {"message": ..., "status": ...}. Every request needs
/// `Authorization: Bearer TOKEN` when `token` is not empty.
void serve_api(httplib::Server& server, catalog& records, reconciler& driver, const launcher& run,
               const std::string& token);

} // namespace eddy::manager
