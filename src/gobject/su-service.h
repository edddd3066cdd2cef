/* Broadcasts into Janus, for GObject applications (C, Python, GJS). */
#pragma once

#include <gio/gio.h>

#include "su-broadcast-request.h"
#include "su-broadcast.h"
#include "su-queue.h"
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
 * SuService:janus-url:
 *
 * The Janus WebSocket API, `ws://` or `wss://`.
 */

/**
 * SuService:ca-file:
 *
 * A PEM file of the certificate authorities a `wss://` Janus is checked against, when not the
 * system's.
 */

/**
 * SuService:api-secret:
 *
 * Janus's `api_secret`, when it requires one. Write-only: never read back, logged or reported.
 */

/**
 * SuService:token:
 *
 * A Janus stored token, when Janus authenticates with tokens. Write-only, like
 * #SuService:api-secret.
 */

/**
 * SuService:admin-key:
 *
 * The Streaming plugin's `admin_key`, for requests that do not carry one (Janus asks for it
 * to create mountpoints when configured to). Write-only, like #SuService:api-secret.
 */

/**
 * SuService::broadcast-state-changed:
 * @self: the #SuService
 * @broadcast: the broadcast
 * @state: its new state (#SuBroadcast:state)
 *
 * A broadcast moved to another state: `starting`, `running`, `retrying`, `stopping`, `stopped`
 * or `failed`.
 */

/**
 * SuService::broadcast-event:
 * @self: the #SuService
 * @broadcast: the broadcast
 * @event: what happened: `mountpoint_created`, `relay_started`, `media_confirmed`,
 *   `relay_restarted`, `janus_restored`...
 * @details: JSON text with the event's figures (`{}` when it has none), secrets masked
 *
 * A step of a broadcast's life, as the `run` command prints them.
 */

/**
 * SuService::broadcast-error:
 * @self: the #SuService
 * @broadcast: the broadcast
 * @phase: where it failed: `mountpoint`, `room`, `forward`, `relay`, `media`, `obs`, `restore`...
 * @error: what failed, in %SU_ERROR (%SU_ERROR_FAILED); never with a secret
 *
 * Something went wrong in a broadcast: a start step (the broadcast is rolled back), a relay
 * restart, or a cleanup step while stopping.
 */

/**
 * SuService::worker-job:
 * @self: the #SuService
 * @what: `claimed`, `done`, `requeued`, `dead_lettered`, `superseded` or `released`
 * @action: (nullable): `start_broadcast` or `stop_broadcast`; %NULL for a job that did not
 *   decode
 * @job_id: the job's id (its message id, unless the producer chose one)
 * @broadcast_id: (nullable): the broadcast it is about, when known
 * @error: (nullable): why a job was requeued or dead-lettered
 *
 * What happened to a job of the worker su_service_start_worker() started.
 */

/**
 * SuService::worker-error:
 * @self: the #SuService
 * @phase: `worker_job` (a job failed) or `queue` (the queue failed; the worker retries)
 * @broadcast_id: (nullable): the failed job's broadcast, when known
 * @error: %SU_ERROR_FAILED for a job, %SU_ERROR_QUEUE_FAILED for the queue; never with a secret
 *
 * The worker met an error. It goes on: a failed job goes back to the queue (or to its dead
 * letter after its attempts), and an unreachable queue is tried again with backoff.
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
 * Completes su_service_connect_async().
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
 * Completes su_service_start_async().
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
 * Completes su_service_start_request_async().
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
 * Completes su_service_stop_async().
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
 * The broadcast of that id, brought up to date.
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
 * Completes su_service_health_async(). The report as JSON text: `healthy`, counts, and per broadcast its state, Janus `age_ms` per
 * media and relay statistics (the same document as `serve`'s `/health`). Secrets are masked.
 *
 * Returns: (transfer full): JSON text, or %NULL with @error set
 */
SU_API char *su_service_health_finish(SuService *self, GAsyncResult *result, GError **error);

/**
 * su_service_start_worker:
 * @self: a connected #SuService
 * @queue: the queue whose jobs to run
 * @concurrency: jobs run at once; 0 for 4
 * @error: %SU_ERROR_NOT_CONNECTED, or %SU_ERROR_FAILED when a worker already runs
 *
 * Claims jobs from @queue and runs them on this service, as the `worker` command does: a start
 * job's broadcast becomes one of the service's (with its signals), a stop job stops one. A job
 * that succeeded is acknowledged; one that failed goes back to the queue with its error, or to
 * its dead letter after its attempts. #SuService::worker-job tells each step.
 *
 * Returns: %TRUE once the worker claims jobs
 */
SU_API gboolean su_service_start_worker(SuService *self, SuQueue *queue, guint concurrency,
                                        GError **error);

/**
 * su_service_drain_worker_async:
 * @self: a #SuService
 * @cancellable: (nullable): stops waiting; the drain itself goes on
 * @callback: (scope async): called on the service's context once drained
 * @user_data: (closure): for @callback
 *
 * Stops claiming jobs and lets the ones in flight finish. The broadcasts the worker started
 * keep running: they are the service's, stopped by su_service_stop_async() or with the
 * service. Draining without a worker completes at once.
 */
SU_API void su_service_drain_worker_async(SuService *self, GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data);

/**
 * su_service_drain_worker_finish:
 * @self: a #SuService
 * @result: the #GAsyncResult given to the callback
 * @error: %G_IO_ERROR_CANCELLED only
 *
 * Completes su_service_drain_worker_async().
 *
 * Returns: %TRUE once drained
 */
SU_API gboolean su_service_drain_worker_finish(SuService *self, GAsyncResult *result,
                                               GError **error);

/**
 * su_service_get_worker_stats:
 * @self: a #SuService
 *
 * The worker's figures as JSON text: jobs `claimed`, `done`, `failed` (requeued or
 * dead-lettered), `dead_lettered`, `running` now, whether it is `draining`, and the queue's
 * last error (`queue_error`) while it lasts.
 *
 * Returns: (transfer full) (nullable): JSON text, %NULL if no worker ever ran
 */
SU_API char *su_service_get_worker_stats(SuService *self);

G_END_DECLS
