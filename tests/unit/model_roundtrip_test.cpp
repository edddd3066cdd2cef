// Every model survives toJson/toPayload -> fromJson/fromPayload unchanged, with every field set.
#include <gtest/gtest.h>

#include "json/parse.hpp"
#include "model/broadcast_result.hpp"
#include "model/decode.hpp"
#include "model/job_envelope.hpp"
#include "model/rtp_forward.hpp"
#include "queue/queue.hpp"
#include "support/printers.hpp"
#include "support/test_data.hpp"

namespace su::model {
namespace {

template <typename T>
T decodeOk(JsonNode* node, std::vector<FieldError>* warnings = nullptr) {
  auto decoded = decode<T>(node, "test document", warnings);
  EXPECT_TRUE(decoded.ok()) << (decoded ? "" : decoded.error().describe()) << "\n"
                            << json::toString(node, json::Style::Pretty);
  return decoded ? *decoded : T{};
}

template <typename T>
void expectRoundTrip(const T& model) {
  GRef<JsonNode> json = model.toJson();
  const T back = decodeOk<T>(json.get());
  EXPECT_EQ(back, model) << json::toString(json.get(), json::Style::Pretty);
  EXPECT_EQ(json::toString(back.toJson().get()), json::toString(json.get()));
}

json::Value jsonValue(std::string_view text) {
  return json::Value::of(test::parseOk(text));
}

MediaTrack fullVideoTrack() {
  MediaTrack video;
  video.type = MediaType::Video;
  video.mid = "v";
  video.port = 5004;
  video.pt = 96;
  video.codec = "h264";
  video.fmtp = "profile-level-id=42e01f;packetization-mode=1";
  video.mindex = 1;
  video.label = "camera";
  video.msid = "stream video";
  video.rtcpPort = 5005;
  video.multicast = "232.0.0.1";
  video.bindInterface = "127.0.0.1";
  video.skew = true;
  video.h264Sps = "Z0IAH5WoFAFuQA==";
  video.simulcast = true;
  video.port2 = 5006;
  video.port3 = 5008;
  video.svc = false;
  video.bufferKeyframe = false;
  return video;
}

MountPoint fullRtpMountPoint() {
  MountPoint mountpoint;
  mountpoint.id = 9001;
  mountpoint.name = "studio";
  mountpoint.description = "Studio feed";
  mountpoint.metadata = R"({"show":"news"})";
  mountpoint.secret = "mp-secret";
  mountpoint.pin = "1234";
  mountpoint.isPrivate = false;
  mountpoint.permanent = false;
  mountpoint.adminKey = "streaming-admin";
  MediaTrack audio;
  audio.type = MediaType::Audio;
  audio.mid = "a";
  audio.port = 5002;
  audio.pt = 111;
  audio.codec = "opus";
  audio.fmtp = "sprop-stereo=1";
  audio.mindex = 0;
  audio.skew = false;
  MediaTrack data;
  data.type = MediaType::Data;
  data.mid = "d";
  data.port = 5010;
  data.dataType = DataType::Binary;
  data.bufferLatestMessage = true;
  mountpoint.media = {audio, fullVideoTrack(), data};
  mountpoint.extra = jsonValue(R"({"threads":2,"playoutdelay_ext":true})");
  return mountpoint;
}

RoomSpec fullRoom() {
  RoomSpec room;
  room.room = 1234;
  room.description = "Town hall";
  room.secret = "room-secret";
  room.pin = "4321";
  room.adminKey = "videoroom-admin";
  room.isPrivate = true;
  room.permanent = false;
  room.allowed = std::vector<std::string>{"token-a", "token-b"};
  room.requirePvtid = false;
  room.publishers = 3;
  room.bitrate = 512000;
  room.bitrateCap = true;
  room.firFreq = 10;
  room.audiocodec = "opus,pcmu";
  room.videocodec = "h264,vp8";
  room.h264Profile = "42e01f";
  room.vp9Profile = "0";
  room.opusFec = true;
  room.opusDtx = false;
  room.videoSvc = false;
  room.record = true;
  room.recDir = "/var/recordings";
  room.lockRecord = true;
  room.notifyJoining = false;
  room.requireE2ee = false;
  room.extra = jsonValue(R"({"dummy_publisher":false})");
  return room;
}

BroadcastRequest fullVideoRoomRequest() {
  BroadcastRequest request;
  request.sourceKind = SourceKind::VideoRoom;
  request.relayKind = RelayKind::None;
  request.roomId = 1234;
  request.publisherId = 42;
  request.createMountpoint = false;
  request.ownedByApp = false;
  request.host = "janus.internal";
  request.mountpointSpec = fullRtpMountPoint();
  request.roomSpec = fullRoom();
  request.description = "forwarded";
  request.broadcastId = "town-hall.1";
  request.queueKind = QueueKind::Redis;
  return request;
}

TEST(ModelRoundTrip, MediaTracksOfEveryType) {
  expectRoundTrip(fullVideoTrack());
  MountPoint mountpoint = fullRtpMountPoint();
  for (const MediaTrack& track : mountpoint.media)
    expectRoundTrip(track);
}

TEST(ModelRoundTrip, MountPointsOfEveryType) {
  expectRoundTrip(fullRtpMountPoint());

  MountPoint rtsp;
  rtsp.type = MountPointType::Rtsp;
  rtsp.id = 77;
  rtsp.url = "rtsp://camera.local:554/stream";
  rtsp.rtspUser = "viewer";
  rtsp.rtspPassword = "camera-pass";
  rtsp.rtspInterface = "eth0";
  rtsp.rtspQuirk = true;
  rtsp.rtspFailcheck = false;
  rtsp.rtspReconnectDelay = 5;
  rtsp.rtspSessionTimeout = 30;
  rtsp.rtspTimeout = 10;
  rtsp.rtspConnTimeout = 5;
  rtsp.audio = false;
  rtsp.video = true;
  expectRoundTrip(rtsp);

  MountPoint live;
  live.type = MountPointType::Live;
  live.filename = "/usr/share/janus/streams/radio.alaw";
  live.audio = true;
  live.video = false;
  expectRoundTrip(live);
  live.type = MountPointType::OnDemand;
  expectRoundTrip(live);
}

TEST(ModelRoundTrip, RoomSpec) {
  expectRoundTrip(fullRoom());
}

TEST(ModelRoundTrip, RtpForwardRequest) {
  RtpForwardRequestSpec forward;
  forward.room = 1234;
  forward.publisherId = 42;
  forward.host = "10.0.0.5";
  forward.hostFamily = "ipv4";
  forward.secret = "room-secret";
  forward.adminKey = "videoroom-admin";
  forward.srtpSuite = 80;
  forward.srtpCrypto = "WbTBosdVUZqEb6Htqhn+m3z7wUh4RJVR8nE15GbN";
  RtpForwardStreamSpec audio;
  audio.mid = "0";
  audio.port = 5002;
  audio.pt = 111;
  audio.ssrc = 4294967295;
  RtpForwardStreamSpec video;
  video.mid = "1";
  video.port = 5004;
  video.host = "10.0.0.6";
  video.hostFamily = "ipv4";
  video.pt = 96;
  video.ssrc = 1;
  video.rtcpPort = 5005;
  video.simulcast = true;
  video.port2 = 5006;
  video.pt2 = 96;
  video.ssrc2 = 2;
  video.port3 = 5008;
  video.pt3 = 96;
  video.ssrc3 = 3;
  forward.streams = {audio, video};
  expectRoundTrip(forward);
}

TEST(ModelRoundTrip, SourceSpecs) {
  SrsIngestSpec srs;
  srs.rtmpUrl = "rtmps://ingest.example.com:443";
  srs.app = "live/backup";
  srs.streamKey = "key-123?auth=abc";
  expectRoundTrip(srs);

  RtspCameraConfig camera;
  camera.url = "rtsps://cam.example.com/ch1";
  camera.username = "viewer";
  camera.password = "pw";
  camera.transport = RtspTransport::UdpMulticast;
  camera.timeoutSeconds = 2.5;
  expectRoundTrip(camera);
}

template <typename T>
void expectPayloadRoundTrip(const T& model) {
  GRef<JsonNode> payload = model.toPayload();
  auto back = T::fromPayload(payload.get());
  ASSERT_TRUE(back.ok()) << back.error().describe() << "\n"
                         << json::toString(payload.get(), json::Style::Pretty);
  EXPECT_EQ(*back, model) << json::toString(payload.get(), json::Style::Pretty);
  EXPECT_EQ(json::toString(back->toPayload().get()), json::toString(payload.get()));
}

TEST(ModelRoundTrip, BroadcastRequestsOfEverySourceKind) {
  expectPayloadRoundTrip(fullVideoRoomRequest());

  BroadcastRequest obs;
  obs.sourceKind = SourceKind::Obs;
  obs.relayKind = RelayKind::Ffmpeg;
  obs.mountpointSpec = fullRtpMountPoint();
  obs.srs = SrsIngestSpec{.rtmpUrl = "rtmp://127.0.0.1:1935", .app = "live", .streamKey = "k1"};
  obs.obsHost = "obs.local";
  obs.obsPort = 4456;
  obs.obsPassword = "obs-pass";
  obs.obsSecure = true;
  expectPayloadRoundTrip(obs);

  BroadcastRequest camera;
  camera.sourceKind = SourceKind::RtspCamera;
  camera.relayKind = RelayKind::Gstreamer;
  camera.mountpointSpec = fullRtpMountPoint();
  camera.rtspCamera = RtspCameraConfig{.url = "rtsp://192.0.2.1/live",
                                       .username = "u",
                                       .password = "p",
                                       .transport = RtspTransport::Udp,
                                       .timeoutSeconds = 7.0};
  camera.gstreamerPipeline = "rtspsrc location=rtsp://192.0.2.1/live ! rtph264depay";
  expectPayloadRoundTrip(camera);

  BroadcastRequest uri;
  uri.sourceKind = SourceKind::Uri;
  uri.relayKind = RelayKind::Gstreamer;
  uri.inputUrl = "srt://:7001?mode=listener";
  uri.mountpointSpec = fullRtpMountPoint();
  uri.queueKind = QueueKind::Kafka;
  expectPayloadRoundTrip(uri);

  BroadcastRequest fanOut;
  fanOut.sourceKind = SourceKind::TestPattern;
  fanOut.relayKind = RelayKind::Gstreamer;
  fanOut.mountpointSpec = fullRtpMountPoint();
  fanOut.outputs = {BroadcastOutput{.janusUrl = "ws://10.0.0.2:8188",
                                    .apiSecret = "edge-secret",
                                    .host = "10.0.1.2",
                                    .mountpointSpec = fullRtpMountPoint()},
                    BroadcastOutput{.janusUrl = "wss://edge-3.example:8989"}};
  fanOut.normalize();
  EXPECT_EQ(fanOut.outputs[1].mountpointSpec, fanOut.mountpointSpec)
      << "an output without a mountpoint_spec takes the broadcast's";
  EXPECT_EQ(fanOut.outputs[1].rtpHost(), "edge-3.example") << "RTP goes to janus_url's host";
  expectPayloadRoundTrip(fanOut);

  BroadcastRequest browser;
  browser.sourceKind = SourceKind::BrowserWebrtc;
  browser.relayKind = RelayKind::None;
  browser.roomId = 9;
  browser.publisherDisplay = "presenter";
  browser.mountpointSpec = fullRtpMountPoint();
  expectPayloadRoundTrip(browser);

  BroadcastRequest frontend;
  frontend.sourceKind = SourceKind::FrontendOwned;
  frontend.relayKind = RelayKind::None;
  expectPayloadRoundTrip(frontend);
}

TEST(ModelRoundTrip, BroadcastResultWithEverySection) {
  BroadcastResult result;
  result.request = fullVideoRoomRequest();
  result.broadcastId = "town-hall.1";
  result.state = RunState::Running;
  result.room = RoomSection{
      .roomId = 1234, .created = true, .raw = jsonValue(R"({"videoroom":"created","room":1234})")};
  result.mountpoint = MountPointSection{
      .id = 9001,
      .created = true,
      .media = {MountPointPort{.mid = "a", .type = MediaType::Audio, .port = 5002},
                MountPointPort{.mid = "v",
                               .type = MediaType::Video,
                               .port = 5004,
                               .rtcpPort = 5005,
                               .port2 = 5006,
                               .port3 = 5008}},
      .raw = jsonValue(R"({"streaming":"created","created":"studio"})")};
  result.forward = ForwardSection{
      .roomId = 1234,
      .publisherId = 42,
      .forwarders = {Forwarder{.mid = "0", .streamId = 11, .host = "127.0.0.1", .port = 5002}},
      .raw = jsonValue(R"({"videoroom":"rtp_forward","forwarders":[]})")};
  result.relay = RelaySection{.kind = RelayKind::Gstreamer,
                              .state = RunState::Retrying,
                              .input = "rtmp://127.0.0.1/live/k",
                              .restarts = 2,
                              .lastError = "connection refused"};
  result.srs = SrsSection{.publishUrl = "rtmp://127.0.0.1:1935/live/k"};
  result.queue =
      QueueSection{.kind = QueueKind::Redis, .jobId = "job-1", .messageId = "1-0", .attempt = 1};
  result.health = BroadcastHealth{.healthy = true,
                                  .media = {MediaHealth{.mid = "a", .ageMs = 12, .fresh = true}},
                                  .relayState = RunState::Running,
                                  .obsStreaming = false,
                                  .janusError = "Janus is not connected",
                                  .checkedAtMs = 1764158400000};
  result.outputs = {OutputSection{
      .janusUrl = "ws://10.0.0.2:8188",
      .state = RunState::Retrying,
      .mountpoint = MountPointSection{
          .id = 9001, .created = true, .media = {MountPointPort{.mid = "v", .port = 20004}}}}};
  result.health->outputs = {OutputHealth{.janusUrl = "ws://10.0.0.2:8188",
                                         .healthy = false,
                                         .media = {MediaHealth{.mid = "v", .ageMs = 4000}},
                                         .janusError = "connection refused"}};
  result.note = "forwarding";
  result.error = ResultError{.domain = "su-janus-error", .code = 455, .message = "gone"};
  expectPayloadRoundTrip(result);
}

TEST(ModelRoundTrip, JobEnvelopes) {
  JobEnvelope start;
  start.jobId = "job-1";
  start.action = JobAction::Start;
  start.request = fullVideoRoomRequest();
  start.attempt = 2;
  start.enqueuedAtMs = 1764158400000;
  expectPayloadRoundTrip(start);

  JobEnvelope stop;
  stop.jobId = "job-2";
  stop.action = JobAction::Stop;
  stop.broadcastId = "town-hall.1";
  expectPayloadRoundTrip(stop);
}

TEST(ModelNames, FriendlyAndJanusNamesReadTheSame) {
  const char* friendly = R"({"type":"video","mid":"v","port":5004,"codec":"H264",
      "rtcp_port":5005,"multicast":"232.0.0.1","bind_interface":"lo","h264_sps":"abc",
      "simulcast":true,"port2":5006,"port3":5008})";
  const char* janus = R"({"type":"video","mid":"v","port":5004,"codec":"h264",
      "rtcpport":5005,"mcast":"232.0.0.1","iface":"lo","h264sps":"abc",
      "simulcast":true,"port_2":5006,"port_3":5008})";
  const char* original = R"({"type":"video","mid":"v","port":5004,"codec":"h264",
      "rtp_port":5005,"multicast":"232.0.0.1","iface":"lo","h264sps":"abc",
      "simulcast":true,"port2":5006,"port3":5008})";
  auto a = json::parse(friendly);
  auto b = json::parse(janus);
  auto c = json::parse(original);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  const MediaTrack fromFriendly = decodeOk<MediaTrack>(a->get());
  EXPECT_EQ(fromFriendly, decodeOk<MediaTrack>(b->get()));
  EXPECT_EQ(fromFriendly, decodeOk<MediaTrack>(c->get()));
  EXPECT_EQ(fromFriendly.rtcpPort, 5005);
  EXPECT_EQ(fromFriendly.codec, "h264") << "codec names are lower-cased";

  auto data = json::parse(R"({"type":"data","datatype":"text","buffermsg":true})");
  ASSERT_TRUE(data.ok());
  const MediaTrack track = decodeOk<MediaTrack>(data->get());
  EXPECT_EQ(track.dataType, DataType::Text);
  EXPECT_EQ(track.bufferLatestMessage, true);
  auto originalData = json::parse(R"({"type":"data","datatype":"text","databuffermsg":false})");
  ASSERT_TRUE(originalData.ok());
  EXPECT_EQ(decodeOk<MediaTrack>(originalData->get()).bufferLatestMessage, false)
      << "the original's databuffermsg";
}

