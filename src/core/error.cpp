#include "core/error.hpp"

#include <gio/gio.h>

namespace su {

Error Error::fromGError(const GError* error) {
  if (!error) return Error{G_IO_ERROR, G_IO_ERROR_FAILED, "unknown error (no GError)", {}};
  return Error{error->domain, error->code, error->message ? error->message : "", {}};
}

Error cancelledError() {
  return Error{G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled", {}};
}

bool Error::isCancelled() const {
  return is(G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

std::string Error::describe() const {
  std::string text = message;
  for (const FieldError& field : fields) {
    text += "\n  ";
    text += field.toString();
  }
  return text;
}

GError* Error::toGError() const {
  return g_error_new_literal(domain, code, describe().c_str());
}

}  // namespace su
