#include "eddy/dataflow/traits.hpp"

#include <cstdlib>
#include <cxxabi.h>
#include <memory>

namespace eddy::dataflow {

std::string demangle(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name{abi::__cxa_demangle(mangled, nullptr, nullptr, &status),
                                              std::free};
  std::string result = status == 0 && name ? name.get() : mangled;
  // Keep the last component: "(anonymous namespace)::word_count" -> "word_count".
  if (auto pos = result.rfind("::"); pos != std::string::npos && result.find('<') == std::string::npos)
    result.erase(0, pos + 2);
  return result;
}

} // namespace eddy::dataflow
