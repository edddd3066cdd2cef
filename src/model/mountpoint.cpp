#include "model/mountpoint.hpp"

#include <algorithm>
#include <map>

#include "json/writer.hpp"
#include "model/janus_mapping.hpp"
#include "model/rules.hpp"

namespace su::model {

void checkExtraKeys(json::Diagnostics& diagnostics, const std::string& path,
                    const json::Value& extra, std::span<const std::string_view> modelledKeys) {
  JsonObject* members = extra.object();
  if (!members) return;
  for (std::string_view key : modelledKeys) {
    if (json_object_has_member(members, std::string(key).c_str())) {
      diagnostics.error(json::childPath(json::childPath(path, "extra"), key),
                        "is a modelled field: set it on the model, not in extra");
    }
  }
}

MountPoint MountPoint::read(json::ObjectReader& reader) {
  MountPoint mountpoint;
  mountpoint.type = readEnum<MountPointType>(reader, "type").value_or(MountPointType::Rtp);
  mountpoint.id = reader.integer("id");
  mountpoint.name = reader.string("name");
  mountpoint.description = reader.string("description");
  mountpoint.metadata = reader.string("metadata");
  mountpoint.secret = reader.string("secret");
  mountpoint.pin = reader.string("pin");
  mountpoint.isPrivate = reader.boolean("is_private");
  mountpoint.permanent = reader.boolean("permanent");
  mountpoint.adminKey = reader.string("admin_key");
  if (auto media = reader.objects("media")) {
    for (json::ObjectReader& item : *media)
      mountpoint.media.push_back(MediaTrack::read(item));
  }
  mountpoint.filename = reader.string("filename");
  mountpoint.audio = reader.boolean("audio");
  mountpoint.video = reader.boolean("video");
  mountpoint.url = reader.string("url");
  mountpoint.rtspUser = reader.string("rtsp_user");
  mountpoint.rtspPassword = reader.string("rtsp_pwd");
  mountpoint.rtspInterface = reader.string({"rtsp_iface", "rtspiface"});
  mountpoint.rtspQuirk = reader.boolean("rtsp_quirk");
  mountpoint.rtspFailcheck = reader.boolean("rtsp_failcheck");
  mountpoint.rtspReconnectDelay = reader.integer("rtsp_reconnect_delay");
  mountpoint.rtspSessionTimeout = reader.integer("rtsp_session_timeout");
  mountpoint.rtspTimeout = reader.integer("rtsp_timeout");
  mountpoint.rtspConnTimeout = reader.integer("rtsp_conn_timeout");
  if (reader.object("extra")) mountpoint.extra = reader.any("extra");
  reader.rejectUnknownFields();
  return mountpoint;
}

void MountPoint::normalize() {
  for (std::size_t i = 0; i < media.size(); ++i)
    media[i].normalize(i);
}

namespace {

void checkUniqueMediaFields(const std::vector<MediaTrack>& media, const std::string& path,
                            json::Diagnostics& diagnostics) {
  std::map<std::string, std::string> mids;  // mid -> path of its first use
  std::map<std::int64_t, std::string> ports;
  auto claimPort = [&](const std::optional<std::int64_t>& port, const std::string& portPath) {
    if (!port) return;
    auto [it, inserted] = ports.emplace(*port, portPath);
    if (!inserted) {
      diagnostics.error(portPath,
                        "port " + std::to_string(*port) + " is already used by " + it->second);
    }
  };
  for (std::size_t i = 0; i < media.size(); ++i) {
    const MediaTrack& track = media[i];
    const std::string trackPath = json::indexPath(json::childPath(path, "media"), i);
    if (track.mid) {
      const std::string midPath = json::childPath(trackPath, "mid");
      auto [it, inserted] = mids.emplace(*track.mid, midPath);
      if (!inserted) {
        diagnostics.error(midPath,
                          "duplicate mid " + quoted(*track.mid) + " (also " + it->second + ")");
      }
    }
    claimPort(track.port, json::childPath(trackPath, "port"));
    claimPort(track.rtcpPort, json::childPath(trackPath, "rtcp_port"));
    claimPort(track.port2, json::childPath(trackPath, "port2"));
    claimPort(track.port3, json::childPath(trackPath, "port3"));
  }
}

}  // namespace

void MountPoint::validate(const std::string& path, json::Diagnostics& diagnostics) const {
  auto at = [&](std::string_view key) { return json::childPath(path, key); };
  checkId(diagnostics, at("id"), id);
  checkNotEmpty(diagnostics, at("name"), name);
  checkNotEmpty(diagnostics, at("secret"), secret);
  checkNotEmpty(diagnostics, at("pin"), pin);
  checkNotEmpty(diagnostics, at("admin_key"), adminKey);
  checkExtraKeys(diagnostics, path, extra, streamingCreateKeys());

  const bool isRtp = type == MountPointType::Rtp;
  const bool isFile = type == MountPointType::Live || type == MountPointType::OnDemand;
  const bool isRtsp = type == MountPointType::Rtsp;

  if (isRtp) {
    if (media.empty()) {
      diagnostics.error(at("media"), "must list at least one media for type rtp");
    }
    for (std::size_t i = 0; i < media.size(); ++i) {
      media[i].validate(json::indexPath(at("media"), i), diagnostics);
    }
    checkUniqueMediaFields(media, path, diagnostics);
    checkAbsent(diagnostics, at("audio"), audio, "types live, ondemand and rtsp");
    checkAbsent(diagnostics, at("video"), video, "types live, ondemand and rtsp");
  } else if (!media.empty()) {
    diagnostics.error(at("media"), "only for type rtp");
  }

  if (isFile) {
    if (!filename)
      diagnostics.error(at("filename"), "required for type " + std::string(nameOf(type)));
    checkNotEmpty(diagnostics, at("filename"), filename);
  } else {
    checkAbsent(diagnostics, at("filename"), filename, "types live and ondemand");
  }

  if (isRtsp) {
    if (!url) {
      diagnostics.error(at("url"), "required for type rtsp");
    } else {
      checkUrl(diagnostics, at("url"), *url, {"rtsp", "rtsps"});
    }
    checkNotEmpty(diagnostics, at("rtsp_iface"), rtspInterface);
    checkRange(diagnostics, at("rtsp_reconnect_delay"), rtspReconnectDelay, 0, 3600);
    checkRange(diagnostics, at("rtsp_session_timeout"), rtspSessionTimeout, 0, 3600);
    checkRange(diagnostics, at("rtsp_timeout"), rtspTimeout, 0, 3600);
    checkRange(diagnostics, at("rtsp_conn_timeout"), rtspConnTimeout, 0, 3600);
    return;
  }
  constexpr std::string_view kRtspOnly = "type rtsp";
  checkAbsent(diagnostics, at("url"), url, kRtspOnly);
  checkAbsent(diagnostics, at("rtsp_user"), rtspUser, kRtspOnly);
  checkAbsent(diagnostics, at("rtsp_pwd"), rtspPassword, kRtspOnly);
  checkAbsent(diagnostics, at("rtsp_iface"), rtspInterface, kRtspOnly);
  checkAbsent(diagnostics, at("rtsp_quirk"), rtspQuirk, kRtspOnly);
  checkAbsent(diagnostics, at("rtsp_failcheck"), rtspFailcheck, kRtspOnly);
  checkAbsent(diagnostics, at("rtsp_reconnect_delay"), rtspReconnectDelay, kRtspOnly);
  checkAbsent(diagnostics, at("rtsp_session_timeout"), rtspSessionTimeout, kRtspOnly);
  checkAbsent(diagnostics, at("rtsp_timeout"), rtspTimeout, kRtspOnly);
  checkAbsent(diagnostics, at("rtsp_conn_timeout"), rtspConnTimeout, kRtspOnly);
}

GRef<JsonNode> MountPoint::toJson() const {
  json::ObjectWriter out;
  out.set("type", nameOf(type))
      .set("id", id)
      .set("name", name)
      .set("description", description)
      .set("metadata", metadata)
      .set("secret", secret)
      .set("pin", pin)
      .set("is_private", isPrivate)
      .set("permanent", permanent)
      .set("admin_key", adminKey);
  if (!media.empty()) {
    std::vector<GRef<JsonNode>> tracks;
    for (const MediaTrack& track : media)
      tracks.push_back(track.toJson());
    out.set("media", json::arrayOf(tracks));
  }
  out.set("filename", filename)
      .set("audio", audio)
      .set("video", video)
      .set("url", url)
      .set("rtsp_user", rtspUser)
      .set("rtsp_pwd", rtspPassword)
      .set("rtsp_iface", rtspInterface)
      .set("rtsp_quirk", rtspQuirk)
      .set("rtsp_failcheck", rtspFailcheck)
      .set("rtsp_reconnect_delay", rtspReconnectDelay)
      .set("rtsp_session_timeout", rtspSessionTimeout)
      .set("rtsp_timeout", rtspTimeout)
      .set("rtsp_conn_timeout", rtspConnTimeout)
      .set("extra", extra);
  return out.node();
}

}  // namespace su::model
