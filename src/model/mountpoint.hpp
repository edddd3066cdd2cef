// A Janus Streaming mountpoint: identity and access, and either RTP media (type rtp), a file
// (live, ondemand) or an RTSP URL Janus pulls itself (rtsp).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "json/value.hpp"
#include "model/track.hpp"

namespace su::model {

struct MountPoint {
  MountPointType type = MountPointType::Rtp;
  std::optional<std::int64_t> id;  // absent: Janus picks one
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<std::string> metadata;
  std::optional<std::string> secret;  // needed to edit or destroy it
  std::optional<std::string> pin;     // needed to watch it
  std::optional<bool> isPrivate;
  std::optional<bool> permanent;
  std::optional<std::string> adminKey;  // the Streaming plugin's admin_key, for create

  // type rtp: the media Janus receives over RTP, the canonical stream definition.
  std::vector<MediaTrack> media;

  // type live / ondemand: a file Janus streams itself.
  std::optional<std::string> filename;
  // types live, ondemand and rtsp: which media the file or camera carries.
  std::optional<bool> audio;
  std::optional<bool> video;

  // type rtsp (Janus's flat form): a camera Janus pulls itself.
  std::optional<std::string> url;
  std::optional<std::string> rtspUser;
  std::optional<std::string> rtspPassword;   // JSON rtsp_pwd
  std::optional<std::string> rtspInterface;  // JSON rtsp_iface (Janus rtspiface)
  std::optional<bool> rtspQuirk;
  std::optional<bool> rtspFailcheck;
  std::optional<std::int64_t> rtspReconnectDelay;  // seconds
  std::optional<std::int64_t> rtspSessionTimeout;  // seconds
  std::optional<std::int64_t> rtspTimeout;         // seconds
  std::optional<std::int64_t> rtspConnTimeout;     // seconds

  // Merged into the Janus create request, for fields not modelled here.
  json::Value extra;

  static MountPoint read(json::ObjectReader& reader);
  void normalize();
  void validate(const std::string& path, json::Diagnostics& diagnostics) const;
  GRef<JsonNode> toJson() const;

  friend bool operator==(const MountPoint&, const MountPoint&) = default;
};

// Reports `extra.<key>` for each key of `extra` that a modelled field produces.
void checkExtraKeys(json::Diagnostics& diagnostics, const std::string& path,
                    const json::Value& extra, std::span<const std::string_view> modelledKeys);

}  // namespace su::model
