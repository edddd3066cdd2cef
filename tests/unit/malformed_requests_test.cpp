// Malformed requests and envelopes: each one is a valid base with one thing wrong, and must be
// rejected with exactly that one problem: its field path and its rule.
#include <gtest/gtest.h>

#include "json/parse.hpp"
#include "model/broadcast_request.hpp"
#include "model/job_envelope.hpp"
#include "support/printers.hpp"

namespace su::model {
namespace {

const char* base(std::string_view name) {
  if (name == "test_pattern") {
    return R"({"source_kind":"test_pattern","mountpoint_spec":{"media":[{"type":"video","codec":"vp8"}]}})";
  }
  if (name == "videoroom") {
    return R"({"source_kind":"videoroom","room_id":1234,"publisher_id":42,
               "mountpoint_spec":{"media":[{"type":"video","codec":"vp8","port":5004}]}})";
  }
  if (name == "obs") {
    return R"({"source_kind":"obs","srs":{"stream_key":"k"},
               "mountpoint_spec":{"media":[{"type":"video","codec":"h264"}]}})";
  }
  if (name == "rtsp_camera") {
    return R"({"source_kind":"rtsp_camera","rtsp_camera":{"url":"rtsp://cam.local/s"},
               "mountpoint_spec":{"media":[{"type":"video","codec":"h264"}]}})";
  }
  if (name == "uri") {
    return R"({"source_kind":"uri","input_url":"https://example.com/live.m3u8",
               "mountpoint_spec":{"media":[{"type":"video","codec":"h264"}]}})";
  }
  if (name == "browser_webrtc") {
    return R"({"source_kind":"browser_webrtc","room_id":1234,"publisher_display":"presenter",
               "mountpoint_spec":{"media":[{"type":"video","codec":"vp8"}]}})";
  }
  if (name == "job_start") {
    return R"({"version":1,"job_id":"j1","action":"start","request":
               {"source_kind":"test_pattern","mountpoint_spec":{"media":[{"type":"video","codec":"vp8"}]}}})";
  }
  if (name == "job_stop")
    return R"({"version":1,"job_id":"j2","action":"stop","broadcast_id":"b"})";
  return "{}";
}

struct Case {
  const char* base;
  // Top-level members replacing the base's (null removes one), or a whole document if `raw`.
  std::string patch;
  std::string path;
  std::string rule;
  bool raw = false;
};

std::ostream& operator<<(std::ostream& out, const Case& c) {
  return out << c.base << " + " << c.patch << " -> " << c.path;
}

GRef<JsonNode> document(const Case& c) {
  if (c.raw) return *json::parse(c.patch);
  GRef<JsonNode> doc = *json::parse(base(c.base));
  auto patch = json::parse(c.patch);
  EXPECT_TRUE(patch.ok()) << c.patch;
  JsonObject* target = json_node_get_object(doc.get());
  JsonObject* changes = json_node_get_object(patch->get());
  GList* names = json_object_get_members(changes);
  for (GList* item = names; item; item = item->next) {
    const char* name = static_cast<const char*>(item->data);
    JsonNode* value = json_object_get_member(changes, name);
    if (JSON_NODE_HOLDS_NULL(value)) {
      json_object_remove_member(target, name);
    } else {
      json_object_set_member(target, name, json_node_copy(value));
    }
  }
  g_list_free(names);
  return doc;
}

class MalformedDocument : public ::testing::TestWithParam<Case> {};

