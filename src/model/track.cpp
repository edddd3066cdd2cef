#include "model/track.hpp"

#include <gio/gio.h>

#include <algorithm>
#include <array>

#include "json/writer.hpp"
#include "model/rules.hpp"

namespace su::model {

namespace {

struct CodecInfo {
  std::string_view name;
  MediaType type;
  std::int64_t payloadType;
};

// The codec names Janus 1.x accepts, with the payload type used when none is given.
constexpr std::array kCodecs{
    CodecInfo{"opus", MediaType::Audio, 111},   CodecInfo{"multiopus", MediaType::Audio, 111},
    CodecInfo{"pcmu", MediaType::Audio, 0},     CodecInfo{"pcma", MediaType::Audio, 8},
    CodecInfo{"g722", MediaType::Audio, 9},     CodecInfo{"isac16", MediaType::Audio, 104},
    CodecInfo{"isac32", MediaType::Audio, 103}, CodecInfo{"vp8", MediaType::Video, 96},
    CodecInfo{"vp9", MediaType::Video, 96},     CodecInfo{"h264", MediaType::Video, 96},
    CodecInfo{"av1", MediaType::Video, 96},     CodecInfo{"h265", MediaType::Video, 96},
};

constexpr std::string_view kDefaultH264Fmtp = "profile-level-id=42e01f;packetization-mode=1";

const CodecInfo* findCodec(std::string_view name) {
  const auto* it = std::find_if(kCodecs.begin(), kCodecs.end(),
                                [&](const CodecInfo& codec) { return codec.name == name; });
  return it == kCodecs.end() ? nullptr : it;
}

std::string codecList(MediaType type) {
  std::string list;
  for (const CodecInfo& codec : kCodecs) {
    if (codec.type != type) continue;
    if (!list.empty()) list += ", ";
    list += codec.name;
  }
  return list;
}

char typeInitial(MediaType type) {
  switch (type) {
    case MediaType::Audio:
      return 'a';
    case MediaType::Video:
      return 'v';
    case MediaType::Data:
      return 'd';
  }
  return 'm';
}

}  // namespace

bool isAudioCodec(std::string_view codec) {
  const CodecInfo* info = findCodec(codec);
  return info && info->type == MediaType::Audio;
}

bool isVideoCodec(std::string_view codec) {
  const CodecInfo* info = findCodec(codec);
  return info && info->type == MediaType::Video;
}

std::optional<std::int64_t> defaultPayloadType(std::string_view codec) {
  const CodecInfo* info = findCodec(codec);
  if (!info) return std::nullopt;
  return info->payloadType;
}

MediaTrack MediaTrack::read(json::ObjectReader& reader) {
  MediaTrack track;
  if (!reader.has("type")) reader.error("type", "required (audio, video or data)");
  track.type = readEnum<MediaType>(reader, "type").value_or(MediaType::Video);
  track.mid = reader.string("mid");
  track.port = reader.integer("port");
  track.pt = reader.integer({"pt", "payload_type"});
  track.codec = reader.string("codec");
  if (track.codec) track.codec = asciiLower(*track.codec);
  track.fmtp = reader.string("fmtp");
  track.mindex = reader.integer("mindex");
  track.label = reader.string("label");
  track.msid = reader.string("msid");
  // The original also spelled the RTCP port `rtp_port`.
  track.rtcpPort = reader.integer({"rtcp_port", "rtcpport", "rtp_port"});
  track.multicast = reader.string({"multicast", "mcast"});
  track.bindInterface = reader.string({"bind_interface", "iface"});
  track.skew = reader.boolean("skew");
  track.h264Sps = reader.string({"h264_sps", "h264sps"});
  track.simulcast = reader.boolean("simulcast");
  track.port2 = reader.integer({"port2", "port_2"});
  track.port3 = reader.integer({"port3", "port_3"});
  track.svc = reader.boolean("svc");
  track.bufferKeyframe = reader.boolean({"buffer_keyframe", "bufferkf", "videobufferkf"});
  track.dataType = readEnum<DataType>(reader, {"data_type", "datatype"});
  track.bufferLatestMessage =
      reader.boolean({"buffer_latest_message", "buffermsg", "databuffermsg"});
  reader.rejectUnknownFields();
  return track;
}

void MediaTrack::normalize(std::size_t index) {
  if (!mid) mid = std::string(1, typeInitial(type)) + std::to_string(index);
  if (type == MediaType::Data || !codec) return;
  if (!pt) pt = defaultPayloadType(*codec);
  if (!fmtp && *codec == "h264") fmtp = std::string(kDefaultH264Fmtp);
}

void MediaTrack::validate(const std::string& path, json::Diagnostics& diagnostics) const {
  auto at = [&](std::string_view key) { return json::childPath(path, key); };
  const bool isData = type == MediaType::Data;
  const bool isVideo = type == MediaType::Video;

  if (mid && mid->empty()) diagnostics.error(at("mid"), "must not be empty");
  if (port && *port == 0) {
    diagnostics.error(at("port"), "must be 1..65535 (leave it out to let Janus pick one)");
  } else {
    checkPort(diagnostics, at("port"), port);
  }
  checkPort(diagnostics, at("rtcp_port"), rtcpPort);  // distinct from port: see MountPoint
  checkNotEmpty(diagnostics, at("label"), label);
  checkNotEmpty(diagnostics, at("msid"), msid);
  checkNotEmpty(diagnostics, at("bind_interface"), bindInterface);
  if (multicast) {
    auto address =
        GRef<GObject>::adopt(G_OBJECT(g_inet_address_new_from_string(multicast->c_str())));
    if (!address || !g_inet_address_get_is_multicast(G_INET_ADDRESS(address.get()))) {
      diagnostics.error(at("multicast"),
                        "must be a multicast IP address, got " + quoted(*multicast));
    }
  }

  if (isData) {
    checkAbsent(diagnostics, at("pt"), pt, "audio and video media");
    checkAbsent(diagnostics, at("codec"), codec, "audio and video media");
    checkAbsent(diagnostics, at("fmtp"), fmtp, "audio and video media");
    checkAbsent(diagnostics, at("mindex"), mindex, "audio and video media");
    checkAbsent(diagnostics, at("rtcp_port"), rtcpPort, "audio and video media");
    checkAbsent(diagnostics, at("skew"), skew, "audio and video media");
  } else {
    checkRange(diagnostics, at("pt"), pt, 0, 127);
    checkRange(diagnostics, at("mindex"), mindex, 0, 63);
    checkNotEmpty(diagnostics, at("fmtp"), fmtp);
    if (!codec) {
      diagnostics.error(at("codec"), std::string("required for ") + std::string(nameOf(type)) +
                                         " media (one of: " + codecList(type) + ")");
    } else if (!findCodec(*codec)) {
      diagnostics.error(at("codec"), "unknown codec " + quoted(*codec) + " (" +
                                         std::string(nameOf(type)) + " codecs: " + codecList(type) +
                                         ")");
    } else if (findCodec(*codec)->type != type) {
      diagnostics.error(at("codec"), quoted(*codec) + " is not " +
                                         (isVideo ? "a video" : "an audio") + " codec (" +
                                         codecList(type) + ")");
    }
    checkAbsent(diagnostics, at("data_type"), dataType, "data media");
    checkAbsent(diagnostics, at("buffer_latest_message"), bufferLatestMessage, "data media");
  }

  if (!isVideo) {
    checkAbsent(diagnostics, at("h264_sps"), h264Sps, "video media");
    checkAbsent(diagnostics, at("simulcast"), simulcast, "video media");
    checkAbsent(diagnostics, at("port2"), port2, "video media");
    checkAbsent(diagnostics, at("port3"), port3, "video media");
    checkAbsent(diagnostics, at("svc"), svc, "video media");
    checkAbsent(diagnostics, at("buffer_keyframe"), bufferKeyframe, "video media");
    return;
  }
  if (bufferKeyframe.value_or(false) && simulcast.value_or(false)) {
    diagnostics.error(at("buffer_keyframe"), "not with simulcast (Janus ignores it there)");
  }
  if (h264Sps && codec != "h264") diagnostics.error(at("h264_sps"), "only for codec h264");
  checkNotEmpty(diagnostics, at("h264_sps"), h264Sps);
  if (svc.value_or(false) && codec != "vp9") diagnostics.error(at("svc"), "only for codec vp9");
  checkPort(diagnostics, at("port2"), port2);
  checkPort(diagnostics, at("port3"), port3);
  if (!simulcast.value_or(false)) {
    if (port2) diagnostics.error(at("port2"), "requires simulcast: true");
    if (port3) diagnostics.error(at("port3"), "requires simulcast: true");
  }
}

GRef<JsonNode> MediaTrack::toJson() const {
  json::ObjectWriter out;
  out.set("type", nameOf(type))
      .set("mid", mid)
      .set("port", port)
      .set("pt", pt)
      .set("codec", codec)
      .set("fmtp", fmtp)
      .set("mindex", mindex)
      .set("label", label)
      .set("msid", msid)
      .set("rtcp_port", rtcpPort)
      .set("buffer_keyframe", bufferKeyframe)
      .set("multicast", multicast)
      .set("bind_interface", bindInterface)
      .set("skew", skew)
      .set("h264_sps", h264Sps)
      .set("simulcast", simulcast)
      .set("port2", port2)
      .set("port3", port3)
      .set("svc", svc);
  if (dataType) out.set("data_type", nameOf(*dataType));
  out.set("buffer_latest_message", bufferLatestMessage);
  return out.node();
}

}  // namespace su::model
