// The broadcast orchestrator against a real Janus (and real nginx-rtmp, RTSP server): each relay
// flow started and stopped, proven by age_ms and a WebRTC viewer, and followed by a check that
// Janus holds nothing the test created; rollback after failures injected at each step.
#include "orchestrator/orchestrator.hpp"

#include <gtest/gtest.h>

#include "integration/orchestrator_fixture.hpp"

namespace su::orchestrator {
namespace {

using namespace std::chrono_literals;
using model::RunState;

TEST_F(OrchestratorTest, ATestPatternBroadcastRunsReachesAViewerAndLeavesJanusClean) {
  const auto result = start(request(R"({"source_kind":"test_pattern","broadcast_id":"pattern-1",
      "mountpoint_spec":)" + mountpoint(9601, janus->streamingAdminKey()) +
                                    "}"));
  ASSERT_EQ(result.state, RunState::Running) << (result.error ? result.error->message : "");
  EXPECT_EQ(result.broadcastId, "pattern-1");
  ASSERT_TRUE(result.mountpoint);
  EXPECT_TRUE(result.mountpoint->created);
  EXPECT_EQ(result.mountpoint->media.size(), 2u);
  ASSERT_TRUE(result.relay);
  EXPECT_EQ(result.relay->kind, model::RelayKind::Gstreamer);
  EXPECT_EQ(events["pattern-1"],
            (std::vector<std::string>{"broadcast_starting", "mountpoint_created", "relay_started",
                                      "media_confirmed", "broadcast_running"}));
  EXPECT_TRUE(viewerDecodes(9601));

  auto health = wait<AggregateHealth>(
      [&](auto done) { orchestrator->health([done](AggregateHealth h) { done(std::move(h)); }); });
  ASSERT_TRUE(health.ok());
  EXPECT_TRUE(health->healthy);
  ASSERT_EQ(health->broadcasts.size(), 1u);
  const HealthReport& report = health->broadcasts[0].second;
  EXPECT_EQ(report.health.media.size(), 2u);
  for (const auto& media : report.health.media)
    EXPECT_TRUE(media.fresh) << media.mid;
  ASSERT_TRUE(report.relay);
  EXPECT_GT(report.relay->tracks.at(1).packets, 0u);
  // The in-process relay's video got an RTCP port from Janus, and the relay's RTCP is wired.
  ASSERT_TRUE(result.mountpoint->media.at(1).rtcpPort);
  EXPECT_FALSE(result.mountpoint->media.at(0).rtcpPort) << "audio: none asked for";
  EXPECT_TRUE(report.relay->tracks.at(1).rtcpReceived);

  const auto stopped = stop("pattern-1");
  EXPECT_EQ(stopped.state, RunState::Stopped);
  EXPECT_FALSE(stopped.error);
  EXPECT_TRUE(mountpointsInJanus().empty()) << "destroyed with the secret it was created with";
  // Starting, running, (a relay restart may come between: under valgrind the encoder can stall),
  // then stopping and stopped.
  const std::vector<RunState>& seen = states["pattern-1"];
  ASSERT_GE(seen.size(), 4u);
  EXPECT_EQ(std::vector<RunState>(seen.begin(), seen.begin() + 2),
            (std::vector<RunState>{RunState::Starting, RunState::Running}));
  EXPECT_EQ(std::vector<RunState>(seen.end() - 2, seen.end()),
            (std::vector<RunState>{RunState::Stopping, RunState::Stopped}));
}

// One source into three Janus servers (the node's and two more): every mountpoint fed and
// decoded, viewers' keyframe requests reaching the relay from each; one Janus killed and
// restarted while the others keep playing, its output restored with the same mountpoint; every
// Janus clean after the stop.
TEST_F(OrchestratorTest, OneSourceFeedsThreeJanusServersAndOneBackFromACrashIsRestoredAlone) {
  makeOrchestrator({.mediaTimeout = 15s, .restoreRetry = 300ms, .restoreRetryMax = 600ms});
  auto second = test::JanusServer::start();
  auto third = test::JanusServer::start();
  ASSERT_TRUE(second && third);
  auto secondView = connectTo(*second);
  auto thirdView = connectTo(*third);
  ASSERT_TRUE(secondView && thirdView);
  const auto result = start(
      request(R"({"source_kind":"test_pattern","broadcast_id":"fan-out","mountpoint_spec":)" +
              mountpoint(9641, janus->streamingAdminKey()) + R"(,"outputs":[{"janus_url":")" +
              second->url() + R"(","mountpoint_spec":)" +
              mountpoint(9642, second->streamingAdminKey()) + R"(},{"janus_url":")" + third->url() +
              R"(","mountpoint_spec":)" + mountpoint(9643, third->streamingAdminKey()) + "}]}"));
  ASSERT_EQ(result.state, RunState::Running) << (result.error ? result.error->message : "");
  ASSERT_EQ(result.outputs.size(), 2u);
  for (const model::OutputSection& output : result.outputs) {
    EXPECT_EQ(output.state, RunState::Running);
    ASSERT_TRUE(output.mountpoint);
    EXPECT_TRUE(output.mountpoint->created);
  }
  EXPECT_EQ(result.outputs[0].mountpoint->id, 9642);
  EXPECT_EQ(result.outputs[1].mountpoint->id, 9643);
  ASSERT_TRUE(result.health);
  EXPECT_EQ(result.health->outputs.size(), 2u) << "media confirmed on every Janus";
  EXPECT_TRUE(hasEvent("fan-out", "output_mountpoint_created"));

  EXPECT_TRUE(viewerDecodes(9641));
  EXPECT_TRUE(viewerDecodes(9642, 30, &secondView->session()));
  EXPECT_TRUE(viewerDecodes(9643, 30, &thirdView->session()));
  auto health = wait<AggregateHealth>(
      [&](auto done) { orchestrator->health([done](AggregateHealth h) { done(std::move(h)); }); });
  ASSERT_TRUE(health.ok());
  EXPECT_TRUE(health->healthy);
  const HealthReport& report = health->broadcasts.at(0).second;
  ASSERT_EQ(report.health.outputs.size(), 2u);
  for (const model::OutputHealth& output : report.health.outputs)
    EXPECT_TRUE(output.healthy) << output.janusUrl;
  ASSERT_TRUE(report.relay);
  ASSERT_EQ(report.relay->tracks.size(), 6u) << "audio and video for each of three mountpoints";
  for (const supervisor::TrackStats& track : report.relay->tracks) {
    SCOPED_TRACE("output " + std::to_string(track.output) + " mid " + track.mid);
    EXPECT_GT(track.packets, 0u);
    if (track.type != model::MediaType::Video) continue;
    // Each Janus's viewer asked for a keyframe, and that Janus's RTCP reached the relay.
    ASSERT_TRUE(track.keyframeRequests);
    EXPECT_GT(*track.keyframeRequests, 0u);
  }

  third->kill();
  EXPECT_TRUE(mediaFresh(*streaming, 9641, 2)) << "the others keep playing";
  EXPECT_TRUE(mediaFresh(secondView->streaming(), 9642, 2));
  health = wait<AggregateHealth>(
      [&](auto done) { orchestrator->health([done](AggregateHealth h) { done(std::move(h)); }); });
  ASSERT_TRUE(health.ok());
  EXPECT_FALSE(health->healthy);
  const auto& away = health->broadcasts.at(0).second.health.outputs;
  ASSERT_EQ(away.size(), 2u);
  EXPECT_TRUE(away[0].healthy);
  EXPECT_FALSE(away[1].healthy);
  EXPECT_TRUE(away[1].janusError);
  EXPECT_EQ(orchestrator->result("fan-out")->state, RunState::Running);

  ASSERT_TRUE(third->restart());
  ASSERT_TRUE(runUntil([&] { return hasEvent("fan-out", "output_restored"); }, 20s));
  EXPECT_TRUE(hasEvent("fan-out", "output_mountpoint_recreated"));
  EXPECT_FALSE(hasEvent("fan-out", "janus_restored")) << "the node's own Janus never went";
  const auto restored = orchestrator->result("fan-out");
  EXPECT_EQ(restored->state, RunState::Running);
  EXPECT_EQ(restored->outputs.at(1).state, RunState::Running);
  ASSERT_TRUE(runUntil([&] { return thirdView->session().ready(); }, 15s));
  EXPECT_TRUE(mediaFresh(thirdView->streaming(), 9643, 2)) << "the same ports, fed again at once";
  EXPECT_TRUE(viewerDecodes(9643, 30, &thirdView->session()));

  EXPECT_EQ(stop("fan-out").state, RunState::Stopped);
  EXPECT_TRUE(mountpointsInJanus().empty());
  EXPECT_TRUE(mountpointIds(secondView->streaming()).empty());
  EXPECT_TRUE(mountpointIds(thirdView->streaming()).empty());
}