TEST_P(MalformedDocument, IsRejectedWithItsPathAndRule) {
  const Case& c = GetParam();
  GRef<JsonNode> doc = document(c);
  const bool isEnvelope = std::string_view(c.base).starts_with("job_");
  const Result<bool> outcome = [&]() -> Result<bool> {
    if (isEnvelope) {
      auto job = JobEnvelope::fromPayload(doc.get());
      if (!job) return job.error();
      return true;
    }
    auto request = BroadcastRequest::fromPayload(doc.get());
    if (!request) return request.error();
    return true;
  }();
  ASSERT_FALSE(outcome.ok()) << json::toString(doc.get());
  const Error& error = outcome.error();
  EXPECT_TRUE(error.is(errorDomainOf(ModelError::Invalid), static_cast<int>(ModelError::Invalid)));
  EXPECT_EQ(error.fields, (std::vector<FieldError>{{c.path, c.rule}})) << error.describe();
  EXPECT_EQ(error.message, std::string("invalid ") +
                               (isEnvelope ? "job envelope" : "broadcast request") + ": 1 problem");
}

const std::string kSourceKinds =
    "videoroom, obs, rtmp_external, rtsp_camera, frontend_owned, browser_webrtc, test_pattern, uri";
const std::string kVideoCodecs = "vp8, vp9, h264, av1, h265";
const std::string kAudioCodecs = "opus, multiopus, pcmu, pcma, g722, isac16, isac32";

std::string media(std::string items) {
  return R"({"mountpoint_spec":{"media":[)" + items + "]}}";
}

