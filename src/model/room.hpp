// A Janus VideoRoom room, as created or ensured (the original's RoomSpec).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "json/diagnostics.hpp"
#include "json/reader.hpp"
#include "json/value.hpp"

namespace su::model {

struct RoomSpec {
  std::optional<std::int64_t> room;  // defaults to the request's room_id
  std::optional<std::string> description;
  std::optional<std::string> secret;    // needed to destroy it, and for rtp_forward
  std::optional<std::string> pin;       // needed to join it
  std::optional<std::string> adminKey;  // the VideoRoom plugin's admin_key, for create
  std::optional<bool> isPrivate;
  std::optional<bool> permanent;
  std::optional<std::vector<std::string>> allowed;  // join tokens
  std::optional<bool> requirePvtid;
  std::optional<std::int64_t> publishers;
  std::optional<std::int64_t> bitrate;
  std::optional<bool> bitrateCap;
  std::optional<std::int64_t> firFreq;
  std::optional<std::string> audiocodec;  // comma-separated, in order of preference
  std::optional<std::string> videocodec;
  std::optional<std::string> h264Profile;
  std::optional<std::string> vp9Profile;
  std::optional<bool> opusFec;
  std::optional<bool> opusDtx;
  std::optional<bool> videoSvc;
  std::optional<bool> record;
  std::optional<std::string> recDir;
  std::optional<bool> lockRecord;
  std::optional<bool> notifyJoining;
  std::optional<bool> requireE2ee;
  json::Value extra;  // merged into the Janus create request

  static RoomSpec read(json::ObjectReader& reader);
  void validate(const std::string& path, json::Diagnostics& diagnostics) const;
  GRef<JsonNode> toJson() const;

  friend bool operator==(const RoomSpec&, const RoomSpec&) = default;
};

}  // namespace su::model
