// One media of a Streaming mountpoint (the original's Track / AudioTrack / VideoTrack /
// DataTrack): where Janus receives it and how it is described to viewers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "json/diagnostics.hpp"
#include "json/node.hpp"
#include "json/reader.hpp"
#include "model/kinds.hpp"

namespace su::model {

struct MediaTrack {
  MediaType type = MediaType::Video;
  // Unique within the mountpoint; defaults to the type's initial and the index ("v0", "a1").
  std::optional<std::string> mid;
  // Where Janus listens; absent lets Janus pick a port when the mountpoint is created.
  std::optional<std::int64_t> port;
  std::optional<std::int64_t> pt;    // RTP payload type; defaults from the codec
  std::optional<std::string> codec;  // lower case: opus, pcmu, h264, vp8...
  std::optional<std::string> fmtp;   // H.264 defaults to constrained baseline, mode 1
  // Which audio (or video) stream of the source feeds this media, counted per type from 0.
  // Used by relays only; Janus never sees it.
  std::optional<std::int64_t> mindex;
  std::optional<std::string> label;
  std::optional<std::string> msid;
  std::optional<std::int64_t> rtcpPort;      // JSON rtcp_port (Janus rtcpport)
  std::optional<std::string> multicast;      // JSON multicast (Janus mcast)
  std::optional<std::string> bindInterface;  // JSON bind_interface (Janus iface)
  std::optional<bool> skew;
  // Video only.
  std::optional<std::string> h264Sps;  // JSON h264_sps (Janus h264sps)
  std::optional<bool> simulcast;
  std::optional<std::int64_t> port2;
  std::optional<std::int64_t> port3;
  std::optional<bool> svc;
  // Janus keeps the latest keyframe and sends it to each new viewer at once (not with
  // simulcast): video that passes through a relay starts without waiting for the source's next
  // keyframe. JSON buffer_keyframe (Janus bufferkf).
  std::optional<bool> bufferKeyframe;
  // Data only.
  std::optional<DataType> dataType;         // JSON data_type (Janus datatype)
  std::optional<bool> bufferLatestMessage;  // JSON buffer_latest_message (Janus buffermsg)

  static MediaTrack read(json::ObjectReader& reader);
  // Fills mid, pt and fmtp defaults; `index` is the track's place in the mountpoint.
  void normalize(std::size_t index);
  void validate(const std::string& path, json::Diagnostics& diagnostics) const;
  GRef<JsonNode> toJson() const;

  friend bool operator==(const MediaTrack&, const MediaTrack&) = default;
};

// Codec knowledge shared with the relays: which codecs each media type may carry.
bool isAudioCodec(std::string_view codec);
bool isVideoCodec(std::string_view codec);
std::optional<std::int64_t> defaultPayloadType(std::string_view codec);

}  // namespace su::model