INSTANTIATE_TEST_SUITE_P(
    Requests, MalformedDocument,
    ::testing::Values(
        // The document and its kinds.
        Case{"", "[1,2]", "(document)", "must be an object, got an array", true},
        Case{"", R"("videoroom")", "(document)", "must be an object, got a string", true},
        Case{"test_pattern", R"({"source_kind":null})", "source_kind",
             "required (one of: " + kSourceKinds + ")"},
        Case{"test_pattern", R"({"source_kind":"satellite"})", "source_kind",
             "unknown value \"satellite\" (expected one of: " + kSourceKinds + ")"},
        Case{"test_pattern", R"({"source_kind":7})", "source_kind",
             "must be a string, got an integer"},
        Case{"test_pattern", R"({"relay_kind":"vlc"})", "relay_kind",
             "unknown value \"vlc\" (expected one of: none, gstreamer, ffmpeg)"},
        Case{"test_pattern", R"({"frobnicate":true})", "frobnicate", "unknown field"},
        Case{"test_pattern", R"({"queue_kind":"rabbitmq"})", "queue_kind",
             "unknown value \"rabbitmq\" (expected one of: memory, redis, kafka)"},
        // Relay kinds that do not fit the source kind.
        Case{"videoroom", R"({"relay_kind":"gstreamer"})", "relay_kind",
             "\"gstreamer\" does not fit source_kind videoroom (use none)"},
        Case{"obs", R"({"relay_kind":"none"})", "relay_kind",
             "\"none\" does not fit source_kind obs (use gstreamer or ffmpeg)"},
        Case{"test_pattern", R"({"relay_kind":"ffmpeg"})", "relay_kind",
             "\"ffmpeg\" does not fit source_kind test_pattern (use gstreamer)"},
        Case{"uri", R"({"relay_kind":"ffmpeg","gstreamer_pipeline":"videotestsrc"})",
             "gstreamer_pipeline", "only for relay_kind gstreamer"},
        Case{"test_pattern", R"({"stall_timeout_ms":100})", "stall_timeout_ms",
             "must be from 500 to 600000 ms"},
        Case{"test_pattern", R"({"stall_timeout_ms":"5s"})", "stall_timeout_ms",
             "must be an integer, got a string"},
        // What each source kind needs.
        Case{"videoroom", R"({"room_id":null})", "room_id", "required for source_kind videoroom"},
        Case{"videoroom", R"({"publisher_id":null})", "publisher_id",
             "required for source_kind videoroom"},
        Case{"videoroom", R"({"room_id":"1234"})", "room_id", "must be an integer, got a string"},
        Case{"videoroom", R"({"room_id":0})", "room_id", "must be >= 1"},
        Case{"videoroom", R"({"room_spec":{"room":99}})", "room_spec.room",
             "differs from room_id (1234)"},
        Case{"videoroom", R"({"room_spec":{"videocodec":"h264,mpeg4"}})", "room_spec.videocodec",
             "\"mpeg4\" is not a video codec (give a comma-separated list without spaces)"},
        Case{"videoroom", R"({"room_spec":{"publisher":3}})", "room_spec.publisher",
             "unknown field"},
        Case{"browser_webrtc", R"({"publisher_display":null})", "publisher_id",
             "required for source_kind browser_webrtc (or give publisher_display)"},
        Case{"browser_webrtc", R"({"publisher_id":5})", "publisher_display",
             "give publisher_id or publisher_display, not both"},
        // Outputs to more Janus servers.
        Case{"videoroom", R"({"outputs":[{"janus_url":"ws://10.0.0.2:8188"}]})", "outputs",
             "only for relayed sources (source_kind videoroom relays nothing)"},
        Case{"test_pattern", R"({"outputs":[{}]})", "outputs[0].janus_url", "required"},
        Case{"test_pattern", R"({"outputs":[{"janus_url":"http://10.0.0.2:8088"}]})",
             "outputs[0].janus_url", "scheme must be one of ws, wss, got \"http\""},
        Case{"test_pattern", R"({"outputs":[{"janus_url":"ws://10.0.0.2:8188","host":"a b"}]})",
             "outputs[0].host", "must be an IP address or a host name, got \"a b\""},
        Case{"test_pattern",
             R"({"outputs":[{"janus_url":"ws://10.0.0.2:8188",
                 "mountpoint_spec":{"type":"live","filename":"/media/clip.opus"}}]})",
             "outputs[0].mountpoint_spec.type", "an output needs an rtp mountpoint"},
        Case{"test_pattern", R"({"outputs":[{"janus_url":"ws://j","speed":1}]})",
             "outputs[0].speed", "unknown field"},
        Case{"obs", R"({"srs":null})", "srs", "required for source_kind obs"},
        Case{"obs", R"({"obs_port":0})", "obs_port", "must be 1..65535"},
        Case{"obs", R"({"obs_secure":"false"})", "obs_secure", "must be a boolean, got a string"},
        Case{"obs", R"({"srs":{}})", "srs.stream_key", "required"},
        Case{"obs", R"({"srs":{"rtmp_url":"http://ingest","stream_key":"k"}})", "srs.rtmp_url",
             "scheme must be one of rtmp, rtmps, got \"http\""},
        Case{"obs", R"({"srs":{"rtmp_url":"rtmp://ingest/live","stream_key":"k"}})", "srs.rtmp_url",
             "must be scheme://host[:port] without a path (the path is app)"},
        Case{"obs", R"({"srs":{"publish_url":"rtmp://ingest/k"}})", "srs.publish_url",
             "must look like rtmp://host[:port]/app/stream_key"},
        Case{"obs", R"({"srs":{"stream_key":"k","publish_url":"rtmp://other:1935/live/k"}})",
             "srs.publish_url",
             "does not match rtmp_url/app/stream_key (give either publish_url or the parts)"},
        Case{"obs", R"({"srs":{"stream_key":"a/b"}})", "srs.stream_key",
             "must not contain spaces or '/'"},
        Case{"rtsp_camera", R"({"rtsp_camera":null})", "rtsp_camera",
             "required for source_kind rtsp_camera"},
        Case{"rtsp_camera", R"({"rtsp_camera":{"url":"http://cam.local/s"}})", "rtsp_camera.url",
             "scheme must be one of rtsp, rtsps, rtspt, got \"http\""},
        Case{"rtsp_camera", R"({"rtsp_camera":{"url":"rtsp://cam.local/s","transport":"quic"}})",
             "rtsp_camera.transport",
             "unknown value \"quic\" (expected one of: tcp, udp, udp-mcast, auto)"},
        Case{"rtsp_camera", R"({"rtsp_camera":{"url":"rtsp://cam.local/s","timeout":0}})",
             "rtsp_camera.timeout", "must be more than 0 and at most 3600 seconds"},
        Case{"rtsp_camera", R"({"rtsp_camera":{"url":"rtsp://cam.local/s","password":"p"}})",
             "rtsp_camera.password", "requires username"},
        Case{"rtsp_camera",
             R"({"rtsp_camera":{"url":"rtsp://u:p@cam.local/s","username":"u","password":"p"}})",
             "rtsp_camera.username", "the url already carries credentials: give them once"},
        Case{"uri", R"({"input_url":null})", "input_url", "required for source_kind uri"},
        Case{"uri", R"({"input_url":"not a url"})", "input_url",
             "must be a URL with a scheme (http://, srt://, file://...), could not parse it"},
        Case{"uri", R"({"input_url":"https:///live.m3u8"})", "input_url", "has no host"},
        Case{"test_pattern", R"({"host":"not a host!"})", "host",
             "must be an IP address or a host name, got \"not a host!\""},
        Case{"test_pattern", R"({"broadcast_id":"bad id!"})", "broadcast_id",
             "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"},
        Case{"test_pattern", R"({"create_mountpoint":"yes"})", "create_mountpoint",
             "must be a boolean, got a string"},
        // The mountpoint and its media.
        Case{"test_pattern", R"({"mountpoint_spec":null})", "mountpoint_spec",
             "required for source_kind test_pattern"},
        Case{"test_pattern", R"({"mountpoint_spec":[]})", "mountpoint_spec",
             "must be an object, got an array"},
        Case{"test_pattern", media(""), "mountpoint_spec.media",
             "must list at least one media for type rtp"},
        Case{"test_pattern", R"({"mountpoint_spec":{"media":{}}})", "mountpoint_spec.media",
             "must be an array, got an object"},
        Case{"test_pattern", media("5"), "mountpoint_spec.media[0]",
             "must be an object, got an integer"},
        Case{"test_pattern", media(R"({"codec":"vp8"})"), "mountpoint_spec.media[0].type",
             "required (audio, video or data)"},
        Case{"test_pattern", media(R"({"type":"subtitle"})"), "mountpoint_spec.media[0].type",
             "unknown value \"subtitle\" (expected one of: audio, video, data)"},
        Case{
            "test_pattern",
            media(
                R"({"type":"audio","codec":"opus","port":5002},{"type":"video","codec":"vp8","port":70000})"),
            "mountpoint_spec.media[1].port", "must be 1..65535"},
        Case{"test_pattern", media(R"({"type":"video","codec":"vp8","port":0})"),
             "mountpoint_spec.media[0].port",
             "must be 1..65535 (leave it out to let Janus pick one)"},
        Case{"test_pattern", media(R"({"type":"video","codec":"vp8","port":"5004"})"),
             "mountpoint_spec.media[0].port", "must be an integer, got a string"},
        Case{"test_pattern", media(R"({"type":"video","codec":"vp8","port":5004.5})"),
             "mountpoint_spec.media[0].port", "must be an integer, got a number"},
        Case{"test_pattern", media(R"({"type":"video","codec":"vp8","pt":128})"),
             "mountpoint_spec.media[0].pt", "must be 0..127"},
        Case{"test_pattern", media(R"({"type":"video","codec":"vp8","mindex":-1})"),
             "mountpoint_spec.media[0].mindex", "must be 0..63"},
        Case{
            "test_pattern",
            media(
                R"({"type":"video","mid":"v","codec":"vp8"},{"type":"audio","mid":"v","codec":"opus"})"),
            "mountpoint_spec.media[1].mid",
            "duplicate mid \"v\" (also mountpoint_spec.media[0].mid)"},
        Case{
            "test_pattern",
            media(
                R"({"type":"video","codec":"vp8","port":5004},{"type":"audio","codec":"opus","port":5004})"),
            "mountpoint_spec.media[1].port",
            "port 5004 is already used by mountpoint_spec.media[0].port"},
        Case{"test_pattern",
             media(R"({"type":"video","codec":"vp8","port":5004,"rtcp_port":5004})"),
             "mountpoint_spec.media[0].rtcp_port",
             "port 5004 is already used by mountpoint_spec.media[0].port"},
        Case{"test_pattern", media(R"({"type":"video","codec":"opus"})"),
             "mountpoint_spec.media[0].codec",
             "\"opus\" is not a video codec (" + kVideoCodecs + ")"},
        Case{"test_pattern", media(R"({"type":"video","codec":"mpeg2"})"),
             "mountpoint_spec.media[0].codec",
             "unknown codec \"mpeg2\" (video codecs: " + kVideoCodecs + ")"},
        Case{"test_pattern", media(R"({"type":"audio"})"), "mountpoint_spec.media[0].codec",
             "required for audio media (one of: " + kAudioCodecs + ")"},
        Case{"test_pattern", media(R"({"type":"data","codec":"opus"})"),
             "mountpoint_spec.media[0].codec", "only for audio and video media"},
        Case{"test_pattern", media(R"({"type":"audio","codec":"opus","h264_sps":"x"})"),
             "mountpoint_spec.media[0].h264_sps", "only for video media"},
        Case{"test_pattern", media(R"({"type":"video","codec":"vp8","h264_sps":"x"})"),
             "mountpoint_spec.media[0].h264_sps", "only for codec h264"},
        Case{"test_pattern", media(R"({"type":"video","codec":"h264","svc":true})"),
             "mountpoint_spec.media[0].svc", "only for codec vp9"},
        Case{"test_pattern", media(R"({"type":"video","codec":"vp8","port2":5006})"),
             "mountpoint_spec.media[0].port2", "requires simulcast: true"},
        Case{"test_pattern", media(R"({"type":"audio","codec":"opus","data_type":"text"})"),
             "mountpoint_spec.media[0].data_type", "only for data media"},
        Case{"test_pattern", media(R"({"type":"data","datatype":"json"})"),
             "mountpoint_spec.media[0].datatype",
             "unknown value \"json\" (expected one of: text, binary)"},
        Case{"test_pattern", media(R"({"type":"video","codec":"vp8","multicast":"10.0.0.1"})"),
             "mountpoint_spec.media[0].multicast",
             "must be a multicast IP address, got \"10.0.0.1\""},
        Case{"test_pattern",
             media(R"({"type":"video","codec":"vp8","multicast":"232.0.0.1","mcast":"232.0.0.2"})"),
             "mountpoint_spec.media[0].mcast",
             "conflicts with mountpoint_spec.media[0].multicast (give only one of them)"},
        Case{"test_pattern", media(R"({"type":"video","codec":"vp8","colour":"blue"})"),
             "mountpoint_spec.media[0].colour", "unknown field"},
        Case{"test_pattern", R"({"create_mountpoint":false})", "mountpoint_spec.media[0].port",
             "required when create_mountpoint is false"},
        Case{"test_pattern", R"({"mountpoint_spec":{"type":"live","filename":"/a.opus"}})",
             "mountpoint_spec.type", "source_kind test_pattern needs an rtp mountpoint"},
        Case{"", R"({"source_kind":"frontend_owned","mountpoint_spec":{"type":"rtsp"}})",
             "mountpoint_spec.url", "required for type rtsp", true},
        Case{"test_pattern",
             R"({"mountpoint_spec":{"id":-5,"media":[{"type":"video","codec":"vp8"}]}})",
             "mountpoint_spec.id", "must be >= 1"},
        Case{"test_pattern",
             R"({"mountpoint_spec":{"secret":"","media":[{"type":"video","codec":"vp8"}]}})",
             "mountpoint_spec.secret", "must not be empty (leave it out instead)"},
        Case{"test_pattern",
             R"({"mountpoint_spec":{"url":"rtsp://x/y","media":[{"type":"video","codec":"vp8"}]}})",
             "mountpoint_spec.url", "only for type rtsp"},
        Case{
            "test_pattern",
            R"({"mountpoint_spec":{"extra":"threads=2","media":[{"type":"video","codec":"vp8"}]}})",
            "mountpoint_spec.extra", "must be an object, got a string"},
        Case{
            "test_pattern",
            R"({"mountpoint_spec":{"extra":{"secret":"x"},"media":[{"type":"video","codec":"vp8"}]}})",
            "mountpoint_spec.extra.secret",
            "is a modelled field: set it on the model, not in extra"},
        // Job envelopes.
        Case{"job_stop", R"({"broadcast_id":null})", "broadcast_id", "required for action stop"},
        Case{"job_start", R"({"request":null})", "request", "required for action start"},
        Case{"job_start", R"({"version":2})", "version",
             "unsupported version 2 (this build reads 1)"},
        Case{"job_start", R"({"action":"pause"})", "action",
             "unknown value \"pause\" (expected one of: start_broadcast, stop_broadcast, start, "
             "stop)"},
        Case{"job_start", R"({"job_id":")" + std::string(129, 'j') + R"("})", "job_id",
             "must be at most 128 characters"},
        Case{"job_start", R"({"broadcast_id":"b"})", "broadcast_id",
             "only for action stop (use request.broadcast_id)"},
        Case{"job_stop", R"({"request":{"source_kind":"test_pattern"}})", "request",
             "only for action start"},
        Case{
            "job_start",
            R"({"request":{"source_kind":"test_pattern","mountpoint_spec":{"media":[{"type":"video","codec":"vp8","port":99999}]}}})",
            "request.mountpoint_spec.media[0].port", "must be 1..65535"}));