// What the original's producers write and its users parse.
TEST(ModelNames, OriginalWireFormatOfJobsAndResults) {
  auto start = JobEnvelope::fromPayload(std::string_view(R"({"action":"start_broadcast",
      "queue_kind":"redis","request":{"source_kind":"test_pattern","broadcast_id":"b1",
      "mountpoint_spec":{"media":[{"type":"video","codec":"vp8"}]}}})"));
  ASSERT_TRUE(start.ok()) << start.error().describe();
  EXPECT_EQ(start->action, JobAction::Start);
  EXPECT_EQ(start->queueKind, QueueKind::Redis);
  EXPECT_EQ(start->targetId(), "b1");
  const std::string written = json::Value::of(start->toPayload()).toString();
  EXPECT_NE(written.find(R"("action":"start_broadcast")"), std::string::npos) << written;
  EXPECT_EQ(written.find("job_id"), std::string::npos) << "no job id invented: " << written;

  auto stop =
      JobEnvelope::fromPayload(std::string_view(R"({"action":"stop","broadcast_id":"b1"})"));
  ASSERT_TRUE(stop.ok()) << stop.error().describe();
  EXPECT_EQ(stop->action, JobAction::Stop);
  EXPECT_NE(json::Value::of(stop->toPayload()).toString().find(R"("action":"stop_broadcast")"),
            std::string::npos);

  BroadcastResult result;
  result.request = start->request.value();
  result.broadcastId = "b1";
  result.mountpoint = MountPointSection{.id = 7};
  result.relay = RelaySection{};
  result.queue = QueueSection{.kind = QueueKind::Redis, .jobId = "j"};
  result.forward = ForwardSection{};
  result.room = RoomSection{};
  result.srs = SrsSection{.publishUrl = "rtmp://h/live/k"};
  const std::string payload = json::Value::of(result.toPayload()).toString();
  for (const char* field : {"room_response", "mountpoint_response", "forward_response",
                            "relay_info", "srs_info", "queue_info"}) {
    EXPECT_NE(payload.find(std::string("\"") + field + "\""), std::string::npos)
        << field << " in " << payload;
  }
  // Results written before the rename still read.
  std::string older = payload;
  older.replace(older.find("mountpoint_response"), 19, "mountpoint");
  auto read = BroadcastResult::fromPayload(older);
  ASSERT_TRUE(read.ok()) << read.error().describe();
  EXPECT_EQ(read->mountpoint->id, 7);
}

