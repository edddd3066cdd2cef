/* One broadcast, as an application watches it. */
#pragma once

#include <glib-object.h>

#include "su-version.h"

G_BEGIN_DECLS

#define SU_TYPE_BROADCAST (su_broadcast_get_type())
SU_API G_DECLARE_FINAL_TYPE(SuBroadcast, su_broadcast, SU, BROADCAST, GObject)

/**
 * SuBroadcast:
 *
 * A broadcast started by a #SuService: made by the service, never by the application, and kept
 * up to date on the service's main context. Its properties are read-only; connect to
 * `notify::state` to follow it.
 */

/**
 * SuBroadcast:id:
 *
 * The broadcast's id: the request's `broadcast_id`, or one the service chose.
 */

/**
 * SuBroadcast:state:
 *
 * `starting`, `running`, `retrying`, `stopping`, `stopped` or `failed`; notified on change.
 */

/**
 * SuBroadcast:source-kind:
 *
 * The request's `source_kind`; %NULL until the service knows the request.
 */

/**
 * SuBroadcast:mountpoint-id:
 *
 * The Janus Streaming mountpoint's id, 0 while it has none.
 */

/**
 * SuBroadcast:ports:
 *
 * The mountpoint's RTP ports by media id, a `a{sx}` #GVariant; %NULL while there is no
 * mountpoint.
 */

/**
 * SuBroadcast:error-message:
 *
 * Why the broadcast failed, %NULL if it has not.
 */

/**
 * SuBroadcast:health:
 *
 * The broadcast's entry of the latest health report, JSON text; %NULL until one included it.
 */

/**
 * su_broadcast_get_id:
 * @self: a #SuBroadcast
 *
 * Gets #SuBroadcast:id.
 *
 * Returns: (transfer none): the broadcast's id (the request's `broadcast_id`, or one the
 *   service chose)
 */
SU_API const char *su_broadcast_get_id(SuBroadcast *self);

/**
 * su_broadcast_get_state:
 * @self: a #SuBroadcast
 *
 * Gets #SuBroadcast:state.
 *
 * Returns: (transfer none): `starting`, `running`, `retrying`, `stopping`, `stopped` or
 *   `failed`
 */
SU_API const char *su_broadcast_get_state(SuBroadcast *self);

/**
 * su_broadcast_get_source_kind:
 * @self: a #SuBroadcast
 *
 * Gets #SuBroadcast:source-kind.
 *
 * Returns: (transfer none) (nullable): `videoroom`, `obs`, `rtmp_external`, `rtsp_camera`,
 *   `frontend_owned`, `test_pattern`...; %NULL until the service knows the request
 */
SU_API const char *su_broadcast_get_source_kind(SuBroadcast *self);

/**
 * su_broadcast_get_mountpoint_id:
 * @self: a #SuBroadcast
 *
 * Gets #SuBroadcast:mountpoint-id.
 *
 * Returns: the Janus Streaming mountpoint's id, 0 while it has none
 */
SU_API gint64 su_broadcast_get_mountpoint_id(SuBroadcast *self);

/**
 * su_broadcast_get_ports:
 * @self: a #SuBroadcast
 *
 * The mountpoint's RTP ports by media id (`mid`), as Janus listens on them.
 *
 * Returns: (transfer none) (nullable): a `a{sx}` dictionary, %NULL while there is no mountpoint
 */
SU_API GVariant *su_broadcast_get_ports(SuBroadcast *self);

/**
 * su_broadcast_get_error_message:
 * @self: a #SuBroadcast
 *
 * Gets #SuBroadcast:error-message.
 *
 * Returns: (transfer none) (nullable): why the broadcast failed, %NULL if it has not
 */
SU_API const char *su_broadcast_get_error_message(SuBroadcast *self);

/**
 * su_broadcast_get_health:
 * @self: a #SuBroadcast
 *
 * The broadcast's entry of the service's latest health report (su_service_health_async()), as
 * JSON text: state, Janus `age_ms` per media, relay statistics. Secrets are masked.
 *
 * Returns: (transfer none) (nullable): JSON text, %NULL until a report included the broadcast
 */
SU_API const char *su_broadcast_get_health(SuBroadcast *self);

/**
 * su_broadcast_to_json:
 * @self: a #SuBroadcast
 *
 * The broadcast's result document (the `BroadcastResult` the queues and `run` print), secrets
 * masked.
 *
 * Returns: (transfer full): JSON text
 */
SU_API char *su_broadcast_to_json(SuBroadcast *self);

G_END_DECLS
