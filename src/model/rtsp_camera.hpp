// An RTSP camera a relay pulls (the original's RTSPCameraConfig).
#pragma once

#include <optional>
#include <string>

#include "json/diagnostics.hpp"
#include "json/reader.hpp"
#include "model/kinds.hpp"

namespace su::model {

struct RtspCameraConfig {
  std::string url;
  std::optional<std::string> username;
  std::optional<std::string> password;
  RtspTransport transport = RtspTransport::Tcp;
  double timeoutSeconds = 10.0;  // JSON timeout: how long to wait for the camera

  static RtspCameraConfig read(json::ObjectReader& reader);
  void validate(const std::string& path, json::Diagnostics& diagnostics) const;
  GRef<JsonNode> toJson() const;

  friend bool operator==(const RtspCameraConfig&, const RtspCameraConfig&) = default;
};

}  // namespace su::model
