#include "su-error.h"

G_DEFINE_QUARK(su - error - quark, su_error)

GType su_error_get_type(void) {
  static gsize type = 0;
  if (g_once_init_enter(&type)) {
    static const GEnumValue values[] = {
        {SU_ERROR_INVALID_REQUEST, "SU_ERROR_INVALID_REQUEST", "invalid-request"},
        {SU_ERROR_NOT_CONNECTED, "SU_ERROR_NOT_CONNECTED", "not-connected"},
        {SU_ERROR_NOT_FOUND, "SU_ERROR_NOT_FOUND", "not-found"},
        {SU_ERROR_BROADCAST_FAILED, "SU_ERROR_BROADCAST_FAILED", "broadcast-failed"},
        {SU_ERROR_FAILED, "SU_ERROR_FAILED", "failed"},
        {0, nullptr, nullptr},
    };
    g_once_init_leave(&type, g_enum_register_static(g_intern_static_string("SuError"), values));
  }
  return type;
}
