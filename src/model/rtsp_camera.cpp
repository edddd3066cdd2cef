#include "model/rtsp_camera.hpp"

#include "core/uri.hpp"
#include "json/writer.hpp"
#include "model/rules.hpp"

namespace su::model {

RtspCameraConfig RtspCameraConfig::read(json::ObjectReader& reader) {
  RtspCameraConfig camera;
  camera.url = required(reader, "url", reader.string("url"));
  camera.username = reader.string({"username", "user"});
  camera.password = reader.string("password");
  camera.transport = readEnum<RtspTransport>(reader, "transport").value_or(camera.transport);
  camera.timeoutSeconds = reader.number({"timeout", "timeout_s"}).value_or(camera.timeoutSeconds);
  reader.rejectUnknownFields();
  return camera;
}

void RtspCameraConfig::validate(const std::string& path, json::Diagnostics& diagnostics) const {
  auto at = [&](std::string_view key) { return json::childPath(path, key); };
  checkUrl(diagnostics, at("url"), url, {"rtsp", "rtsps", "rtspt"});
  const auto parts = uri::split(url);
  if (parts && parts->user && (username || password)) {
    diagnostics.error(at("username"), "the url already carries credentials: give them once");
  }
  checkNotEmpty(diagnostics, at("username"), username);
  if (password && !username) diagnostics.error(at("password"), "requires username");
  if (!(timeoutSeconds > 0.0 && timeoutSeconds <= 3600.0)) {
    diagnostics.error(at("timeout"), "must be more than 0 and at most 3600 seconds");
  }
}

GRef<JsonNode> RtspCameraConfig::toJson() const {
  json::ObjectWriter out;
  out.set("url", url)
      .set("username", username)
      .set("password", password)
      .set("transport", nameOf(transport))
      .set("timeout", timeoutSeconds);
  return out.node();
}

}  // namespace su::model