TEST(ModelDefaults, NormalizeFillsMidsPayloadTypesFmtpAndRelayKind) {
  auto request = BroadcastRequest::fromPayload(std::string_view(R"({
      "source_kind": "rtmp_external",
      "srs": {"stream_key": "abc"},
      "mountpoint_spec": {"media": [
        {"type": "audio", "codec": "pcmu"}, {"type": "video", "codec": "h264"},
        {"type": "audio", "codec": "opus", "pt": 100}]}})"));
  ASSERT_TRUE(request.ok()) << request.error().describe();
  EXPECT_EQ(request->relayKind, RelayKind::Gstreamer);
  const auto& media = request->mountpointSpec->media;
  EXPECT_EQ(media[0].mid, "a0");
  EXPECT_EQ(media[0].pt, 0);
  EXPECT_EQ(media[1].mid, "v1");
  EXPECT_EQ(media[1].pt, 96);
  EXPECT_EQ(media[1].fmtp, "profile-level-id=42e01f;packetization-mode=1");
  EXPECT_EQ(media[2].pt, 100);
  EXPECT_EQ(request->srs->publishUrl(), "rtmp://127.0.0.1:1935/live/abc");
  EXPECT_TRUE(request->createMountpoint);
  EXPECT_TRUE(request->ownedByApp);
  EXPECT_FALSE(request->obsSecure);
  EXPECT_EQ(request->host, "127.0.0.1");

  auto videoroom = BroadcastRequest::fromPayload(std::string_view(R"({
      "source_kind": "videoroom", "room_id": 7, "publisher_id": 8, "room_spec": {},
      "mountpoint_spec": {"media": [{"type": "video", "codec": "vp8"}]}})"));
  ASSERT_TRUE(videoroom.ok()) << videoroom.error().describe();
  EXPECT_EQ(videoroom->relayKind, RelayKind::None);
  EXPECT_EQ(videoroom->roomSpec->room, 7) << "the room to ensure is the request's room";
}