TEST_F(OrchestratorTest, AnOutputWhoseJanusDoesNotAnswerFailsTheStartAndLeavesEveryJanusClean) {
  auto second = test::JanusServer::start();
  ASSERT_TRUE(second);
  auto secondView = connectTo(*second);
  ASSERT_TRUE(secondView);
  const std::string nowhere = "ws://127.0.0.1:" + std::to_string(test::freeTcpPort());
  const auto result = start(request(
      R"({"source_kind":"test_pattern","broadcast_id":"half-out","mountpoint_spec":)" +
      mountpoint(9644, janus->streamingAdminKey()) + R"(,"outputs":[{"janus_url":")" +
      second->url() + R"(","mountpoint_spec":)" + mountpoint(9645, second->streamingAdminKey()) +
      R"(},{"janus_url":")" + nowhere + R"("}]})"));
  EXPECT_EQ(result.state, RunState::Failed);
  ASSERT_TRUE(result.error);
  EXPECT_NE(result.error->message.find("output 2 (" + nowhere + ")"), std::string::npos)
      << result.error->message;
  EXPECT_TRUE(mountpointsInJanus().empty());
  EXPECT_TRUE(mountpointIds(secondView->streaming()).empty()) << "output 1's mountpoint undone";
}

// The ffmpeg relay feeds outputs too: one process, an RTP output per media per Janus.
TEST_F(OrchestratorTest, AnRtmpBroadcastOverFfmpegFeedsTwoJanusServers) {
  auto second = test::JanusServer::start();
  ASSERT_TRUE(second);
  auto secondView = connectTo(*second);
  ASSERT_TRUE(secondView);
  auto rtmp = test::RtmpServer::start();
  ASSERT_TRUE(rtmp);
  auto publisher = test::RtmpPublisher::start(rtmp->url("two-ways"));
  ASSERT_TRUE(publisher);
  const auto result = start(request(
      R"({"source_kind":"rtmp_external","relay_kind":"ffmpeg","broadcast_id":"ffmpeg-out",
      "srs":{"publish_url":")" +
      rtmp->url("two-ways") + R"("},"mountpoint_spec":)" +
      mountpoint(9646, janus->streamingAdminKey()) + R"(,"outputs":[{"janus_url":")" +
      second->url() + R"(","mountpoint_spec":)" + mountpoint(9647, second->streamingAdminKey()) +
      "}]}"));
  ASSERT_EQ(result.state, RunState::Running) << (result.error ? result.error->message : "");
  EXPECT_TRUE(viewerDecodes(9646));
  EXPECT_TRUE(viewerDecodes(9647, 30, &secondView->session()));
  EXPECT_EQ(stop("ffmpeg-out").state, RunState::Stopped);
  EXPECT_TRUE(mountpointsInJanus().empty());
  EXPECT_TRUE(mountpointIds(secondView->streaming()).empty());
}

