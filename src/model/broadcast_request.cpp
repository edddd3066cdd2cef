#include "model/broadcast_request.hpp"

#include <algorithm>
#include <initializer_list>

#include "core/uri.hpp"
#include "json/writer.hpp"
#include "model/decode.hpp"
#include "model/rules.hpp"

namespace su::model {

namespace {

constexpr std::string_view kWhat = "broadcast request";

bool isOneOf(SourceKind kind, std::initializer_list<SourceKind> kinds) {
  return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

// Janus itself (rtp_forward) or the browser carries these; nothing is relayed.
bool isCarriedWithoutRelay(SourceKind kind) {
  return isOneOf(kind,
                 {SourceKind::VideoRoom, SourceKind::BrowserWebrtc, SourceKind::FrontendOwned});
}

std::vector<RelayKind> allowedRelays(SourceKind kind) {
  if (isCarriedWithoutRelay(kind)) return {RelayKind::None};
  // ffmpeg needs an input URL; a generated pattern has none.
  if (kind == SourceKind::TestPattern) return {RelayKind::Gstreamer};
  return {RelayKind::Gstreamer, RelayKind::Ffmpeg};
}

bool isValidBroadcastId(std::string_view id) {
  if (id.empty() || id.size() > 64 || !g_ascii_isalnum(id.front())) return false;
  return std::all_of(id.begin(), id.end(),
                     [](char c) { return g_ascii_isalnum(c) || c == '.' || c == '_' || c == '-'; });
}

}  // namespace

BroadcastOutput BroadcastOutput::read(json::ObjectReader& reader) {
  BroadcastOutput output;
  output.janusUrl = required(reader, "janus_url", reader.string("janus_url"));
  output.apiSecret = reader.string("api_secret");
  output.host = reader.string("host");
  if (auto spec = reader.object("mountpoint_spec")) output.mountpointSpec = MountPoint::read(*spec);
  reader.rejectUnknownFields();
  return output;
}

GRef<JsonNode> BroadcastOutput::toJson() const {
  json::ObjectWriter out;
  out.set("janus_url", janusUrl).set("api_secret", apiSecret).set("host", host);
  if (mountpointSpec) out.set("mountpoint_spec", mountpointSpec->toJson());
  return out.node();
}

std::string BroadcastOutput::rtpHost() const {
  if (host) return *host;
  const auto parts = uri::split(janusUrl);
  return parts ? parts->host : std::string();
}

Result<BroadcastRequest> BroadcastRequest::fromPayload(JsonNode* payload,
                                                       std::vector<FieldError>* warnings) {
  return decode<BroadcastRequest>(payload, kWhat, warnings);
}

Result<BroadcastRequest> BroadcastRequest::fromPayload(std::string_view text,
                                                       std::vector<FieldError>* warnings) {
  return decodeText<BroadcastRequest>(text, kWhat, warnings);
}

BroadcastRequest BroadcastRequest::read(json::ObjectReader& reader) {
  BroadcastRequest request;
  if (const auto kind = reader.string("source_kind")) {
    if (*kind == "external") {
      request.sourceKind = SourceKind::RtmpExternal;
      reader.diagnostics().warning(reader.pathOf("source_kind"),
                                   "\"external\" is deprecated, use \"rtmp_external\"");
    } else if (auto known = enumFromName<SourceKind>(*kind)) {
      request.sourceKind = *known;
    } else {
      reader.error("source_kind", "unknown value " + quoted(*kind) +
                                      " (expected one of: " + enumNameList<SourceKind>() + ")");
    }
  } else if (!reader.has("source_kind")) {
    reader.error("source_kind", "required (one of: " + enumNameList<SourceKind>() + ")");
  }
  request.relayKind = readEnum<RelayKind>(reader, "relay_kind");
  request.roomId = reader.integer("room_id");
  request.publisherId = reader.integer("publisher_id");
  request.publisherDisplay = reader.string("publisher_display");
  request.createMountpoint = reader.boolean("create_mountpoint").value_or(true);
  request.ownedByApp = reader.boolean("owned_by_app").value_or(true);
  request.host = reader.string("host").value_or(request.host);
  if (auto spec = reader.object("mountpoint_spec"))
    request.mountpointSpec = MountPoint::read(*spec);
  request.inputUrl = reader.string("input_url");
  request.gstreamerPipeline = reader.string("gstreamer_pipeline");
  if (auto outputs = reader.objects("outputs")) {
    for (json::ObjectReader& output : *outputs)
      request.outputs.push_back(BroadcastOutput::read(output));
  }
  request.stallTimeoutMs = reader.integer("stall_timeout_ms");
  if (auto srs = reader.object("srs")) request.srs = SrsIngestSpec::read(*srs);
  if (auto room = reader.object("room_spec")) request.roomSpec = RoomSpec::read(*room);
  if (auto camera = reader.object("rtsp_camera")) {
    request.rtspCamera = RtspCameraConfig::read(*camera);
  }
  request.obsHost = reader.string("obs_host").value_or(request.obsHost);
  request.obsPort = reader.integer("obs_port").value_or(request.obsPort);
  request.obsPassword = reader.string("obs_password");
  request.obsSecure = reader.boolean("obs_secure").value_or(false);
  request.description = reader.string("description");
  request.broadcastId = reader.string("broadcast_id");
  request.queueKind = readEnum<QueueKind>(reader, "queue_kind");
  reader.rejectUnknownFields();
  return request;
}

RelayKind BroadcastRequest::effectiveRelayKind() const {
  if (relayKind) return *relayKind;
  return isCarriedWithoutRelay(sourceKind) ? RelayKind::None : RelayKind::Gstreamer;
}

void BroadcastRequest::normalize() {
  relayKind = effectiveRelayKind();
  if (mountpointSpec) mountpointSpec->normalize();
  if (roomSpec && !roomSpec->room) roomSpec->room = roomId;
  for (BroadcastOutput& output : outputs) {
    if (!output.mountpointSpec) output.mountpointSpec = mountpointSpec;
    if (output.mountpointSpec) output.mountpointSpec->normalize();
  }
}

namespace {

// Where a request's problems go, with the rules every part of it shares.
struct RequestRules {
  const BroadcastRequest& request;
  json::Diagnostics& diagnostics;
  std::string path;
  std::string kind;  // the source kind's name, for messages

