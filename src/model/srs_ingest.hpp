// Where an RTMP publisher (OBS, an encoder) sends, and where relays read it back
// (the original's SRSIngestSpec; any RTMP server works, not only SRS).
#pragma once

#include <string>

#include "json/diagnostics.hpp"
#include "json/reader.hpp"

namespace su::model {

struct SrsIngestSpec {
  std::string rtmpUrl = "rtmp://127.0.0.1:1935";  // scheme, host and port only
  std::string app = "live";
  std::string streamKey;  // a credential: masked in every redacted view

  // {rtmp_url}/{app}/{stream_key}, with no doubled slashes.
  std::string publishUrl() const;
  // {rtmp_url}/{app}: what a publisher such as OBS calls its server (the key goes apart).
  std::string serverUrl() const;

  // Accepts rtmp_url, app and stream_key, or publish_url alone (split back into the three);
  // a publish_url given with the parts must match them.
  static SrsIngestSpec read(json::ObjectReader& reader);
  void validate(const std::string& path, json::Diagnostics& diagnostics) const;
  // Writes the three parts and the derived publish_url.
  GRef<JsonNode> toJson() const;

  friend bool operator==(const SrsIngestSpec&, const SrsIngestSpec&) = default;
};

}  // namespace su::model