TEST_F(OrchestratorTest, RtmpAndRtspBroadcastsRunSideBySideAndStopOneByOne) {
  auto rtmp = test::RtmpServer::start();
  ASSERT_TRUE(rtmp);
  auto publisher = test::RtmpPublisher::start(rtmp->url("orchestrated"));
  auto camera =
      test::RtspTestServer::start(context(), {.user = "viewer", .password = "cam-pass-6"});
  ASSERT_TRUE(camera);

  const auto fromRtmp = start(request(
      R"({"source_kind":"rtmp_external","broadcast_id":"rtmp-1","srs":{"rtmp_url":"rtmp://127.0.0.1:)" +
      std::to_string(rtmp->port()) + R"(","app":"live","stream_key":"orchestrated"},
      "mountpoint_spec":)" +
      mountpoint(9602, janus->streamingAdminKey()) + "}"));
  ASSERT_EQ(fromRtmp.state, RunState::Running) << (fromRtmp.error ? fromRtmp.error->message : "");
  const auto fromCamera = start(
      request(R"({"source_kind":"rtsp_camera","broadcast_id":"camera-1","rtsp_camera":{"url":")" +
              camera->url() + R"(","username":"viewer","password":"cam-pass-6"},
      "mountpoint_spec":)" +
              mountpoint(9603, janus->streamingAdminKey()) + "}"));
  ASSERT_EQ(fromCamera.state, RunState::Running)
      << (fromCamera.error ? fromCamera.error->message : "");
  EXPECT_EQ(fromCamera.relay->input.value_or("").find("cam-pass-6"), std::string::npos);
  EXPECT_TRUE(viewerDecodes(9602));
  EXPECT_TRUE(viewerDecodes(9603));

  EXPECT_EQ(stop("rtmp-1").state, RunState::Stopped);
  EXPECT_EQ(mountpointsInJanus(), std::vector<std::int64_t>{9603}) << "only one stopped";
  EXPECT_EQ(orchestrator->result("camera-1")->state, RunState::Running);
  EXPECT_EQ(stop("camera-1").state, RunState::Stopped);
  EXPECT_TRUE(mountpointsInJanus().empty());
}

// The ffmpeg relay takes the camera's transport and timeout (the unit test checks the options
// exactly): ffmpeg 5.1 accepts them, and a camera that only sends RTP over UDP plays with
// transport udp.
TEST_F(OrchestratorTest, AnRtspCameraOverFfmpegUsesTheCamerasTransport) {
  auto camera = test::RtspTestServer::start(context(), {.udpOnly = true});
  ASSERT_TRUE(camera);
  const auto result = start(
      request(R"({"source_kind":"rtsp_camera","relay_kind":"ffmpeg","broadcast_id":"udp-camera",)"
              R"("rtsp_camera":{"url":")" +
              camera->url() + R"(","transport":"udp","timeout":4},"mountpoint_spec":)" +
              mountpoint(9645, janus->streamingAdminKey()) + "}"));
  ASSERT_EQ(result.state, RunState::Running) << (result.error ? result.error->message : "");
  EXPECT_TRUE(viewerDecodes(9645));
  EXPECT_EQ(stop("udp-camera").state, RunState::Stopped);
  EXPECT_TRUE(mountpointsInJanus().empty());
}

// The original's form of gstreamer_pipeline: the whole pipeline, ending in its own udpsinks to
// the ports the mountpoint spec names; it runs as given and a viewer decodes it.
TEST_F(OrchestratorTest, AWholeGstreamerPipelineRunsAsGivenIntoItsMountpoint) {
  const std::uint16_t audioPort = test::freeUdpPort();
  const std::uint16_t videoPort = test::freeUdpPort();
  const std::string pipeline =
      "videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1,format=I420 ! "
      "x264enc tune=zerolatency key-int-max=30 ! video/x-h264,profile=constrained-baseline ! "
      "rtph264pay config-interval=-1 pt=96 ! udpsink host=127.0.0.1 sync=false port=" +
      std::to_string(videoPort) +
      " audiotestsrc is-live=true ! audioconvert ! audioresample ! opusenc ! rtpopuspay pt=111 ! "
      "udpsink host=127.0.0.1 sync=false port=" +
      std::to_string(audioPort);
  const auto result = start(request(
      R"({"source_kind":"test_pattern","broadcast_id":"whole-1","gstreamer_pipeline":")" +
      pipeline + R"(","mountpoint_spec":{"id":9646,"secret":"mp-secret-9646","admin_key":")" +
      janus->streamingAdminKey() + R"(","media":[{"type":"audio","codec":"opus","port":)" +
      std::to_string(audioPort) + R"(},{"type":"video","codec":"h264","port":)" +
      std::to_string(videoPort) + "}]}}"));
  ASSERT_EQ(result.state, RunState::Running) << (result.error ? result.error->message : "");
  EXPECT_TRUE(viewerDecodes(9646));
  EXPECT_EQ(stop("whole-1").state, RunState::Stopped);
  EXPECT_TRUE(mountpointsInJanus().empty());
}

TEST_F(OrchestratorTest, AUriBroadcastAndALegacyExternalOneOverFfmpegReachAViewer) {
  auto rtmp = test::RtmpServer::start();
  ASSERT_TRUE(rtmp);
  auto publisher = test::RtmpPublisher::start(rtmp->url("any-url"));
  // Any URL GStreamer reads: here the ingest's RTMP URL.
  const auto fromUrl = start(request(R"({"source_kind":"uri","broadcast_id":"url-1",
      "input_url":")" + rtmp->url("any-url") +
                                     R"(","mountpoint_spec":)" +
                                     mountpoint(9621, janus->streamingAdminKey()) + "}"));
  ASSERT_EQ(fromUrl.state, RunState::Running) << (fromUrl.error ? fromUrl.error->message : "");
  EXPECT_EQ(fromUrl.relay->kind, model::RelayKind::Gstreamer);
  EXPECT_TRUE(viewerDecodes(9621));
  EXPECT_EQ(stop("url-1").state, RunState::Stopped);

  // The original's name for rtmp_external, with the ffmpeg relay asked for.
  const auto legacy = start(request(
      R"({"source_kind":"external","relay_kind":"ffmpeg","broadcast_id":"legacy-1",
      "srs":{"publish_url":")" +
      rtmp->url("any-url") + R"("},"mountpoint_spec":)" +
      mountpoint(9622, janus->streamingAdminKey()) + "}"));
  ASSERT_EQ(legacy.state, RunState::Running) << (legacy.error ? legacy.error->message : "");
  EXPECT_EQ(legacy.request.sourceKind, model::SourceKind::RtmpExternal);
  EXPECT_EQ(legacy.relay->kind, model::RelayKind::Ffmpeg);
  EXPECT_TRUE(viewerDecodes(9622));
  EXPECT_EQ(stop("legacy-1").state, RunState::Stopped);
  EXPECT_TRUE(mountpointsInJanus().empty());
}