TEST(ModelDefaults, ObsSecureNeverComesFromTheEnvironment) {
  g_setenv("OBS_SECURE", "true", TRUE);
  g_setenv("SU_OBS_SECURE", "1", TRUE);
  auto request = BroadcastRequest::fromPayload(std::string_view(R"({"source_kind":"obs",
      "srs":{"stream_key":"k"},"mountpoint_spec":{"media":[{"type":"video","codec":"h264"}]}})"));
  g_unsetenv("OBS_SECURE");
  g_unsetenv("SU_OBS_SECURE");
  ASSERT_TRUE(request.ok());
  EXPECT_FALSE(request->obsSecure);
}

TEST(ModelDefaults, LegacyExternalIsRtmpExternalWithADeprecationWarning) {
  std::vector<FieldError> warnings;
  auto request = BroadcastRequest::fromPayload(
      std::string_view(R"({"source_kind":"external","relay_kind":"ffmpeg",
      "srs":{"stream_key":"k"},"mountpoint_spec":{"media":[{"type":"video","codec":"h264"}]}})"),
      &warnings);
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->sourceKind, SourceKind::RtmpExternal);
  EXPECT_EQ(warnings, (std::vector<FieldError>{
                          {"source_kind", "\"external\" is deprecated, use \"rtmp_external\""}}));
  EXPECT_EQ(json::toString(request->toPayload().get()).find("\"external\""), std::string::npos);
}

