/* Broadcasts into Janus, for GObject applications (C, Python, GJS). */
#pragma once

#include <gio/gio.h>

#include "su-broadcast-request.h"
#include "su-broadcast.h"
#include "su-version.h"

G_BEGIN_DECLS

#define SU_TYPE_SERVICE (su_service_get_type())
SU_API G_DECLARE_FINAL_TYPE(SuService, su_service, SU, SERVICE, GObject)

/**
 * SuService:
 *
 * Starts, stops, lists and watches broadcasts over one Janus connection — the same orchestrator
 * the `streaming-utils` command and its `serve` daemon run.
 *
 * A service lives on the thread-default #GMainContext of the thread that created it: every
 * callback and signal comes there. Requests and results are the JSON documents of the command
 * line and the queues (README, "Requests"). Dropping the last reference stops every broadcast
 * first, iterating that context until they are stopped; do it on that context's thread.
 *
 * ```python
 * from gi.repository import GLib, StreamingUtils
 * service = StreamingUtils.Service(janus_url="ws://127.0.0.1:8188")
 * service.connect_async(None, lambda s, r: s.start_async(request, None, started))
 * ```
 */

/**
 * su_service_new:
 * @janus_url: the Janus WebSocket API (`ws://` or `wss://`)
 *
 * A service on the calling thread's thread-default main context, not connected yet. Set secrets
 * (#SuService:api-secret, #SuService:token, #SuService:admin-key) with g_object_new().
 *
 * Returns: (transfer full): a new #SuService
 */
SU_API SuService *su_service_new(const char *janus_url);

/**
 * su_service_connect_async:
 * @self: a #SuService
 * @cancellable: (nullable): stops waiting for Janus
 * @callback: (scope async): called on the service's context once connected, or not
 * @user_data: (closure): for @callback
 *
 * Connects to Janus. Broadcasts start once connected; a lost connection is restored by the
 * service on its own (and what Janus forgot is re-created).
 */
SU_API void su_service_connect_async(SuService *self, GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data);

/**
 * su_service_connect_finish:
 * @self: a #SuService
 * @result: the #GAsyncResult given to the callback
 * @error: why not: %SU_ERROR_NOT_CONNECTED, or %G_IO_ERROR_CANCELLED
 *
 * Returns: %TRUE once connected
 */
SU_API gboolean su_service_connect_finish(SuService *self, GAsyncResult *result, GError **error);

/**
 * su_service_start_async:
 * @self: a #SuService
 * @request_json: a broadcast request as JSON text
 * @cancellable: (nullable): cancelling stops the broadcast as soon as its start has finished
 *   (nothing is left behind), and the start ends with %G_IO_ERROR_CANCELLED
 * @callback: (scope async): called on the service's context when the broadcast runs, or failed
 * @user_data: (closure): for @callback
 *
 * Starts a broadcast: provisions what it needs in Janus, starts its relay, and waits until
 * Janus sees its media. #SuService::broadcast-state-changed and #SuService::broadcast-event
 * report the steps meanwhile.
 */
SU_API void su_service_start_async(SuService *self, const char *request_json,
                                   GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data);

/**
 * su_service_start_finish:
 * @self: a #SuService
 * @result: the #GAsyncResult given to the callback
 * @error: %SU_ERROR_INVALID_REQUEST (nothing started), %SU_ERROR_NOT_CONNECTED,
 *   %SU_ERROR_BROADCAST_FAILED (rolled back; the broadcast stays listed as failed), or
 *   %G_IO_ERROR_CANCELLED
 *
 * Returns: (transfer full): the running broadcast, or %NULL with @error set
 */
SU_API SuBroadcast *su_service_start_finish(SuService *self, GAsyncResult *result,
                                            GError **error);

/**
 * su_service_start_request_async:
 * @self: a #SuService
 * @request: the broadcast request
 * @cancellable: (nullable): as for su_service_start_async()
 * @callback: (scope async): called on the service's context when the broadcast runs, or failed
 * @user_data: (closure): for @callback
 *
 * Starts the broadcast @request describes, as su_service_start_async() starts one from JSON.
 * @request may be changed or dropped once this returns.
 */
SU_API void su_service_start_request_async(SuService *self, SuBroadcastRequest *request,
                                           GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);

/**
 * su_service_start_request_finish:
 * @self: a #SuService
 * @result: the #GAsyncResult given to the callback
 * @error: as for su_service_start_finish()
 *
 * Returns: (transfer full): the running broadcast, or %NULL with @error set
 */
SU_API SuBroadcast *su_service_start_request_finish(SuService *self, GAsyncResult *result,
                                                    GError **error);

/**
 * su_service_stop_async:
 * @self: a #SuService
 * @broadcast_id: the broadcast to stop
 * @cancellable: (nullable): stops waiting; the stop itself goes on
 * @callback: (scope async): called on the service's context once stopped
 * @user_data: (closure): for @callback
 *
 * Stops a broadcast and releases, in reverse order, exactly what it created in Janus.
 */
SU_API void su_service_stop_async(SuService *self, const char *broadcast_id,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data);

/**
 * su_service_stop_finish:
 * @self: a #SuService
 * @result: the #GAsyncResult given to the callback
 * @error: %SU_ERROR_NOT_FOUND, %SU_ERROR_NOT_CONNECTED, %SU_ERROR_FAILED (a cleanup step
 *   failed: the message says which), or %G_IO_ERROR_CANCELLED
 *
 * Returns: %TRUE once stopped
 */
SU_API gboolean su_service_stop_finish(SuService *self, GAsyncResult *result, GError **error);

/**
 * su_service_list:
 * @self: a #SuService
 *
 * Every broadcast the service knows: running ones, and stopped or failed ones until their id is
 * started again.
 *
 * Returns: (transfer container) (element-type SuBroadcast): the broadcasts
 */
SU_API GPtrArray *su_service_list(SuService *self);

/**
 * su_service_lookup:
 * @self: a #SuService
 * @broadcast_id: a broadcast's id
 *
 * Returns: (transfer none) (nullable): the broadcast, %NULL if the service does not know it
 */
SU_API SuBroadcast *su_service_lookup(SuService *self, const char *broadcast_id);

/**
 * su_service_health_async:
 * @self: a #SuService
 * @cancellable: (nullable): stops waiting
 * @callback: (scope async): called on the service's context with the report
 * @user_data: (closure): for @callback
 *
 * Asks Janus and the relays how every broadcast is doing. The report also updates each
 * broadcast's #SuBroadcast:health.
 */
SU_API void su_service_health_async(SuService *self, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data);

/**
 * su_service_health_finish:
 * @self: a #SuService
 * @result: the #GAsyncResult given to the callback
 * @error: %G_IO_ERROR_CANCELLED only: a service without Janus reports itself unhealthy
 *
 * The report as JSON text: `healthy`, counts, and per broadcast its state, Janus `age_ms` per
 * media and relay statistics (the same document as `serve`'s `/health`). Secrets are masked.
 *
 * Returns: (transfer full): JSON text, or %NULL with @error set
 */
SU_API char *su_service_health_finish(SuService *self, GAsyncResult *result, GError **error);

G_END_DECLS