TEST_F(OrchestratorTest, ACleanupJanusCouldNotBeReachedForIsDoneWhenItIsBack) {
  // The orchestrator's session goes through a proxy that can cut the network; Janus itself runs
  // on, keeping what was created (the test's own session is direct, to look).
  test::TcpProxy proxy(janus->port());
  auto created =
      janus::Session::create(context(), {.url = "ws://127.0.0.1:" + std::to_string(proxy.port()),
                                         .reconnectBackoff = {.initial = 100ms, .max = 300ms}});
  ASSERT_TRUE(created.ok());
  std::unique_ptr<janus::Session> cutSession = std::move(created).value();
  test::RecordingListener cutListener;
  cutSession->addListener(&cutListener);
  ASSERT_TRUE(wait<void>([&](auto done) { cutSession->connect(done); }).ok());
  auto client = wait<std::unique_ptr<janus::StreamingClient>>(
      [&](auto done) { janus::StreamingClient::attach(*cutSession, done); });
  ASSERT_TRUE(client.ok());
  std::unique_ptr<janus::StreamingClient> cutStreaming = std::move(client).value();
  orchestrator = std::make_unique<BroadcastOrchestrator>(
      context(), Backends{.streaming = *cutStreaming, .relays = *realRelays},
      BroadcastOptions{.mediaTimeout = 15s}, observer);
  const auto pattern = [&](std::int64_t mountpointId) {
    return request(R"({"source_kind":"test_pattern","broadcast_id":"cut-1","mountpoint_spec":)" +
                   mountpoint(mountpointId, janus->streamingAdminKey()) + "}");
  };
  ASSERT_EQ(start(pattern(9627)).state, RunState::Running);

  proxy.cut();
  ASSERT_TRUE(runUntil([&] { return !cutListener.lost.empty(); }, 10s));
  auto health = wait<AggregateHealth>(
      [&](auto done) { orchestrator->health([done](AggregateHealth h) { done(std::move(h)); }); });
  ASSERT_TRUE(health.ok());
  ASSERT_EQ(health->broadcasts.size(), 1u);
  EXPECT_FALSE(health->healthy) << "Janus cannot say whether media arrives";
  const auto& janusError = health->broadcasts[0].second.health.janusError;
  ASSERT_TRUE(janusError);
  EXPECT_FALSE(janusError->empty());

  const auto stopped = stop("cut-1");
  EXPECT_EQ(stopped.state, RunState::Stopped);
  ASSERT_TRUE(stopped.error);
  EXPECT_NE(stopped.error->message.find("1 will be retried when Janus is back"), std::string::npos)
      << stopped.error->message;
  EXPECT_TRUE(hasEvent("cut-1", "cleanup_pending"));
  EXPECT_EQ(mountpointsInJanus(), std::vector<std::int64_t>{9627}) << "Janus still has it";
  health = wait<AggregateHealth>(
      [&](auto done) { orchestrator->health([done](AggregateHealth h) { done(std::move(h)); }); });
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->cleanupPending, 1);

  // The network is back, and the same id is started again before the restore comes round: the
  // old broadcast's cleanup is kept apart from the new one's.
  proxy.resume();
  ASSERT_TRUE(runUntil([&] { return cutListener.restored > 0; }, 10s));
  ASSERT_EQ(start(pattern(9628)).state, RunState::Running);
  orchestrator->janusRestored();
  ASSERT_TRUE(runUntil([&] { return hasEvent("cut-1", "cleanup_completed"); }, 10s));
  EXPECT_EQ(mountpointsInJanus(), std::vector<std::int64_t>{9628});
  // The new broadcast restores too (janusRestored made it retrying): Janus kept its mountpoint,
  // so it runs again once Janus said so — which may come after the old one's cleanup.
  ASSERT_TRUE(
      runUntil([&] { return orchestrator->result("cut-1")->state == RunState::Running; }, 10s));
  health = wait<AggregateHealth>(
      [&](auto done) { orchestrator->health([done](AggregateHealth h) { done(std::move(h)); }); });
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->cleanupPending, 0);
  ASSERT_EQ(health->broadcasts.size(), 1u);
  const model::BroadcastHealth& restored = health->broadcasts[0].second.health;
  EXPECT_TRUE(health->healthy) << json::Value::of(restored.toJson()).toString();

  EXPECT_EQ(stop("cut-1").state, RunState::Stopped);
  EXPECT_TRUE(mountpointsInJanus().empty());
  orchestrator.reset();  // before the session it uses
}

TEST_F(OrchestratorTest, DestroyingTheOrchestratorStopsEveryBroadcastAndLeavesJanusClean) {
  ASSERT_EQ(start(request(R"({"source_kind":"test_pattern","broadcast_id":"left-1",
      "mountpoint_spec":)" +
                          mountpoint(9623, janus->streamingAdminKey()) + "}"))
                .state,
            RunState::Running);
  ASSERT_EQ(start(request(R"({"source_kind":"test_pattern","broadcast_id":"left-2",
      "mountpoint_spec":)" +
                          mountpoint(9624, janus->streamingAdminKey()) + "}"))
                .state,
            RunState::Running);
  EXPECT_EQ(mountpointsInJanus().size(), 2u);
  orchestrator.reset();  // as the original's context manager on exit
  EXPECT_TRUE(mountpointsInJanus().empty());
  EXPECT_EQ(states["left-1"].back(), RunState::Stopped);
  EXPECT_EQ(states["left-2"].back(), RunState::Stopped);
}

