// The models produce exactly the Janus 1.x request bodies of shared/notes/janus.md.
#include "model/janus_mapping.hpp"

#include <gtest/gtest.h>

#include "json/parse.hpp"
#include "model/broadcast_request.hpp"
#include "model/decode.hpp"
#include "support/printers.hpp"
#include "support/test_data.hpp"

namespace su::model {
namespace {

using test::parseOk;

template <typename T>
T decodeOk(std::string_view text) {
  auto node = parseOk(text);
  auto decoded = decode<T>(node.get(), "test document");
  EXPECT_TRUE(decoded.ok()) << (decoded ? "" : decoded.error().describe());
  return decoded ? *decoded : T{};
}

void expectSameJson(const GRef<JsonNode>& actual, std::string_view expected) {
  auto wanted = parseOk(expected);
  EXPECT_TRUE(json_node_equal(actual.get(), wanted.get()))
      << "actual:   " << json::toString(actual.get())
      << "\nexpected: " << json::toString(wanted.get());
}

TEST(JanusStreamingCreate, RtpMountPointUsesTheMultistreamMediaFormWithJanusNames) {
  const auto mountpoint = decodeOk<MountPoint>(R"({
    "id": 9001, "name": "studio", "description": "Studio", "metadata": "m",
    "secret": "s3cret", "pin": "1234", "is_private": false, "permanent": false,
    "admin_key": "streaming-admin",
    "media": [
      {"type": "audio", "mid": "a", "port": 5002, "codec": "opus", "label": "mic",
       "msid": "stream mic", "bind_interface": "127.0.0.1", "skew": true, "mindex": 1},
      {"type": "video", "mid": "v", "port": 5004, "codec": "h264", "rtcp_port": 5005,
       "multicast": "232.0.0.1", "h264_sps": "Z0IAHw==", "simulcast": true,
       "port2": 5006, "port3": 5008, "buffer_keyframe": false},
      {"type": "data", "mid": "d", "data_type": "binary", "buffer_latest_message": true}
    ],
    "extra": {"threads": 2, "playoutdelay_ext": true}
  })");
  expectSameJson(streamingCreateBody(mountpoint), R"({
    "request": "create", "type": "rtp", "id": 9001, "name": "studio", "description": "Studio",
    "metadata": "m", "secret": "s3cret", "pin": "1234", "is_private": false, "permanent": false,
    "admin_key": "streaming-admin",
    "media": [
      {"type": "audio", "mid": "a", "port": 5002, "label": "mic", "msid": "stream mic",
       "iface": "127.0.0.1", "pt": 111, "codec": "opus", "skew": true},
      {"type": "video", "mid": "v", "port": 5004, "mcast": "232.0.0.1", "rtcpport": 5005,
       "pt": 96, "codec": "h264", "fmtp": "profile-level-id=42e01f;packetization-mode=1",
       "h264sps": "Z0IAHw==", "simulcast": true, "port2": 5006, "port3": 5008, "bufferkf": false},
      {"type": "data", "mid": "d", "port": 0, "datatype": "binary", "buffermsg": true}
    ],
    "datatype": "binary", "buffermsg": true,
    "threads": 2, "playoutdelay_ext": true
  })");
}

TEST(JanusStreamingCreate, MinimalMountPointLetsJanusPickIdAndPorts) {
  const auto mountpoint = decodeOk<MountPoint>(R"({"media": [{"type": "video", "codec": "vp8"}]})");
  expectSameJson(streamingCreateBody(mountpoint), R"({
    "request": "create", "type": "rtp",
    "media": [{"type": "video", "mid": "v0", "port": 0, "pt": 96, "codec": "vp8"}]})");
}

TEST(JanusStreamingCreate, RtspMountPointUsesTheFlatForm) {
  const auto mountpoint = decodeOk<MountPoint>(R"({
    "type": "rtsp", "id": 12, "url": "rtsp://cam.local/stream", "rtsp_user": "viewer",
    "rtsp_pwd": "pw", "rtsp_iface": "eth0", "rtsp_quirk": true, "rtsp_failcheck": false,
    "rtsp_reconnect_delay": 5, "rtsp_session_timeout": 60, "rtsp_timeout": 10,
    "rtsp_conn_timeout": 5, "audio": false, "video": true})");
  expectSameJson(streamingCreateBody(mountpoint), R"({
    "request": "create", "type": "rtsp", "id": 12, "url": "rtsp://cam.local/stream",
    "rtsp_user": "viewer", "rtsp_pwd": "pw", "rtspiface": "eth0", "rtsp_quirk": true,
    "rtsp_failcheck": false, "rtsp_reconnect_delay": 5, "rtsp_session_timeout": 60,
    "rtsp_timeout": 10, "rtsp_conn_timeout": 5, "audio": false, "video": true})");
}

