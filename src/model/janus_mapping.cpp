#include "model/janus_mapping.hpp"

#include <array>

#include "json/writer.hpp"

namespace su::model {

namespace {

constexpr std::array<std::string_view, 27> kStreamingCreateKeys{"request",
                                                                "type",
                                                                "id",
                                                                "name",
                                                                "description",
                                                                "metadata",
                                                                "secret",
                                                                "pin",
                                                                "is_private",
                                                                "permanent",
                                                                "admin_key",
                                                                "media",
                                                                "filename",
                                                                "audio",
                                                                "video",
                                                                "url",
                                                                "rtsp_user",
                                                                "rtsp_pwd",
                                                                "rtsp_quirk",
                                                                "rtsp_failcheck",
                                                                "rtspiface",
                                                                "rtsp_reconnect_delay",
                                                                "rtsp_session_timeout",
                                                                "rtsp_timeout",
                                                                "rtsp_conn_timeout",
                                                                "datatype",
                                                                "buffermsg"};

constexpr std::array<std::string_view, 26> kVideoRoomCreateKeys{
    "request",        "room",        "description", "secret",        "pin",          "admin_key",
    "is_private",     "permanent",   "allowed",     "require_pvtid", "publishers",   "bitrate",
    "bitrate_cap",    "fir_freq",    "audiocodec",  "videocodec",    "h264_profile", "vp9_profile",
    "opus_fec",       "opus_dtx",    "video_svc",   "record",        "rec_dir",      "lock_record",
    "notify_joining", "require_e2ee"};

GRef<JsonNode> janusMedia(const MediaTrack& track) {
  json::ObjectWriter out;
  out.set("type", nameOf(track.type))
      .set("mid", track.mid)
      .set("port", track.port.value_or(0))  // 0: Janus picks a port
      .set("label", track.label)
      .set("msid", track.msid)
      .set("mcast", track.multicast)
      .set("iface", track.bindInterface)
      .set("rtcpport", track.rtcpPort)
      .set("pt", track.pt)
      .set("codec", track.codec)
      .set("fmtp", track.fmtp)
      .set("skew", track.skew)
      .set("h264sps", track.h264Sps)
      .set("simulcast", track.simulcast)
      .set("port2", track.port2)
      .set("port3", track.port3)
      .set("svc", track.svc)
      .set("bufferkf", track.bufferKeyframe);
  if (track.dataType) out.set("datatype", nameOf(*track.dataType));
  out.set("buffermsg", track.bufferLatestMessage);
  return out.node();
}

// Every member of `source` but `skip`, into `out`.
void copyMembersExcept(json::ObjectWriter& out, JsonNode* source, std::string_view skip) {
  JsonObject* object = json_node_get_object(source);
  GList* names = json_object_get_members(object);
  for (GList* item = names; item; item = item->next) {
    const char* name = static_cast<const char*>(item->data);
    if (name != skip) out.set(name, GRef<JsonNode>::ref(json_object_get_member(object, name)));
  }
  g_list_free(names);
}

}  // namespace

GRef<JsonNode> streamingCreateBody(const MountPoint& mountpoint) {
  json::ObjectWriter body;
  body.set("request", "create")
      .set("type", nameOf(mountpoint.type))
      .set("id", mountpoint.id)
      .set("name", mountpoint.name)
      .set("description", mountpoint.description)
      .set("metadata", mountpoint.metadata)
      .set("secret", mountpoint.secret)
      .set("pin", mountpoint.pin)
      .set("is_private", mountpoint.isPrivate)
      .set("permanent", mountpoint.permanent)
      .set("admin_key", mountpoint.adminKey);
  switch (mountpoint.type) {
    case MountPointType::Rtp: {
      std::vector<GRef<JsonNode>> media;
      for (const MediaTrack& track : mountpoint.media) {
        media.push_back(janusMedia(track));
        // Janus also reads the data options from the top level: send both.
        if (track.type == MediaType::Data && !body.has("datatype")) {
          if (track.dataType) body.set("datatype", nameOf(*track.dataType));
          body.set("buffermsg", track.bufferLatestMessage);
        }
      }
      body.set("media", json::arrayOf(media));
      break;
    }
    case MountPointType::Live:
    case MountPointType::OnDemand:
      body.set("filename", mountpoint.filename)
          .set("audio", mountpoint.audio)
          .set("video", mountpoint.video);
      break;
    case MountPointType::Rtsp:
      body.set("url", mountpoint.url)
          .set("rtsp_user", mountpoint.rtspUser)
          .set("rtsp_pwd", mountpoint.rtspPassword)
          .set("rtspiface", mountpoint.rtspInterface)
          .set("rtsp_quirk", mountpoint.rtspQuirk)
          .set("rtsp_failcheck", mountpoint.rtspFailcheck)
          .set("rtsp_reconnect_delay", mountpoint.rtspReconnectDelay)
          .set("rtsp_session_timeout", mountpoint.rtspSessionTimeout)
          .set("rtsp_timeout", mountpoint.rtspTimeout)
          .set("rtsp_conn_timeout", mountpoint.rtspConnTimeout)
          .set("audio", mountpoint.audio)
          .set("video", mountpoint.video);
      break;
  }
  body.mergeMissing(mountpoint.extra);
  return body.node();
}

GRef<JsonNode> videoRoomCreateBody(const RoomSpec& room) {
  // The payload names are Janus's own: the body is the payload without `extra`, merged.
  json::ObjectWriter body;
  body.set("request", "create");
  copyMembersExcept(body, room.toJson().get(), "extra");
  body.mergeMissing(room.extra);
  return body.node();
}

GRef<JsonNode> rtpForwardBody(const RtpForwardRequestSpec& forward) {
  json::ObjectWriter body;
  body.set("request", "rtp_forward");
  copyMembersExcept(body, forward.toJson().get(), "");
  return body.node();
}

std::span<const std::string_view> streamingCreateKeys() {
  return kStreamingCreateKeys;
}
std::span<const std::string_view> videoRoomCreateKeys() {
  return kVideoRoomCreateKeys;
}

}  // namespace su::model