TEST_F(OrchestratorTest, StartingARunningIdAgainReturnsItInsteadOfProvisioningTwice) {
  const std::string json = R"({"source_kind":"test_pattern","broadcast_id":"twice",
      "mountpoint_spec":)" +
                           mountpoint(9604, janus->streamingAdminKey()) + "}";
  // The second start arrives while the first is still starting.
  std::optional<Result<model::BroadcastResult>> first, second;
  orchestrator->start(request(json), [&](auto r) { first = std::move(r); });
  orchestrator->start(request(json), [&](auto r) { second = std::move(r); });
  ASSERT_TRUE(runUntil([&] { return first && second; }, 30s));
  ASSERT_TRUE(first->ok() && second->ok());
  EXPECT_EQ((*first)->state, RunState::Running);
  EXPECT_EQ((*second)->state, RunState::Running);
  EXPECT_EQ(start(request(json)).state, RunState::Running) << "and once it runs";
  EXPECT_EQ(mountpointsInJanus(), std::vector<std::int64_t>{9604});
  EXPECT_EQ(orchestrator->list().size(), 1u);
  stop("twice");
  EXPECT_TRUE(mountpointsInJanus().empty());
}

TEST_F(OrchestratorTest, AFailureAtEachStepUndoesWhatWasDoneAndLeavesJanusClean) {
  // Mountpoint create refused.
  failingStreaming->failCreate = true;
  auto result = start(request(R"({"source_kind":"test_pattern","broadcast_id":"no-mountpoint",
      "mountpoint_spec":)" + mountpoint(9605, janus->streamingAdminKey()) +
                              "}"));
  EXPECT_EQ(result.state, RunState::Failed);
  ASSERT_TRUE(result.error);
  EXPECT_NE(result.error->message.find("injected: create refused"), std::string::npos);
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors.back().first, "mountpoint");
  failingStreaming->failCreate = false;

  // The relay cannot be made: the mountpoint created for it is destroyed again.
  failingRelays->fail = true;
  result = start(request(R"({"source_kind":"test_pattern","broadcast_id":"no-relay",
      "mountpoint_spec":)" +
                         mountpoint(9606, janus->streamingAdminKey()) + "}"));
  EXPECT_EQ(result.state, RunState::Failed);
  EXPECT_EQ(errors.back().first, "relay");
  EXPECT_TRUE(mountpointsInJanus().empty());
  EXPECT_EQ(events["no-relay"].back(), "janus_resource_closed");
  failingRelays->fail = false;

  // The relay runs nowhere (nothing publishes): the start times out and is undone.
  auto rtmp = test::RtmpServer::start();
  ASSERT_TRUE(rtmp);
  makeOrchestrator({.mediaTimeout = 2s});
  result = start(request(
      R"({"source_kind":"rtmp_external","broadcast_id":"silent","srs":{"rtmp_url":"rtmp://127.0.0.1:)" +
      std::to_string(rtmp->port()) + R"(","app":"live","stream_key":"nobody-publishes"},
      "mountpoint_spec":)" +
      mountpoint(9607, janus->streamingAdminKey()) + "}"));
  EXPECT_EQ(result.state, RunState::Failed);
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->message.rfind("the relay sent no media within 2000 ms", 0), 0u)
      << result.error->message;
  EXPECT_EQ(result.error->message.find("nobody-publishes"), std::string::npos);
  EXPECT_TRUE(mountpointsInJanus().empty());
}

TEST_F(OrchestratorTest, OnlyWhatTheBroadcastCreatedAndOwnsIsDestroyed) {
  // An existing mountpoint, used through its ports: never destroyed.
  model::MountPoint existing{
      .id = 9608, .secret = "existing-secret", .adminKey = janus->streamingAdminKey()};
  existing.media = {{.type = model::MediaType::Audio, .codec = "opus"},
                    {.type = model::MediaType::Video, .codec = "h264"}};
  existing.normalize();
  auto created =
      wait<janus::MountPointCreated>([&](auto done) { streaming->create(existing, done); });
  ASSERT_TRUE(created.ok());
  const std::string ports = R"({"id":9608,"media":[{"type":"audio","codec":"opus","port":)" +
                            std::to_string(created->ports[0].port) +
                            R"(},{"type":"video","codec":"h264","port":)" +
                            std::to_string(created->ports[1].port) + "}]}";
  auto result = start(request(R"({"source_kind":"test_pattern","broadcast_id":"borrowed",
      "create_mountpoint":false,"mountpoint_spec":)" +
                              ports + "}"));
  ASSERT_EQ(result.state, RunState::Running) << (result.error ? result.error->message : "");
  EXPECT_FALSE(result.mountpoint->created);
  stop("borrowed");
  EXPECT_EQ(mountpointsInJanus(), std::vector<std::int64_t>{9608});

  // owned_by_app false: what it created stays.
  result = start(request(R"({"source_kind":"test_pattern","broadcast_id":"not-owned",
      "owned_by_app":false,"mountpoint_spec":)" +
                         mountpoint(9609, janus->streamingAdminKey()) + "}"));
  ASSERT_EQ(result.state, RunState::Running);
  stop("not-owned");
  auto remaining = mountpointsInJanus();
  std::sort(remaining.begin(), remaining.end());
  EXPECT_EQ(remaining, (std::vector<std::int64_t>{9608, 9609}));
  for (std::int64_t id : remaining) {
    const std::string secret = id == 9608 ? "existing-secret" : "mp-secret-9609";
    EXPECT_TRUE(
        wait<janus::Removal>([&](auto done) { streaming->destroy(id, secret, false, done); }).ok());
  }
}

TEST_F(OrchestratorTest, FrontendOwnedRelaysNothingAndSaysHowTheBrowserPublishes) {
  const auto result = start(request(R"({"source_kind":"frontend_owned","broadcast_id":"front",
      "mountpoint_spec":)" + mountpoint(9610, janus->streamingAdminKey()) +
                                    "}"));
  ASSERT_EQ(result.state, RunState::Running) << (result.error ? result.error->message : "");
  EXPECT_FALSE(result.relay);
  ASSERT_TRUE(result.note);
  EXPECT_NE(result.note->find("the browser publishes"), std::string::npos);
  stop("front");
  EXPECT_TRUE(mountpointsInJanus().empty());
}

