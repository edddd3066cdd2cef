#include "core/result.hpp"

#include <cstdlib>

namespace su::detail {

void failedResultAccess(const Error* error) {
  if (error) {
    g_critical("su::Result: value() of a failed result: %s", error->describe().c_str());
  } else {
    g_critical("su::Result: error() of a successful result");
  }
  std::abort();
}

}  // namespace su::detail