TEST(JanusStreamingCreate, FileMountPoints) {
  const auto mountpoint = decodeOk<MountPoint>(
      R"({"type": "ondemand", "filename": "/streams/music.mulaw", "audio": true, "video": false})");
  expectSameJson(streamingCreateBody(mountpoint), R"({
    "request": "create", "type": "ondemand", "filename": "/streams/music.mulaw",
    "audio": true, "video": false})");
}

TEST(JanusStreamingCreate, ExtraNeverOverridesAModelledField) {
  // Validation rejects such an extra; the mapping still keeps the modelled value if handed one.
  MountPoint mountpoint;
  mountpoint.secret = "modelled";
  mountpoint.extra = json::Value::of(parseOk(R"({"secret": "sneaky", "threads": 1})"));
  auto body = streamingCreateBody(mountpoint);
  JsonObject* object = json_node_get_object(body.get());
  EXPECT_STREQ(json_object_get_string_member(object, "secret"), "modelled");
  EXPECT_EQ(json_object_get_int_member(object, "threads"), 1);
}

TEST(JanusVideoRoomCreate, CarriesTheRoomSettingsAdminKeyAndExtra) {
  const auto room = decodeOk<RoomSpec>(R"({
    "room": 1234, "description": "Town hall", "secret": "room-secret", "pin": "9",
    "admin_key": "videoroom-admin", "is_private": true, "permanent": false,
    "allowed": ["t1"], "require_pvtid": true, "publishers": 2, "bitrate": 256000,
    "bitrate_cap": true, "fir_freq": 10, "audiocodec": "opus", "videocodec": "h264,vp8",
    "h264_profile": "42e01f", "opus_fec": true, "record": false,
    "extra": {"dummy_publisher": true}})");
  expectSameJson(videoRoomCreateBody(room), R"({
    "request": "create", "room": 1234, "description": "Town hall", "secret": "room-secret",
    "pin": "9", "admin_key": "videoroom-admin", "is_private": true, "permanent": false,
    "allowed": ["t1"], "require_pvtid": true, "publishers": 2, "bitrate": 256000,
    "bitrate_cap": true, "fir_freq": 10, "audiocodec": "opus", "videocodec": "h264,vp8",
    "h264_profile": "42e01f", "opus_fec": true, "record": false, "dummy_publisher": true})");
}

TEST(JanusRtpForward, CarriesRoomSecretAdminKeyAndPerStreamOptions) {
  const auto forward = decodeOk<RtpForwardRequestSpec>(R"({
    "room": 1234, "publisher_id": 42, "host": "127.0.0.1", "host_family": "ipv4",
    "secret": "room-secret", "admin_key": "videoroom-admin",
    "streams": [
      {"mid": "0", "port": 5002, "pt": 111},
      {"mid": "1", "port": 5004, "pt": 96, "rtcp_port": 5005, "ssrc": 12345}
    ]})");
  expectSameJson(rtpForwardBody(forward), R"({
    "request": "rtp_forward", "room": 1234, "publisher_id": 42, "host": "127.0.0.1",
    "host_family": "ipv4", "secret": "room-secret", "admin_key": "videoroom-admin",
    "streams": [
      {"mid": "0", "port": 5002, "pt": 111},
      {"mid": "1", "port": 5004, "pt": 96, "ssrc": 12345, "rtcp_port": 5005}
    ]})");
}

TEST(JanusRtpForward, SimulcastStreamsUseJanusUnderscoreNames) {
  const auto forward = decodeOk<RtpForwardRequestSpec>(R"({
    "room": 1, "publisher_id": 2,
    "streams": [{"mid": "v", "port": 6000, "simulcast": true, "port2": 6002, "pt2": 96,
                 "ssrc2": 2, "port_3": 6004, "pt_3": 96, "ssrc_3": 3}]})");
  expectSameJson(rtpForwardBody(forward), R"({
    "request": "rtp_forward", "room": 1, "publisher_id": 2, "host": "127.0.0.1",
    "streams": [{"mid": "v", "port": 6000, "simulcast": true, "port_2": 6002, "pt_2": 96,
                 "ssrc_2": 2, "port_3": 6004, "pt_3": 96, "ssrc_3": 3}]})");
}

TEST(JanusMapping, ExtraKeysThatAModelledFieldProducesAreRejected) {
  auto mountpoint = decode<MountPoint>(
      parseOk(R"({"media":[{"type":"video","codec":"vp8"}],"extra":{"media":[],"pin":"1"}})").get(),
      "mountpoint");
  ASSERT_FALSE(mountpoint.ok());
  EXPECT_EQ(mountpoint.error().fields,
            (std::vector<FieldError>{
                {"extra.pin", "is a modelled field: set it on the model, not in extra"},
                {"extra.media", "is a modelled field: set it on the model, not in extra"}}));
  auto room = decode<RoomSpec>(parseOk(R"({"extra":{"request":"destroy"}})").get(), "room");
  ASSERT_FALSE(room.ok());
  EXPECT_EQ(room.error().fields.at(0).path, "extra.request");
}

}  // namespace
}  // namespace su::model