// A long-running service starts broadcasts without end: only the most recent finished ones stay
// listed, and a stop of a forgotten one is an unknown id.
TEST_F(OrchestratorTest, OnlyTheMostRecentFinishedBroadcastsStayListed) {
  orchestrator = std::make_unique<BroadcastOrchestrator>(
      context(), Backends{.streaming = *streaming, .relays = *realRelays},
      BroadcastOptions{.finishedKept = 2}, observer);
  for (int i = 0; i < 4; ++i) {
    const std::string id = "kept-" + std::to_string(i);
    ASSERT_EQ(start(request(R"({"source_kind":"frontend_owned","broadcast_id":")" + id +
                            R"(","mountpoint_spec":)" +
                            mountpoint(9640 + i, janus->streamingAdminKey()) + "}"))
                  .state,
              RunState::Running);
    EXPECT_EQ(stop(id).state, RunState::Stopped);
  }
  // Each start forgets what is beyond the two most recent finished; the last stop added one.
  std::vector<std::string> listed;
  for (const auto& result : orchestrator->list())
    listed.push_back(result.broadcastId);
  EXPECT_EQ(listed, (std::vector<std::string>{"kept-1", "kept-2", "kept-3"}));
  ASSERT_EQ(start(request(R"({"source_kind":"frontend_owned","broadcast_id":"kept-4",)"
                          R"("mountpoint_spec":)" +
                          mountpoint(9644, janus->streamingAdminKey()) + "}"))
                .state,
            RunState::Running);
  listed.clear();
  for (const auto& result : orchestrator->list())
    listed.push_back(result.broadcastId);
  EXPECT_EQ(listed, (std::vector<std::string>{"kept-2", "kept-3", "kept-4"}));
  auto forgotten =
      wait<model::BroadcastResult>([&](auto done) { orchestrator->stop("kept-0", done); });
  EXPECT_FALSE(forgotten.ok());
  EXPECT_EQ(stop("kept-4").state, RunState::Stopped);
  EXPECT_EQ(stop("kept-3").state, RunState::Stopped) << "a settled one answers at once";
  EXPECT_TRUE(mountpointsInJanus().empty());
}

TEST_F(OrchestratorTest, AnObsBroadcastPublishesThroughTheIngestAndStopsOBSAndTheRelay) {
  auto obsStudio = test::ObsServer::start();
  ASSERT_TRUE(obsStudio);
  auto rtmp = test::RtmpServer::start();
  ASSERT_TRUE(rtmp);
  const auto result = start(
      request(R"({"source_kind":"obs","broadcast_id":"studio","obs_port":)" +
              std::to_string(obsStudio->port()) + R"(,"obs_password":")" + obsStudio->password() +
              R"(","srs":{"rtmp_url":"rtmp://127.0.0.1:)" + std::to_string(rtmp->port()) +
              R"(","app":"live","stream_key":"studio-key"},"mountpoint_spec":)" +
              mountpoint(9611, janus->streamingAdminKey()) + "}"));
  ASSERT_EQ(result.state, RunState::Running) << (result.error ? result.error->message : "") << "\n"
                                             << obsStudio->logTail();
  ASSERT_TRUE(result.srs);
  EXPECT_NE(std::find(events["studio"].begin(), events["studio"].end(), "obs_streaming"),
            events["studio"].end());
  EXPECT_TRUE(viewerDecodes(9611));
  auto health = wait<AggregateHealth>(
      [&](auto done) { orchestrator->health([done](AggregateHealth h) { done(std::move(h)); }); });
  ASSERT_TRUE(health.ok());
  ASSERT_EQ(health->broadcasts.size(), 1u);
  EXPECT_EQ(health->broadcasts[0].second.health.obsStreaming, true);
  EXPECT_TRUE(health->healthy);

  EXPECT_EQ(stop("studio").state, RunState::Stopped);
  EXPECT_TRUE(mountpointsInJanus().empty());
  // OBS itself was told to stop.
  auto checker =
      obs::Client::create(context(), {.url = obsStudio->url(), .password = obsStudio->password()});
  ASSERT_TRUE(checker.ok());
  ASSERT_TRUE(wait<void>([&](auto done) { (*checker)->connect(done); }).ok());
  obs::Bridge bridge(**checker);
  auto status = wait<obs::StreamStatus>([&](auto done) { bridge.status(done); });
  ASSERT_TRUE(status.ok());
  EXPECT_FALSE(status->active);
}

TEST_F(OrchestratorTest, AnObsThatCannotPublishIsUndoneAndJanusLeftClean) {
  auto obsStudio = test::ObsServer::start();
  ASSERT_TRUE(obsStudio);
  const auto result = start(
      request(R"({"source_kind":"obs","broadcast_id":"no-ingest","obs_port":)" +
              std::to_string(obsStudio->port()) + R"(,"obs_password":")" + obsStudio->password() +
              R"(","srs":{"rtmp_url":"rtmp://127.0.0.1:)" + std::to_string(test::freeTcpPort()) +
              R"(","app":"live","stream_key":"lost-key"},"mountpoint_spec":)" +
              mountpoint(9612, janus->streamingAdminKey()) + "}"));
  EXPECT_EQ(result.state, RunState::Failed);
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors.back().first, "obs") << errors.back().second.message;
  EXPECT_TRUE(mountpointsInJanus().empty());

  const auto wrongPassword =
      start(request(R"({"source_kind":"obs","broadcast_id":"wrong-password","obs_port":)" +
                    std::to_string(obsStudio->port()) + R"(,"obs_password":"not-it-6",)" +
                    R"("srs":{"rtmp_url":"rtmp://127.0.0.1:1935","app":"live","stream_key":"k"},)" +
                    R"("mountpoint_spec":)" + mountpoint(9613, janus->streamingAdminKey()) + "}"));
  EXPECT_EQ(wrongPassword.state, RunState::Failed);
  ASSERT_TRUE(wrongPassword.error);
  EXPECT_NE(wrongPassword.error->message.find("AuthenticationFailed"), std::string::npos);
  EXPECT_EQ(wrongPassword.error->message.find("not-it-6"), std::string::npos);
  EXPECT_TRUE(mountpointsInJanus().empty());
}