TEST(MalformedDocument, TheTableIsLargeEnough) {
  // The issue asks for at least 40 malformed requests, each with its own message and path.
  int parameterized = 0;
  const ::testing::UnitTest& unit = *::testing::UnitTest::GetInstance();
  for (int i = 0; i < unit.total_test_suite_count(); ++i) {
    const ::testing::TestSuite* suite = unit.GetTestSuite(i);
    if (std::string_view(suite->name()) == "Requests/MalformedDocument") {
      parameterized = suite->total_test_count();
    }
  }
  EXPECT_GE(parameterized, 40);
}

TEST(MalformedDocument, EveryProblemIsReportedNotOnlyTheFirst) {
  auto request = BroadcastRequest::fromPayload(std::string_view(R"({"source_kind":"videoroom",
      "mountpoint_spec":{"media":[{"type":"video","codec":"opus","port":70000}]}})"));
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.error().fields, (std::vector<FieldError>{
                                        {"mountpoint_spec.media[0].port", "must be 1..65535"},
                                        {"mountpoint_spec.media[0].codec",
                                         "\"opus\" is not a video codec (" + kVideoCodecs + ")"},
                                        {"room_id", "required for source_kind videoroom"},
                                        {"publisher_id", "required for source_kind videoroom"},
                                    }));
  EXPECT_EQ(request.error().message, "invalid broadcast request: 4 problems");
}

TEST(MalformedDocument, StructureErrorsComeFirstAndAllOfThem) {
  // Rules are checked only on a structurally sound document, so a typo never cascades.
  auto request = BroadcastRequest::fromPayload(std::string_view(
      R"({"source_kind":"videoroom","room_id":"x","publisher_id":[],"typo":1,
          "mountpoint_spec":{"media":[{"type":"audoi","codec":"opus"}]}})"));
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.error().fields,
            (std::vector<FieldError>{
                {"room_id", "must be an integer, got a string"},
                {"publisher_id", "must be an integer, got an array"},
                {"mountpoint_spec.media[0].type",
                 "unknown value \"audoi\" (expected one of: audio, video, data)"},
                {"typo", "unknown field"},
            }));
}

TEST(MalformedDocument, SyntaxErrorsAreJsonErrors) {
  auto request = BroadcastRequest::fromPayload(std::string_view(R"({"source_kind":)"));
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.error().message,
            "line 1, column 16: unexpected end of input, expected a value");
}

}  // namespace
}  // namespace su::model
