#include "model/broadcast_request.hpp"

#include <algorithm>
#include <initializer_list>

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
}

void BroadcastRequest::validate(const std::string& path, json::Diagnostics& diagnostics) const {
  auto at = [&](std::string_view key) { return json::childPath(path, key); };
  const std::string kind(nameOf(sourceKind));
  auto requiredHere = [&](std::string_view key) {
    diagnostics.error(at(key), "required for source_kind " + kind);
  };
  auto ignoredHere = [&](std::string_view key) {
    diagnostics.warning(at(key), "ignored for source_kind " + kind);
  };

  // Relay kind.
  const RelayKind relay = effectiveRelayKind();
  const std::vector<RelayKind> allowed = allowedRelays(sourceKind);
  if (std::find(allowed.begin(), allowed.end(), relay) == allowed.end()) {
    std::string choices;
    for (RelayKind option : allowed) {
      choices += choices.empty() ? "" : " or ";
      choices += nameOf(option);
    }
    diagnostics.error(at("relay_kind"), "\"" + std::string(nameOf(relay)) +
                                            "\" does not fit source_kind " + kind + " (use " +
                                            choices + ")");
  }
  if (gstreamerPipeline) {
    if (relay != RelayKind::Gstreamer) {
      diagnostics.error(at("gstreamer_pipeline"), "only for relay_kind gstreamer");
    }
    checkNotEmpty(diagnostics, at("gstreamer_pipeline"), gstreamerPipeline);
  }

  // The mountpoint.
  if (mountpointSpec) {
    mountpointSpec->validate(at("mountpoint_spec"), diagnostics);
    if (sourceKind != SourceKind::FrontendOwned && mountpointSpec->type != MountPointType::Rtp) {
      diagnostics.error(json::childPath(at("mountpoint_spec"), "type"),
                        "source_kind " + kind + " needs an rtp mountpoint");
    }
    if (!createMountpoint) {
      for (std::size_t i = 0; i < mountpointSpec->media.size(); ++i) {
        if (!mountpointSpec->media[i].port) {
          diagnostics.error(
              json::childPath(json::indexPath(json::childPath(at("mountpoint_spec"), "media"), i),
                              "port"),
              "required when create_mountpoint is false");
        }
      }
    }
  } else if (sourceKind != SourceKind::FrontendOwned) {
    requiredHere("mountpoint_spec");
  }

  // The VideoRoom side.
  const bool usesRoom = isOneOf(sourceKind, {SourceKind::VideoRoom, SourceKind::BrowserWebrtc});
  if (usesRoom) {
    if (!roomId) requiredHere("room_id");
    checkId(diagnostics, at("room_id"), roomId);
    checkId(diagnostics, at("publisher_id"), publisherId);
    checkNotEmpty(diagnostics, at("publisher_display"), publisherDisplay);
    if (sourceKind == SourceKind::VideoRoom) {
      if (!publisherId) requiredHere("publisher_id");
      if (publisherDisplay) ignoredHere("publisher_display");
    } else if (!publisherId && !publisherDisplay) {
      diagnostics.error(at("publisher_id"),
                        "required for source_kind browser_webrtc (or give publisher_display)");
    } else if (publisherId && publisherDisplay) {
      diagnostics.error(at("publisher_display"),
                        "give publisher_id or publisher_display, not both");
    }
    if (roomSpec) {
      roomSpec->validate(at("room_spec"), diagnostics);
      if (roomId && roomSpec->room && *roomSpec->room != *roomId) {
        diagnostics.error(json::childPath(at("room_spec"), "room"),
                          "differs from room_id (" + std::to_string(*roomId) + ")");
      }
    }
  } else {
    if (roomId) ignoredHere("room_id");
    if (publisherId) ignoredHere("publisher_id");
    if (publisherDisplay) ignoredHere("publisher_display");
    if (roomSpec) ignoredHere("room_spec");
  }

  // Sources a relay reads.
  if (isOneOf(sourceKind, {SourceKind::Obs, SourceKind::RtmpExternal})) {
    if (srs) {
      srs->validate(at("srs"), diagnostics);
    } else {
      requiredHere("srs");
    }
  } else if (srs) {
    ignoredHere("srs");
  }
  if (sourceKind == SourceKind::RtspCamera) {
    if (rtspCamera) {
      rtspCamera->validate(at("rtsp_camera"), diagnostics);
    } else {
      requiredHere("rtsp_camera");
    }
  } else if (rtspCamera) {
    ignoredHere("rtsp_camera");
  }
  if (sourceKind == SourceKind::Uri) {
    if (inputUrl) {
      checkAnyUrl(diagnostics, at("input_url"), *inputUrl);
    } else {
      requiredHere("input_url");
    }
  } else if (inputUrl) {
    ignoredHere("input_url");
  }

  // OBS control.
  if (sourceKind == SourceKind::Obs) {
    checkHost(diagnostics, at("obs_host"), obsHost);
    checkPort(diagnostics, at("obs_port"), obsPort);
    checkNotEmpty(diagnostics, at("obs_password"), obsPassword);
  } else {
    const BroadcastRequest defaults;
    if (obsHost != defaults.obsHost) ignoredHere("obs_host");
    if (obsPort != defaults.obsPort) ignoredHere("obs_port");
    if (obsPassword) ignoredHere("obs_password");
    if (obsSecure != defaults.obsSecure) ignoredHere("obs_secure");
  }

  checkHost(diagnostics, at("host"), host);
  if (broadcastId && !isValidBroadcastId(*broadcastId)) {
    diagnostics.error(at("broadcast_id"),
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
  out.set("input_url", inputUrl).set("gstreamer_pipeline", gstreamerPipeline);
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