TEST_F(OrchestratorTest, AVideoRoomPublisherIsForwardedIntoTheMountpointWithKeyframeFeedback) {
  // An existing room with a publisher: used, never destroyed.
  model::RoomSpec existing{.room = 4600,
                           .secret = std::string("room-secret-4600"),
                           .adminKey = janus->videoRoomAdminKey(),
                           .videocodec = std::string("h264")};
  ASSERT_TRUE(wait<janus::RoomCreated>([&](auto done) { videoroom->create(existing, done); }).ok());
  ASSERT_TRUE(publish(4600, 4642, "camera-desk"));

  const std::uint16_t videoRtcpPort = test::freeUdpPort();
  const auto result = start(request(
      R"({"source_kind":"videoroom","broadcast_id":"room-1","room_id":4600,"publisher_id":4642,
      "room_spec":)" +
      roomSpec(4600) + R"(,"mountpoint_spec":)" +
      mountpoint(9614, janus->streamingAdminKey(), videoRtcpPort) + "}"));
  ASSERT_EQ(result.state, RunState::Running) << (result.error ? result.error->message : "") << "\n"
                                             << janus->logTail();
  ASSERT_TRUE(result.room);
  EXPECT_FALSE(result.room->created);
  ASSERT_TRUE(result.forward);
  EXPECT_EQ(result.forward->publisherId, 4642);
  ASSERT_EQ(result.forward->forwarders.size(), 2u);
  EXPECT_EQ(forwardersIn(4600), 2u);
  // The video forwarder was told the mountpoint's RTCP port (Janus's reply echoes it).
  const std::string raw = result.forward->raw.toString();
  EXPECT_NE(raw.find(R"("remote_rtcp_port":)" + std::to_string(videoRtcpPort)), std::string::npos)
      << raw;
  EXPECT_TRUE(viewerDecodes(9614));
  auto health = wait<AggregateHealth>(
      [&](auto done) { orchestrator->health([done](AggregateHealth h) { done(std::move(h)); }); });
  ASSERT_TRUE(health.ok());
  EXPECT_TRUE(health->healthy);
  EXPECT_EQ(health->broadcasts.at(0).second.health.forwarding, true);

  EXPECT_EQ(stop("room-1").state, RunState::Stopped);
  EXPECT_TRUE(mountpointsInJanus().empty());
  EXPECT_TRUE(roomExists(4600)) << "a room it only used stays";
  EXPECT_EQ(forwardersIn(4600), 0u) << "its forwarders do not";
}

TEST_F(OrchestratorTest, ABrowserPublisherIsAwaitedByNameAndForwardedAgainWhenItRepublishes) {
  std::optional<Result<model::BroadcastResult>> started;
  orchestrator->start(
      request(R"({"source_kind":"browser_webrtc","broadcast_id":"browser-1","room_id":4601,
          "publisher_display":"alice-laptop","room_spec":)" +
              roomSpec(4601) + R"(,"mountpoint_spec":)" +
              mountpoint(9615, janus->streamingAdminKey(), test::freeUdpPort()) + "}"),
      [&](auto r) { started = std::move(r); });
  ASSERT_TRUE(runUntil([&] { return hasEvent("browser-1", "awaiting_publisher"); }, 10s));
  EXPECT_TRUE(roomExists(4601)) << "created from room_spec";
  ASSERT_TRUE(publish(4601, 4701, "alice-laptop"));
  ASSERT_TRUE(runUntil([&] { return started.has_value(); }, 30s));
  ASSERT_TRUE(started->ok());
  ASSERT_EQ((*started)->state, RunState::Running)
      << ((*started)->error ? (*started)->error->message : "");
  EXPECT_TRUE((*started)->room->created);
  EXPECT_TRUE(viewerDecodes(9615));

  // The browser reloads: it leaves, and comes back as a new publisher with the same name.
  leave();
  ASSERT_TRUE(runUntil(
      [&] { return orchestrator->result("browser-1")->state == RunState::Retrying; }, 10s));
  EXPECT_TRUE(hasEvent("browser-1", "publisher_left"));
  ASSERT_TRUE(publish(4601, 4702, "alice-laptop"));
  ASSERT_TRUE(
      runUntil([&] { return orchestrator->result("browser-1")->state == RunState::Running; }, 15s));
  EXPECT_TRUE(hasEvent("browser-1", "forward_restored"));
  EXPECT_EQ(orchestrator->result("browser-1")->forward->publisherId, 4702);
  EXPECT_TRUE(mediaFresh(*streaming, 9615, 2));
  EXPECT_TRUE(viewerDecodes(9615));

  EXPECT_EQ(stop("browser-1").state, RunState::Stopped);
  EXPECT_TRUE(mountpointsInJanus().empty());
  EXPECT_FALSE(roomExists(4601)) << "the room it created is destroyed with its secret";
}

