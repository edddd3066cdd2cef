#include "core/init.hpp"

#include "core/gref.hpp"
#include "core/log.hpp"

namespace su {

GQuark errorDomainOf(InitError) {
  return g_quark_from_static_string("su-init-error");
}

Result<void> init() {
  GUnique<GError> error;
  if (!gst_init_check(nullptr, nullptr, error.outPtr())) {
    return makeError(InitError::GStreamer, std::string("GStreamer failed to initialise: ") +
                                               (error ? error->message : "unknown reason"));
  }
  log::registerCategories();
  return {};
}

}  // namespace su