TEST(ModelDefaults, FieldsTheSourceKindIgnoresAreWarnedAbout) {
  std::vector<FieldError> warnings;
  auto request = BroadcastRequest::fromPayload(
      std::string_view(R"({"source_kind":"test_pattern","room_id":5,"obs_port":4460,
      "srs":{"stream_key":"k"},"mountpoint_spec":{"media":[{"type":"video","codec":"vp8"}]}})"),
      &warnings);
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(warnings, (std::vector<FieldError>{
                          {"room_id", "ignored for source_kind test_pattern"},
                          {"srs", "ignored for source_kind test_pattern"},
                          {"obs_port", "ignored for source_kind test_pattern"},
                      }));
}

TEST(SrsIngest, PublishUrlAloneIsSplitAndSlashesAreNormalized) {
  auto parts = json::parse(R"({"publish_url":"rtmp://ingest:1935/live/sub/key-9"})");
  ASSERT_TRUE(parts.ok());
  const SrsIngestSpec split = decodeOk<SrsIngestSpec>(parts->get());
  EXPECT_EQ(split.rtmpUrl, "rtmp://ingest:1935");
  EXPECT_EQ(split.app, "live/sub");
  EXPECT_EQ(split.streamKey, "key-9");
  EXPECT_EQ(split.publishUrl(), "rtmp://ingest:1935/live/sub/key-9");

  auto slashes =
      json::parse(R"({"rtmp_url":"rtmp://ingest:1935/","app":"/live/","stream_key":"k"})");
  ASSERT_TRUE(slashes.ok());
  EXPECT_EQ(decodeOk<SrsIngestSpec>(slashes->get()).publishUrl(), "rtmp://ingest:1935/live/k");
}

TEST(ModelRoundTrip, EveryShippedExampleIsValidAndStableUnderNormalization) {
  for (const std::string& name : test::exampleRequests()) {
    SCOPED_TRACE(name);
    const std::string text = test::readExample(name);
    ASSERT_FALSE(text.empty());
    auto request = BroadcastRequest::fromPayload(std::string_view(text));
    ASSERT_TRUE(request.ok()) << request.error().describe();
    expectPayloadRoundTrip(*request);
  }
  for (const std::string& name : test::exampleEnvelopes()) {
    SCOPED_TRACE(name);
    auto job = JobEnvelope::fromPayload(std::string_view(test::readExample(name)));
    ASSERT_TRUE(job.ok()) << job.error().describe();
    expectPayloadRoundTrip(*job);
  }
}

// A Kafka dead letter is shown whatever its value holds: fields of other types or null are left
// empty (json-glib's getters failed a GLib critical on them, or gave std::string a null pointer).
TEST(DeadLetterValue, IsReadWhateverItHolds) {
  const auto full = queue::DeadLetter::fromValue(
      "0/7", R"({"job":"{}","error":"boom","phase":"start","attempts":3,"source_id":"0/2",)"
             R"("failed_at_ms":1700000000000})");
  EXPECT_EQ(full.messageId, "0/7");
  EXPECT_EQ(full.payload, "{}");
  EXPECT_EQ(full.error, "boom");
  EXPECT_EQ(full.phase, "start");
  EXPECT_EQ(full.attempts, 3);
  EXPECT_EQ(full.sourceId, "0/2");
  EXPECT_EQ(full.failedAtMs, 1700000000000);
  for (const char* odd :
       {R"({"job":null,"error":7,"attempts":"x","phase":[]})", "[1]", "not json", ""}) {
    const auto letter = queue::DeadLetter::fromValue("0/8", odd);
    EXPECT_EQ(letter.messageId, "0/8") << odd;
    EXPECT_EQ(letter.payload, "") << odd;
    EXPECT_EQ(letter.error, "") << odd;
    EXPECT_EQ(letter.attempts, 0) << odd;
  }
}

}  // namespace
}  // namespace su::model