TEST_F(OrchestratorTest, AFailureInTheRoomFlowUndoesWhatWasDone) {
  const auto roomRequest = [&](const std::string& id, std::int64_t room, std::int64_t mountpointId,
                               bool withRoomSpec = true) {
    return request(R"({"source_kind":"videoroom","broadcast_id":")" + id + R"(","room_id":)" +
                   std::to_string(room) + R"(,"publisher_id":4800)" +
                   (withRoomSpec ? R"(,"room_spec":)" + roomSpec(room) : std::string()) +
                   R"(,"mountpoint_spec":)" + mountpoint(mountpointId, janus->streamingAdminKey()) +
                   "}");
  };
  // The room cannot be ensured: the mountpoint goes again.
  failingVideoRoom->failEnsure = true;
  auto result = start(roomRequest("no-room", 4602, 9616));
  EXPECT_EQ(result.state, RunState::Failed);
  EXPECT_EQ(errors.back().first, "room");
  EXPECT_TRUE(mountpointsInJanus().empty());
  failingVideoRoom->failEnsure = false;

  // No room_spec, and no such room: nothing to forward from.
  result = start(roomRequest("missing-room", 4603, 9617, false));
  EXPECT_EQ(result.state, RunState::Failed);
  ASSERT_TRUE(result.error);
  EXPECT_NE(result.error->message.find("room 4603 does not exist"), std::string::npos);
  EXPECT_TRUE(mountpointsInJanus().empty());

  // The publisher never comes: the room it created and the mountpoint go.
  makeOrchestrator({.mediaTimeout = 15s, .publisherTimeout = 1s});
  result = start(roomRequest("nobody", 4604, 9618));
  EXPECT_EQ(result.state, RunState::Failed);
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->message, "publisher 4800 did not publish in room 4604 within 1000 ms");
  EXPECT_FALSE(roomExists(4604));
  EXPECT_TRUE(mountpointsInJanus().empty());

  // The forward is refused: room, watcher and mountpoint go.
  model::RoomSpec spec{.room = 4605,
                       .secret = std::string("room-secret-4605"),
                       .adminKey = janus->videoRoomAdminKey(),
                       .videocodec = std::string("h264")};
  ASSERT_TRUE(wait<janus::RoomCreated>([&](auto done) { videoroom->create(spec, done); }).ok());
  ASSERT_TRUE(publish(4605, 4800, "forward-me"));
  failingVideoRoom->failForward = true;
  result = start(roomRequest("no-forward", 4605, 9619));
  EXPECT_EQ(result.state, RunState::Failed);
  EXPECT_EQ(errors.back().first, "forward");
  EXPECT_TRUE(mountpointsInJanus().empty());
  EXPECT_TRUE(roomExists(4605)) << "not created by the broadcast";
  EXPECT_EQ(forwardersIn(4605), 0u);
  failingVideoRoom->failForward = false;

  // A publisher without the streams the mountpoint needs: a clear error, nothing left.
  result = start(request(
      R"({"source_kind":"videoroom","broadcast_id":"three-media","room_id":4605,"publisher_id":4800,
      "room_spec":)" +
      roomSpec(4605) + R"(,"mountpoint_spec":{"id":9620,"admin_key":")" +
      janus->streamingAdminKey() +
      R"(","media":[{"type":"audio","codec":"opus"},{"type":"video","codec":"h264"},
      {"type":"video","codec":"h264"}]}})"));
  EXPECT_EQ(result.state, RunState::Failed);
  ASSERT_TRUE(result.error);
  EXPECT_NE(result.error->message.find("publisher 4800 publishes no stream for video media"),
            std::string::npos)
      << result.error->message;
  EXPECT_TRUE(mountpointsInJanus().empty());
  EXPECT_EQ(forwardersIn(4605), 0u);
}

TEST_F(OrchestratorTest,
       AfterJanusRestartsARoomBroadcastRetriesUntilItsRoomIsBackAndForwardsTheReturningPublisher) {
  makeOrchestrator({.mediaTimeout = 15s, .restoreRetry = 300ms, .restoreRetryMax = 600ms});
  std::optional<Result<model::BroadcastResult>> started;
  orchestrator->start(
      request(R"({"source_kind":"videoroom","broadcast_id":"phoenix","room_id":4606,
          "publisher_id":4860,"room_spec":)" +
              roomSpec(4606) + R"(,"mountpoint_spec":)" +
              mountpoint(9625, janus->streamingAdminKey(), test::freeUdpPort()) + "}"),
      [&](auto r) { started = std::move(r); });
  ASSERT_TRUE(runUntil([&] { return hasEvent("phoenix", "awaiting_publisher"); }, 10s));
  ASSERT_TRUE(publish(4606, 4860, "phoenix-cam"));
  ASSERT_TRUE(runUntil([&] { return started.has_value(); }, 30s));
  ASSERT_EQ((*started)->state, RunState::Running);

  janus->kill();  // rooms, mountpoints, forwarders and the publisher's session all go
  publisher.reset();
  ASSERT_TRUE(janus->restart());
  ASSERT_TRUE(runUntil([&] { return listener.restored > 0; }, 15s));
  // Janus refuses the room at first: the broadcast says so and tries again until it takes it.
  failingVideoRoom->failEnsure = true;
  orchestrator->janusRestored();  // what the service does when its session is restored
  const auto restoreErrors = [&] {
    return std::count_if(errors.begin(), errors.end(),
                         [](const auto& error) { return error.first == "restore"; });
  };
  ASSERT_TRUE(runUntil([&] { return restoreErrors() >= 3; }, 15s));
  EXPECT_TRUE(hasEvent("phoenix", "restore_retry"));
  EXPECT_EQ(orchestrator->result("phoenix")->state, RunState::Retrying);
  failingVideoRoom->failEnsure = false;
  ASSERT_TRUE(runUntil([&] { return hasEvent("phoenix", "room_watched_again"); }, 15s));
  const auto errorsOnceRestored = restoreErrors();
  EXPECT_TRUE(hasEvent("phoenix", "mountpoint_recreated"));
  EXPECT_TRUE(hasEvent("phoenix", "room_recreated"));
  EXPECT_EQ(orchestrator->result("phoenix")->state, RunState::Retrying);

  ASSERT_TRUE(publish(4606, 4860, "phoenix-cam"));  // the page reconnects
  ASSERT_TRUE(
      runUntil([&] { return orchestrator->result("phoenix")->state == RunState::Running; }, 15s));
  EXPECT_TRUE(hasEvent("phoenix", "forward_restored"));
  EXPECT_TRUE(mediaFresh(*streaming, 9625, 2));
  EXPECT_TRUE(viewerDecodes(9625));

  EXPECT_EQ(restoreErrors(), errorsOnceRestored) << "no retry once restored";

  EXPECT_EQ(stop("phoenix").state, RunState::Stopped);
  EXPECT_TRUE(mountpointsInJanus().empty());
  EXPECT_FALSE(roomExists(4606));
}

}  // namespace
}  // namespace su::orchestrator
