/* The errors of the StreamingUtils GObject API. */
#pragma once

#include <glib-object.h>

#include "su-version.h"

G_BEGIN_DECLS

/**
 * SU_ERROR:
 *
 * The error domain of the StreamingUtils API: its codes are #SuError.
 */
#define SU_ERROR (su_error_quark())

/**
 * SuError:
 * @SU_ERROR_INVALID_REQUEST: the request is not valid JSON, or not a valid broadcast request
 *   (the message lists every problem, with its field); nothing was started
 * @SU_ERROR_NOT_CONNECTED: not connected to Janus (su_service_connect_async() first, or Janus
 *   is unreachable)
 * @SU_ERROR_NOT_FOUND: no broadcast has that id
 * @SU_ERROR_BROADCAST_FAILED: the broadcast failed to start and was rolled back; it stays listed,
 *   in state `failed`, with this message
 * @SU_ERROR_FAILED: anything else (the message says what)
 * @SU_ERROR_INVALID_QUEUE: a queue URL this build cannot use (the message says why)
 * @SU_ERROR_QUEUE_FAILED: the queue's server is unreachable, did not answer in time, or refused
 *
 * Error codes of #SU_ERROR. Messages never carry a secret.
 */
typedef enum {
  SU_ERROR_INVALID_REQUEST,
  SU_ERROR_NOT_CONNECTED,
  SU_ERROR_NOT_FOUND,
  SU_ERROR_BROADCAST_FAILED,
  SU_ERROR_FAILED,
  SU_ERROR_INVALID_QUEUE,
  SU_ERROR_QUEUE_FAILED,
} SuError;

/**
 * su_error_quark:
 *
 * The quark of #SU_ERROR.
 *
 * Returns: the error domain of the StreamingUtils API
 */
SU_API GQuark su_error_quark(void);
SU_API GType su_error_get_type(void);
#define SU_TYPE_ERROR (su_error_get_type())

G_END_DECLS
