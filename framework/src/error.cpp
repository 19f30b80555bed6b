#include "eddy/error.hpp"

namespace eddy {

const char* to_string(errc code) noexcept {
  switch (code) {
    case errc::none: return "none";
    case errc::invalid_argument: return "invalid_argument";
    case errc::io: return "io";
    case errc::corrupt: return "corrupt";
    case errc::fenced: return "fenced";
    case errc::conflict: return "conflict";
    case errc::user_failure: return "user_failure";
    case errc::unavailable: return "unavailable";
  }
  return "unknown";
}

} // namespace eddy