  std::string at(std::string_view key) const { return json::childPath(path, key); }
  std::string at(std::string_view key, std::string_view child) const {
    return json::childPath(at(key), child);
  }
  void required(std::string_view key) const {
    diagnostics.error(at(key), "required for source_kind " + kind);
  }
  void ignored(std::string_view key) const {
    diagnostics.warning(at(key), "ignored for source_kind " + kind);
  }
  // A part only some source kinds use: checked where used (and then required), warned about
  // where it would be ignored.
  template <typename Part, typename Check>
  void part(bool usedHere, const std::optional<Part>& value, std::string_view key,
            Check check) const {
    if (!usedHere) {
      if (value) ignored(key);
    } else if (value) {
      check(*value, at(key));
    } else {
      required(key);
    }
  }
};

void checkRelay(const RequestRules& rules) {
  const BroadcastRequest& request = rules.request;
  const RelayKind relay = request.effectiveRelayKind();
  const std::vector<RelayKind> allowed = allowedRelays(request.sourceKind);
  if (std::find(allowed.begin(), allowed.end(), relay) == allowed.end()) {
    std::string choices;
    for (RelayKind option : allowed) {
      choices += choices.empty() ? "" : " or ";
      choices += nameOf(option);
    }
    rules.diagnostics.error(rules.at("relay_kind"), "\"" + std::string(nameOf(relay)) +
                                                        "\" does not fit source_kind " +
                                                        rules.kind + " (use " + choices + ")");
  }
  if (request.gstreamerPipeline && relay != RelayKind::Gstreamer) {
    rules.diagnostics.error(rules.at("gstreamer_pipeline"), "only for relay_kind gstreamer");
  }
  checkNotEmpty(rules.diagnostics, rules.at("gstreamer_pipeline"), request.gstreamerPipeline);
  if (request.stallTimeoutMs) {
    if (relay == RelayKind::None) {
      rules.diagnostics.warning(rules.at("stall_timeout_ms"), "ignored without a relay");
    } else if (*request.stallTimeoutMs < 500 || *request.stallTimeoutMs > 600000) {
      rules.diagnostics.error(rules.at("stall_timeout_ms"), "must be from 500 to 600000 ms");
    }
  }
}

void checkMountPoint(const RequestRules& rules) {
  const BroadcastRequest& request = rules.request;
  const bool needsRtp = request.sourceKind != SourceKind::FrontendOwned;
  if (!request.mountpointSpec) {
    if (needsRtp) rules.required("mountpoint_spec");
    return;
  }
  const MountPoint& spec = *request.mountpointSpec;
  spec.validate(rules.at("mountpoint_spec"), rules.diagnostics);
  if (needsRtp && spec.type != MountPointType::Rtp) {
    rules.diagnostics.error(rules.at("mountpoint_spec", "type"),
                            "source_kind " + rules.kind + " needs an rtp mountpoint");
  }
  if (request.createMountpoint) return;
  // An existing mountpoint: where its media listen must be known.
  for (std::size_t i = 0; i < spec.media.size(); ++i) {
    if (!spec.media[i].port) {
      rules.diagnostics.error(
          json::childPath(json::indexPath(rules.at("mountpoint_spec", "media"), i), "port"),
          "required when create_mountpoint is false");
    }
  }
}

// Outputs to more Janus servers: relayed sources only (a room's publisher is forwarded by its
// own Janus; a browser publishes to one).
void checkOutputs(const RequestRules& rules) {
  const BroadcastRequest& request = rules.request;
  if (request.outputs.empty()) return;
  if (request.effectiveRelayKind() == RelayKind::None) {
    rules.diagnostics.error(rules.at("outputs"), "only for relayed sources (source_kind " +
                                                     rules.kind + " relays nothing)");
    return;
  }
  if (request.outputs.size() > kMaxOutputs) {
    rules.diagnostics.error(rules.at("outputs"),
                            "at most " + std::to_string(kMaxOutputs) + " outputs");
  }
  for (std::size_t i = 0; i < request.outputs.size(); ++i) {
    const BroadcastOutput& output = request.outputs[i];
    const std::string path = json::indexPath(rules.at("outputs"), i);
    checkUrl(rules.diagnostics, json::childPath(path, "janus_url"), output.janusUrl, {"ws", "wss"});
    checkNotEmpty(rules.diagnostics, json::childPath(path, "api_secret"), output.apiSecret);
    if (output.host) checkHost(rules.diagnostics, json::childPath(path, "host"), *output.host);
    const std::string specPath = json::childPath(path, "mountpoint_spec");
    if (!output.mountpointSpec) {
      rules.diagnostics.error(specPath, "required when the broadcast has no mountpoint_spec");
      continue;
    }
    output.mountpointSpec->validate(specPath, rules.diagnostics);
    if (output.mountpointSpec->type != MountPointType::Rtp) {
      rules.diagnostics.error(json::childPath(specPath, "type"),
                              "an output needs an rtp mountpoint");
    }
  }
}

void checkRoomSide(const RequestRules& rules) {
  const BroadcastRequest& request = rules.request;
  if (!isOneOf(request.sourceKind, {SourceKind::VideoRoom, SourceKind::BrowserWebrtc})) {
    if (request.roomId) rules.ignored("room_id");
    if (request.publisherId) rules.ignored("publisher_id");
    if (request.publisherDisplay) rules.ignored("publisher_display");
    if (request.roomSpec) rules.ignored("room_spec");
    return;
  }
  if (!request.roomId) rules.required("room_id");
  checkId(rules.diagnostics, rules.at("room_id"), request.roomId);
  checkId(rules.diagnostics, rules.at("publisher_id"), request.publisherId);
  checkNotEmpty(rules.diagnostics, rules.at("publisher_display"), request.publisherDisplay);
  if (request.sourceKind == SourceKind::VideoRoom) {
    if (!request.publisherId) rules.required("publisher_id");
    if (request.publisherDisplay) rules.ignored("publisher_display");
  } else if (!request.publisherId && !request.publisherDisplay) {
    rules.diagnostics.error(rules.at("publisher_id"),
                            "required for source_kind browser_webrtc (or give publisher_display)");
  } else if (request.publisherId && request.publisherDisplay) {
    rules.diagnostics.error(rules.at("publisher_display"),
                            "give publisher_id or publisher_display, not both");
  }
  if (request.roomSpec) {
    request.roomSpec->validate(rules.at("room_spec"), rules.diagnostics);
    if (request.roomId && request.roomSpec->room && *request.roomSpec->room != *request.roomId) {
      rules.diagnostics.error(rules.at("room_spec", "room"),
                              "differs from room_id (" + std::to_string(*request.roomId) + ")");
    }
  }
}

void checkSourceParts(const RequestRules& rules) {
  const BroadcastRequest& request = rules.request;
  json::Diagnostics& diagnostics = rules.diagnostics;
  const SourceKind kind = request.sourceKind;
  rules.part(
      isOneOf(kind, {SourceKind::Obs, SourceKind::RtmpExternal}), request.srs, "srs",
      [&](const SrsIngestSpec& srs, const std::string& path) { srs.validate(path, diagnostics); });
  rules.part(kind == SourceKind::RtspCamera, request.rtspCamera, "rtsp_camera",
             [&](const RtspCameraConfig& camera, const std::string& path) {
               camera.validate(path, diagnostics);
             });
  rules.part(kind == SourceKind::Uri, request.inputUrl, "input_url",
             [&](const std::string& url, const std::string& path) {
               checkAnyUrl(diagnostics, path, url);
             });
}

void checkObs(const RequestRules& rules) {
  const BroadcastRequest& request = rules.request;
  if (request.sourceKind == SourceKind::Obs) {
    checkHost(rules.diagnostics, rules.at("obs_host"), request.obsHost);
    checkPort(rules.diagnostics, rules.at("obs_port"), request.obsPort);
    checkNotEmpty(rules.diagnostics, rules.at("obs_password"), request.obsPassword);
    return;
  }
  const BroadcastRequest defaults;
  if (request.obsHost != defaults.obsHost) rules.ignored("obs_host");
  if (request.obsPort != defaults.obsPort) rules.ignored("obs_port");
  if (request.obsPassword) rules.ignored("obs_password");
  if (request.obsSecure != defaults.obsSecure) rules.ignored("obs_secure");
}

}  // namespace

void BroadcastRequest::validate(const std::string& path, json::Diagnostics& diagnostics) const {
  const RequestRules rules{*this, diagnostics, path, std::string(nameOf(sourceKind))};
  checkRelay(rules);
  checkMountPoint(rules);
  checkOutputs(rules);
  checkRoomSide(rules);
  checkSourceParts(rules);
  checkObs(rules);
  checkHost(diagnostics, rules.at("host"), host);
  if (broadcastId && !isValidBroadcastId(*broadcastId)) {
    diagnostics.error(rules.at("broadcast_id"),
                      "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or "
                      "digit");
  }
}

GRef<JsonNode> BroadcastRequest::toPayload() const {
  json::ObjectWriter out;
  out.set("source_kind", nameOf(sourceKind)).set("relay_kind", nameOf(effectiveRelayKind()));
  out.set("room_id", roomId)
      .set("publisher_id", publisherId)
      .set("publisher_display", publisherDisplay)
      .set("create_mountpoint", createMountpoint)
      .set("owned_by_app", ownedByApp)
      .set("host", host);
  if (mountpointSpec) out.set("mountpoint_spec", mountpointSpec->toJson());
  out.set("input_url", inputUrl)
      .set("gstreamer_pipeline", gstreamerPipeline)
      .set("stall_timeout_ms", stallTimeoutMs);
  if (!outputs.empty()) {
    std::vector<GRef<JsonNode>> list;
    for (const BroadcastOutput& output : outputs)
      list.push_back(output.toJson());
    out.set("outputs", json::arrayOf(list));
  }
  if (srs) out.set("srs", srs->toJson());
  if (roomSpec) out.set("room_spec", roomSpec->toJson());
  if (rtspCamera) out.set("rtsp_camera", rtspCamera->toJson());
  out.set("obs_host", obsHost)
      .set("obs_port", obsPort)
      .set("obs_password", obsPassword)
      .set("obs_secure", obsSecure)
      .set("description", description)
      .set("broadcast_id", broadcastId);
  if (queueKind) out.set("queue_kind", nameOf(*queueKind));
  return out.node();
}

}  // namespace su::model
