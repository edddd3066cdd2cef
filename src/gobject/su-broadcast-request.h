/* A broadcast request built by an application, field by field or from JSON. */
#pragma once

#include <glib-object.h>

#include "su-version.h"

G_BEGIN_DECLS

#define SU_TYPE_BROADCAST_REQUEST (su_broadcast_request_get_type())
SU_API G_DECLARE_FINAL_TYPE(SuBroadcastRequest, su_broadcast_request, SU, BROADCAST_REQUEST,
                            GObject)

/**
 * SuBroadcastRequest:
 *
 * What su_service_start_request_async() starts: the JSON document of the command line and the
 * queues (README, "Requests"), with its common fields as properties. A property set to %NULL
 * (or 0, for numbers) leaves its field out, so the service's default applies.
 *
 * Fields without a property (an RTSP camera, a room spec, more outputs...) come in with
 * su_broadcast_request_new_from_json(); properties set afterwards override the document's.
 * Validation is the service's own, with every problem listed by field.
 */

/**
 * SuBroadcastRequest:source-kind:
 *
 * `source_kind`: where the media comes from (`test_pattern`, `rtmp_external`, `rtsp_camera`,
 * `uri`, `videoroom`, `browser_webrtc`, `obs`, `frontend_owned`).
 */

/**
 * SuBroadcastRequest:broadcast-id:
 *
 * `broadcast_id`: the caller's id for the broadcast, which makes starting it idempotent;
 * %NULL lets the service choose one.
 */

/**
 * SuBroadcastRequest:relay-kind:
 *
 * `relay_kind`: `gstreamer`, `ffmpeg` or `none`; %NULL for the source kind's default.
 */

/**
 * SuBroadcastRequest:input-url:
 *
 * `input_url`: what the relay reads (`rtmp://`, `rtsp://`, `http://`, `srt://`, a file...).
 */

/**
 * SuBroadcastRequest:description:
 *
 * `description`: the broadcast's description (also the mountpoint's, unless it has one).
 */

/**
 * SuBroadcastRequest:host:
 *
 * `host`: where Janus receives RTP; %NULL for 127.0.0.1.
 */

/**
 * SuBroadcastRequest:room-id:
 *
 * `room_id`: the VideoRoom of a `videoroom` or `browser_webrtc` source; 0 for none.
 */

/**
 * SuBroadcastRequest:publisher-id:
 *
 * `publisher_id`: the publisher in that room whose media is forwarded; 0 for none.
 */

/**
 * SuBroadcastRequest:mountpoint-id:
 *
 * `mountpoint_spec.id`: the Streaming mountpoint's id; 0 lets Janus choose one.
 */

/**
 * SuBroadcastRequest:stall-timeout-ms:
 *
 * `stall_timeout_ms`: the relay restarts after its media stopped for this long; 0 for the
 * service's default (5 s).
 */

/**
 * su_broadcast_request_new:
 * @source_kind: `test_pattern`, `rtmp_external`, `rtsp_camera`, `uri`, `videoroom`, `obs`...
 *
 * An empty request for @source_kind: set its properties and media next.
 *
 * Returns: (transfer full): a new #SuBroadcastRequest
 */
SU_API SuBroadcastRequest *su_broadcast_request_new(const char *source_kind);

/**
 * su_broadcast_request_new_from_json:
 * @json: a broadcast request as JSON text
 * @error: %SU_ERROR_INVALID_REQUEST listing every problem, with its field
 *
 * A request from its JSON document, validated.
 *
 * Returns: (transfer full): a new #SuBroadcastRequest, or %NULL with @error set
 */
SU_API SuBroadcastRequest *su_broadcast_request_new_from_json(const char *json, GError **error);

/**
 * su_broadcast_request_add_media:
 * @self: a #SuBroadcastRequest
 * @type: `audio`, `video` or `data`
 * @codec: (nullable): `opus`, `h264`, `vp8`...; %NULL for `data`
 *
 * Adds a stream to the mountpoint the broadcast creates, in order (its `mid` and payload type
 * are chosen when the request is validated).
 */
SU_API void su_broadcast_request_add_media(SuBroadcastRequest *self, const char *type,
                                           const char *codec);

/**
 * su_broadcast_request_validate:
 * @self: a #SuBroadcastRequest
 * @error: %SU_ERROR_INVALID_REQUEST listing every problem, with its field
 *
 * Checks the request as su_service_start_request_async() will, without starting anything.
 *
 * Returns: %TRUE if the request is valid
 */
SU_API gboolean su_broadcast_request_validate(SuBroadcastRequest *self, GError **error);

/**
 * su_broadcast_request_to_json:
 * @self: a #SuBroadcastRequest
 *
 * The request's JSON document, as set (not normalized). It carries the secrets set in it: keep it
 * out of logs.
 *
 * Returns: (transfer full): JSON text
 */
SU_API char *su_broadcast_request_to_json(SuBroadcastRequest *self);

G_END_DECLS
