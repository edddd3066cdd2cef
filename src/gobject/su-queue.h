/* A job queue shared by the nodes: Redis Streams, Kafka, or memory. */
#pragma once

#include <gio/gio.h>

#include "su-broadcast-request.h"
#include "su-version.h"

G_BEGIN_DECLS

#define SU_TYPE_QUEUE (su_queue_get_type())
SU_API G_DECLARE_FINAL_TYPE(SuQueue, su_queue, SU, QUEUE, GObject)

/**
 * SuQueue:
 *
 * A queue of broadcast jobs, as the `queue` and `worker` commands and `serve` use it (README,
 * "Queues"): an application enqueues starts and stops on it, and reads its backlog; a
 * #SuService runs its jobs with su_service_start_worker(), on this node, while workers on other
 * nodes share the same queue.
 *
 * Like #SuService, a queue lives on the thread-default #GMainContext of the thread that made it,
 * where its callbacks come.
 */

/**
 * su_queue_new:
 * @url: `memory:`, `redis://[user:password@]host[:port][/db]?stream=S&group=G` or
 *   `kafka://broker[:port][,broker...]/topic?group=G`, with the consumer's options
 *   (`consumer`, `max_attempts`, `visibility_ms`, `max_length`, `dead_letter`) in the query
 * @error: %SU_ERROR_INVALID_QUEUE when the URL cannot be used
 *
 * A queue on the calling thread's thread-default main context. Nothing is sent to the server
 * before the first call that needs it.
 *
 * Returns: (transfer full): a new #SuQueue, or %NULL with @error set
 */
SU_API SuQueue *su_queue_new(const char *url, GError **error);

/**
 * su_queue_get_name:
 * @self: a #SuQueue
 *
 * The queue's URL without its password, for logs and status.
 *
 * Returns: (transfer none): the URL, password removed
 */
SU_API const char *su_queue_get_name(SuQueue *self);

/**
 * su_queue_enqueue_start_async:
 * @self: a #SuQueue
 * @request: the broadcast to start
 * @cancellable: (nullable): stops waiting; the job may be enqueued nonetheless
 * @callback: (scope async): called on the queue's context once the job is enqueued, or not
 * @user_data: (closure): for @callback
 *
 * Enqueues a job that starts the broadcast @request describes, on whichever worker claims it.
 * An invalid request is refused before anything is sent.
 */
SU_API void su_queue_enqueue_start_async(SuQueue *self, SuBroadcastRequest *request,
                                         GCancellable *cancellable, GAsyncReadyCallback callback,
                                         gpointer user_data);

/**
 * su_queue_enqueue_start_finish:
 * @self: a #SuQueue
 * @result: the #GAsyncResult given to the callback
 * @error: %SU_ERROR_INVALID_REQUEST, %SU_ERROR_QUEUE_FAILED or %G_IO_ERROR_CANCELLED
 *
 * Completes su_queue_enqueue_start_async().
 *
 * Returns: (transfer full): the job's message id in the queue, or %NULL with @error set
 */
SU_API char *su_queue_enqueue_start_finish(SuQueue *self, GAsyncResult *result, GError **error);

/**
 * su_queue_enqueue_stop_async:
 * @self: a #SuQueue
 * @broadcast_id: the broadcast to stop
 * @cancellable: (nullable): stops waiting; the job may be enqueued nonetheless
 * @callback: (scope async): called on the queue's context once the job is enqueued, or not
 * @user_data: (closure): for @callback
 *
 * Enqueues a job that stops a broadcast, on whichever worker claims it.
 */
SU_API void su_queue_enqueue_stop_async(SuQueue *self, const char *broadcast_id,
                                        GCancellable *cancellable, GAsyncReadyCallback callback,
                                        gpointer user_data);

/**
 * su_queue_enqueue_stop_finish:
 * @self: a #SuQueue
 * @result: the #GAsyncResult given to the callback
 * @error: %SU_ERROR_QUEUE_FAILED or %G_IO_ERROR_CANCELLED
 *
 * Completes su_queue_enqueue_stop_async().
 *
 * Returns: (transfer full): the job's message id in the queue, or %NULL with @error set
 */
SU_API char *su_queue_enqueue_stop_finish(SuQueue *self, GAsyncResult *result, GError **error);

/**
 * su_queue_stats_async:
 * @self: a #SuQueue
 * @cancellable: (nullable): stops waiting
 * @callback: (scope async): called on the queue's context with the figures
 * @user_data: (closure): for @callback
 *
 * Reads the queue's backlog from its server, as `streaming-utils queue stats` prints it.
 */
SU_API void su_queue_stats_async(SuQueue *self, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data);

/**
 * su_queue_stats_finish:
 * @self: a #SuQueue
 * @result: the #GAsyncResult given to the callback
 * @error: %SU_ERROR_QUEUE_FAILED or %G_IO_ERROR_CANCELLED
 *
 * Completes su_queue_stats_async(): JSON text with `kind`, `queue` (its name), `length`, `waiting`,
 * `pending`, `lag` (the backlog autoscaling reads: waiting plus pending), `dead_letters` and
 * the consumers of the group.
 *
 * Returns: (transfer full): JSON text, or %NULL with @error set
 */
SU_API char *su_queue_stats_finish(SuQueue *self, GAsyncResult *result, GError **error);

G_END_DECLS
