#include "su-error.h"

// Spelled out: clang-format would put spaces into G_DEFINE_QUARK's bare-word name.
GQuark su_error_quark(void) {
  return g_quark_from_static_string("su-error-quark");
}

GType su_error_get_type(void) {
  static gsize type = 0;
  if (g_once_init_enter(&type)) {
    static const GEnumValue values[] = {
        {SU_ERROR_INVALID_REQUEST, "SU_ERROR_INVALID_REQUEST", "invalid-request"},
        {SU_ERROR_NOT_CONNECTED, "SU_ERROR_NOT_CONNECTED", "not-connected"},
        {SU_ERROR_NOT_FOUND, "SU_ERROR_NOT_FOUND", "not-found"},
        {SU_ERROR_BROADCAST_FAILED, "SU_ERROR_BROADCAST_FAILED", "broadcast-failed"},
        {SU_ERROR_FAILED, "SU_ERROR_FAILED", "failed"},
        {SU_ERROR_INVALID_QUEUE, "SU_ERROR_INVALID_QUEUE", "invalid-queue"},
        {SU_ERROR_QUEUE_FAILED, "SU_ERROR_QUEUE_FAILED", "queue-failed"},
        {0, nullptr, nullptr},
    };
    g_once_init_leave(&type, g_enum_register_static(g_intern_static_string("SuError"), values));
  }
  return type;
}
