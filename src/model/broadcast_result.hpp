// What a broadcast is: its request, its state, what it provisioned in Janus (normalized, with
// the raw replies kept), its relay, its health, and the error that stopped it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/broadcast_request.hpp"

namespace su::model {

struct RoomSection {
  std::int64_t roomId = 0;
  bool created = false;  // by this broadcast: only then may it destroy the room
  json::Value raw;       // the Janus reply

  friend bool operator==(const RoomSection&, const RoomSection&) = default;
};

struct MountPointPort {
  std::string mid;
  MediaType type = MediaType::Video;
  std::int64_t port = 0;
  std::optional<std::int64_t> rtcpPort;
  std::optional<std::int64_t> port2;
  std::optional<std::int64_t> port3;

  friend bool operator==(const MountPointPort&, const MountPointPort&) = default;
};

struct MountPointSection {
  std::int64_t id = 0;
  bool created = false;
  std::vector<MountPointPort> media;  // where Janus listens, per mid
  json::Value raw;

  friend bool operator==(const MountPointSection&, const MountPointSection&) = default;
};

struct Forwarder {
  std::string mid;  // the publisher's stream
  std::int64_t streamId = 0;
  std::string host;
  std::int64_t port = 0;

  friend bool operator==(const Forwarder&, const Forwarder&) = default;
};

struct ForwardSection {
  std::int64_t roomId = 0;
  std::int64_t publisherId = 0;
  std::vector<Forwarder> forwarders;
  json::Value raw;

  friend bool operator==(const ForwardSection&, const ForwardSection&) = default;
};

struct RelaySection {
  RelayKind kind = RelayKind::Gstreamer;
  RunState state = RunState::Starting;
  std::optional<std::string> input;  // what it reads (redacted when shown)
  std::int64_t restarts = 0;
  std::optional<std::string> lastError;

  friend bool operator==(const RelaySection&, const RelaySection&) = default;
};

struct SrsSection {
  std::string publishUrl;

  friend bool operator==(const SrsSection&, const SrsSection&) = default;
};

struct QueueSection {
  QueueKind kind = QueueKind::Memory;
  std::optional<std::string> jobId;
  std::optional<std::string> messageId;
  std::int64_t attempt = 0;

  friend bool operator==(const QueueSection&, const QueueSection&) = default;
};

struct MediaHealth {
  std::string mid;
  std::optional<std::int64_t> ageMs;  // Janus's age of the last packet
  bool fresh = false;                 // ageMs under the freshness threshold

  friend bool operator==(const MediaHealth&, const MediaHealth&) = default;
};

// One of the request's outputs (another Janus server): its mountpoint, and whether it is fed.
struct OutputSection {
  std::string janusUrl;  // as requested (redacted when shown)
  // running; retrying while its Janus is away or being restored (the others keep playing).
  RunState state = RunState::Starting;
  std::optional<MountPointSection> mountpoint;

  friend bool operator==(const OutputSection&, const OutputSection&) = default;
};

struct OutputHealth {
  std::string janusUrl;
  bool healthy = false;  // every media fresh on that Janus
  std::vector<MediaHealth> media;
  std::optional<std::string> janusError;

  friend bool operator==(const OutputHealth&, const OutputHealth&) = default;
};

struct BroadcastHealth {
  bool healthy = false;
  std::vector<MediaHealth> media;
  std::optional<RunState> relayState;
  std::optional<bool> obsStreaming;
  std::optional<bool> forwarding;  // videoroom, browser_webrtc: the publisher's forward is live
  std::optional<std::string> janusError;    // why Janus's view (media) is missing: unreachable...
  std::optional<std::int64_t> checkedAtMs;  // Unix time in milliseconds
  std::vector<OutputHealth> outputs;        // the request's outputs, in order

  GRef<JsonNode> toJson() const;
  friend bool operator==(const BroadcastHealth&, const BroadcastHealth&) = default;
};

struct ResultError {
  std::string domain;
  std::int64_t code = 0;
  std::string message;

  static ResultError from(const Error& error);
  friend bool operator==(const ResultError&, const ResultError&) = default;
};

struct BroadcastResult {
  BroadcastRequest request;
  std::string broadcastId;
  RunState state = RunState::Starting;
  std::optional<RoomSection> room;
  std::optional<MountPointSection> mountpoint;
  std::vector<OutputSection> outputs;  // the request's outputs, in order
  std::optional<ForwardSection> forward;
  std::optional<RelaySection> relay;
  std::optional<SrsSection> srs;
  std::optional<QueueSection> queue;
  std::optional<BroadcastHealth> health;
  std::optional<std::string> note;
  std::optional<ResultError> error;

  static Result<BroadcastResult> fromPayload(JsonNode* payload);
  static Result<BroadcastResult> fromPayload(std::string_view text);
  // Secrets of the request included: redact before showing it anywhere.
  GRef<JsonNode> toPayload() const;

  static BroadcastResult read(json::ObjectReader& reader);
  void validate(const std::string& path, json::Diagnostics& diagnostics) const;

  friend bool operator==(const BroadcastResult&, const BroadcastResult&) = default;
};

}  // namespace su::model
