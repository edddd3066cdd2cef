// What a caller asks for: one broadcast from a source into a Janus Streaming mountpoint.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "json/diagnostics.hpp"
#include "model/mountpoint.hpp"
#include "model/room.hpp"
#include "model/rtsp_camera.hpp"
#include "model/srs_ingest.hpp"

namespace su::model {

// Another Janus server fed by the same relay (Janus does not cluster: more viewers means the same
// stream in mountpoints on several servers). Its mountpoint is created by the broadcast, and
// provisioned, supervised, restored and cleaned up on its own.
struct BroadcastOutput {
  std::string janusUrl;                      // ws:// or wss://
  std::optional<std::string> apiSecret;      // that server's `apisecret`, if it requires one
  std::optional<std::string> host;           // where it receives RTP; absent: janus_url's host
  std::optional<MountPoint> mountpointSpec;  // absent: the broadcast's mountpoint_spec

  static BroadcastOutput read(json::ObjectReader& reader);
  GRef<JsonNode> toJson() const;
  // Where RTP for it goes: host, else janus_url's host.
  std::string rtpHost() const;

  friend bool operator==(const BroadcastOutput&, const BroadcastOutput&) = default;
};

inline constexpr std::size_t kMaxOutputs = 8;

struct BroadcastRequest {
  SourceKind sourceKind = SourceKind::VideoRoom;
  // Absent: none for sources Janus or the browser carry, gstreamer for the others.
  std::optional<RelayKind> relayKind;
  std::optional<std::int64_t> roomId;
  std::optional<std::int64_t> publisherId;
  std::optional<std::string> publisherDisplay;  // browser_webrtc: find the publisher by name
  bool createMountpoint = true;
  // Whether the broadcast may destroy what it created when it stops. Only resources it created
  // itself are ever destroyed.
  bool ownedByApp = true;
  std::string host = "127.0.0.1";  // where Janus receives RTP (forward and relay destination)
  std::optional<MountPoint> mountpointSpec;
  std::optional<std::string> inputUrl;           // uri
  std::optional<std::string> gstreamerPipeline;  // a custom source for relay_kind gstreamer
  // More Janus servers the relay feeds besides the node's own (relayed sources only).
  std::vector<BroadcastOutput> outputs;
  // The relay restarts after media stopped for this long (absent: the node's default, 5 s).
  std::optional<std::int64_t> stallTimeoutMs;
  std::optional<SrsIngestSpec> srs;            // obs, rtmp_external
  std::optional<RoomSpec> roomSpec;            // videoroom, browser_webrtc: ensure this room
  std::optional<RtspCameraConfig> rtspCamera;  // rtsp_camera
  std::string obsHost = "127.0.0.1";
  std::int64_t obsPort = 4455;
  std::optional<std::string> obsPassword;
  bool obsSecure = false;  // never taken from the environment
  std::optional<std::string> description;
  std::optional<std::string> broadcastId;  // caller-chosen idempotency key
  std::optional<QueueKind> queueKind;

  // Reads, normalizes and validates a payload; every problem is in the error's fields.
  // Warnings (a deprecated name, a field the source kind ignores) go to `warnings` if given,
  // and to the log.
  static Result<BroadcastRequest> fromPayload(JsonNode* payload,
                                              std::vector<FieldError>* warnings = nullptr);
  static Result<BroadcastRequest> fromPayload(std::string_view text,
                                              std::vector<FieldError>* warnings = nullptr);
  // The payload, secrets included: redact before showing it anywhere.
  GRef<JsonNode> toPayload() const;

  static BroadcastRequest read(json::ObjectReader& reader);
  // Fills defaults that depend on other fields (relay kind, room, media mids and payload types).
  void normalize();
  void validate(const std::string& path, json::Diagnostics& diagnostics) const;
  // The relay kind after normalize().
  RelayKind effectiveRelayKind() const;

  friend bool operator==(const BroadcastRequest&, const BroadcastRequest&) = default;
};

}  // namespace su::model
