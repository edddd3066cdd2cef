// In-process relays into a real Janus: age_ms fresh for every media, and a WebRTC viewer that
// decodes what arrives.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "janus/streaming.hpp"
#include "media/output.hpp"
#include "supervisor/ffmpeg_relay.hpp"
#include "supervisor/relay.hpp"
#include "support/janus_test.hpp"
#include "support/media_sources.hpp"
#include "support/rtmp_server.hpp"
#include "support/rtsp_server.hpp"

namespace su::supervisor {
namespace {

using namespace std::chrono_literals;
using model::RunState;

class RelayJanusTest : public test::JanusStreamingTest {
 protected:
  void TearDown() override {
    viewer.reset();
    relay.reset();
    JanusStreamingTest::TearDown();
  }

  std::vector<media::OutputTrack> createMountPoint(std::int64_t id, const std::string& relayName,
                                                   bool videoRtcp = false) {
    return createRelayMountPoint(*streaming, id, relayName, videoRtcp);
  }

  bool mediaFresh(std::int64_t id) { return JanusTest::mediaFresh(*streaming, id, 2); }

  void startRelay(const std::string& name, media::SourceSpec source,
                  std::vector<media::OutputTrack> tracks, RelayOptions options = {}) {
    auto created = PipelineRelay::create(context(), name, std::move(source), std::move(tracks),
                                         std::move(options),
                                         [this](RunState state, const std::optional<Error>& error) {
                                           states.push_back(state);
                                           if (error) errors.push_back(*error);
                                         });
    ASSERT_TRUE(created.ok()) << created.error().message;
    relay = std::move(created).value();
    relay->start();
  }

  void watch(std::int64_t id) {
    auto handle = attach(janus::kStreamingPlugin);
    ASSERT_TRUE(handle);
    viewer = std::make_unique<test::StreamingViewer>(context(), handle);
    auto started = wait<void>([&](auto done) { viewer->watch(id, done); });
    ASSERT_TRUE(started.ok()) << started.error().message << "\n" << janus->logTail();
  }

  std::unique_ptr<SupervisedRelay> relay;
  std::unique_ptr<test::StreamingViewer> viewer;
  std::vector<RunState> states;
  std::vector<Error> errors;
};

TEST_F(RelayJanusTest, ATestPatternRelayReachesAWebRtcViewer) {
  auto tracks = createMountPoint(9301, "pattern-janus");
  ASSERT_EQ(tracks.size(), 2u);
  startRelay("pattern-janus", media::TestPatternSource{}, tracks);
  ASSERT_TRUE(runUntil([&] { return relay->state() == RunState::Running; }, 15s))
      << (errors.empty() ? "" : errors.back().message);
  EXPECT_TRUE(mediaFresh(9301)) << "age_ms < 100 for every media";

  watch(9301);
  EXPECT_TRUE(
      runUntil([&] { return viewer->videoFrames() >= 60 && viewer->audioBuffers() > 0; }, 20s))
      << "video frames " << viewer->videoFrames() << ", audio buffers " << viewer->audioBuffers()
      << "\n"
      << janus->logTail();
}

TEST_F(RelayJanusTest, AnRtmpStreamReachesAWebRtcViewerWithAacAsOpus) {
  auto rtmp = test::RtmpServer::start();
  ASSERT_TRUE(rtmp);
  auto publisher = test::RtmpPublisher::start(rtmp->url("encoder-1"));
  ASSERT_TRUE(publisher);
  auto tracks = createMountPoint(9302, "rtmp-janus");
  startRelay("rtmp-janus", media::RtmpSource{rtmp->url("encoder-1")}, tracks);
  ASSERT_TRUE(runUntil([&] { return relay->state() == RunState::Running; }, 20s))
      << (errors.empty() ? "" : errors.back().message) << "\n"
      << publisher->logTail();
  EXPECT_TRUE(mediaFresh(9302)) << "age_ms < 100 for every media";
  watch(9302);
  EXPECT_TRUE(
      runUntil([&] { return viewer->videoFrames() >= 60 && viewer->audioBuffers() > 0; }, 20s))
      << "video frames " << viewer->videoFrames() << ", audio buffers " << viewer->audioBuffers();
  const RelayStats stats = relay->stats();
  EXPECT_EQ(stats.source, rtmp->url("***")) << "the stream key is masked";
}

// RTCP both ways: the relay's sender reports reach Janus (which answers only to where RTCP came
// from), a viewer joining makes Janus send a PLI, and the encoding branch answers it with a
// keyframe — the viewer has video at once although the source's keyframes are 10 s apart.
TEST_F(RelayJanusTest, AViewersKeyframeRequestReachesTheEncoderThroughRtcp) {
  auto rtmp = test::RtmpServer::start();
  ASSERT_TRUE(rtmp);
  auto publisher = test::RtmpPublisher::start(rtmp->url("long-gop"), {.gopFrames = 300});
  ASSERT_TRUE(publisher);
  auto tracks = createMountPoint(9307, "rtcp-janus", true);
  ASSERT_EQ(tracks.size(), 2u);
  ASSERT_TRUE(tracks[1].rtcpPort) << "Janus gave the video media an RTCP port";
  EXPECT_FALSE(tracks[0].rtcpPort);
  startRelay("rtcp-janus", media::RtmpSource{rtmp->url("long-gop")}, tracks,
             {.video = {.always = true, .keyframeIntervalSeconds = 10}});
  ASSERT_TRUE(runUntil([&] { return relay->state() == RunState::Running; }, 30s))
      << (errors.empty() ? "" : errors.back().message);
  ASSERT_TRUE(mediaFresh(9307));
  runFor(2s);  // a sender report or two: Janus now knows where to send feedback

  const auto joined = std::chrono::steady_clock::now();
  watch(9307);
  ASSERT_TRUE(runUntil([&] { return viewer->videoFrames() > 0; }, 15s));
  const auto firstFrame = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - joined);
  std::cout << "join to first decoded frame: " << firstFrame.count()
            << " ms (keyframes 10 s apart)\n";
  const RelayStats stats = relay->stats();
  ASSERT_EQ(stats.tracks.size(), 2u);
  EXPECT_FALSE(stats.tracks[0].rtcpReceived) << "no RTCP for the audio";
  ASSERT_TRUE(stats.tracks[1].rtcpReceived);
  EXPECT_GT(*stats.tracks[1].rtcpReceived, 0u) << "Janus's RTCP came back to the relay";
  ASSERT_TRUE(stats.tracks[1].keyframeRequests);
  EXPECT_GT(*stats.tracks[1].keyframeRequests, 0u) << "the viewer's PLI reached the branch";
  EXPECT_TRUE(runUntil([&] { return viewer->videoFrames() >= 30; }, 10s));
}

TEST_F(RelayJanusTest, APublisherThatDiesAndComesBackIsFollowed) {
  auto rtmp = test::RtmpServer::start();
  ASSERT_TRUE(rtmp);
  auto publisher = test::RtmpPublisher::start(rtmp->url("encoder-2"));
  auto tracks = createMountPoint(9303, "rtmp-faults");
  startRelay("rtmp-faults", media::RtmpSource{rtmp->url("encoder-2")}, tracks,
             {.backoff = {.initial = 200ms, .max = 1s},
              .budget = {.maxRestarts = 50, .window = 60s},
              .stallTimeout = 2000ms});
  ASSERT_TRUE(runUntil([&] { return relay->state() == RunState::Running; }, 20s));
  ASSERT_TRUE(mediaFresh(9303));

  publisher.reset();  // killed: the RTMP stream ends
  ASSERT_TRUE(runUntil([&] { return relay->state() == RunState::Retrying; }, 10s));
  ASSERT_FALSE(errors.empty());

  publisher = test::RtmpPublisher::start(rtmp->url("encoder-2"));
  ASSERT_TRUE(runUntil([&] { return relay->state() == RunState::Running; }, 30s))
      << (errors.empty() ? "" : errors.back().message);
  EXPECT_TRUE(mediaFresh(9303)) << "fresh again";
  EXPECT_GE(relay->stats().restarts, 1u);
}

TEST_F(RelayJanusTest, AnRtspCameraReachesAWebRtcViewer) {
  auto camera =
      test::RtspTestServer::start(context(), {.user = "viewer", .password = "cam-pass-7"});
  ASSERT_TRUE(camera);
  auto tracks = createMountPoint(9304, "rtsp-janus");
  model::RtspCameraConfig config{.url = camera->url(),
                                 .username = "viewer",
                                 .password = "cam-pass-7",
                                 .transport = model::RtspTransport::Tcp,
                                 .timeoutSeconds = 5};
  startRelay("rtsp-janus", media::RtspSource{config}, tracks);
  ASSERT_TRUE(runUntil([&] { return relay->state() == RunState::Running; }, 20s))
      << (errors.empty() ? "" : errors.back().message);
  EXPECT_TRUE(mediaFresh(9304));
  watch(9304);
  EXPECT_TRUE(
      runUntil([&] { return viewer->videoFrames() >= 60 && viewer->audioBuffers() > 0; }, 20s))
      << "video frames " << viewer->videoFrames() << ", audio buffers " << viewer->audioBuffers();
}

TEST_F(RelayJanusTest, WrongCameraCredentialsFailAtOnceAndStaySecret) {
  auto camera =
      test::RtspTestServer::start(context(), {.user = "viewer", .password = "cam-pass-8"});
  ASSERT_TRUE(camera);
  auto tracks = createMountPoint(9305, "rtsp-denied");
  model::RtspCameraConfig config{
      .url = camera->url(), .username = "viewer", .password = "not-the-password-8"};
  startRelay("rtsp-denied", media::RtspSource{config}, tracks);
  ASSERT_TRUE(runUntil([&] { return relay->state() == RunState::Failed; }, 20s))
      << "not authorized is not worth a retry";
  EXPECT_EQ(states, (std::vector<RunState>{RunState::Starting, RunState::Failed}));
  ASSERT_FALSE(errors.empty());
  EXPECT_TRUE(errors.back().is(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_AUTHORIZED))
      << errors.back().message;
  EXPECT_EQ(errors.back().message.find("not-the-password-8"), std::string::npos);
}

// Processes whose command line mentions `needle` (ffmpeg children left behind, say).
int processesMentioning(const std::string& needle) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream cmdline(entry.path() / "cmdline");
    std::string text((std::istreambuf_iterator<char>(cmdline)), {});
    if (text.find(needle) != std::string::npos) ++count;
  }
  return count;
}

TEST_F(RelayJanusTest, TheFfmpegRelayReachesAWebRtcViewerAndFollowsThePublisher) {
  auto rtmp = test::RtmpServer::start();
  ASSERT_TRUE(rtmp);
  auto publisher = test::RtmpPublisher::start(rtmp->url("encoder-ff"));
  auto tracks = createMountPoint(9306, "ffmpeg-janus");
  auto created =
      FfmpegRelay::create(context(), "ffmpeg-janus", {.url = rtmp->url("encoder-ff")}, tracks,
                          {.backoff = {.initial = 200ms, .max = 1s},
                           .budget = {.maxRestarts = 50, .window = 60s},
                           .stallTimeout = 3000ms},
                          [this](RunState state, const std::optional<Error>& error) {
                            states.push_back(state);
                            if (error) errors.push_back(*error);
                          });
  ASSERT_TRUE(created.ok());
  relay = std::move(created).value();
  relay->start();
  ASSERT_TRUE(runUntil([&] { return relay->state() == RunState::Running; }, 20s))
      << (errors.empty() ? "" : errors.back().message);
  EXPECT_TRUE(mediaFresh(9306));
  watch(9306);
  EXPECT_TRUE(
      runUntil([&] { return viewer->videoFrames() >= 60 && viewer->audioBuffers() > 0; }, 20s))
      << "video frames " << viewer->videoFrames() << ", audio buffers " << viewer->audioBuffers();

  publisher.reset();
  ASSERT_TRUE(runUntil([&] { return relay->state() == RunState::Retrying; }, 15s));
  publisher = test::RtmpPublisher::start(rtmp->url("encoder-ff"));
  ASSERT_TRUE(runUntil([&] { return relay->state() == RunState::Running; }, 30s))
      << (errors.empty() ? "" : errors.back().message);
  EXPECT_TRUE(mediaFresh(9306));

  const std::string marker = "rtp://127.0.0.1:" + std::to_string(tracks[0].port);
  EXPECT_EQ(processesMentioning(marker), 1);
  bool stopped = false;
  relay->stop([&] { stopped = true; });
  ASSERT_TRUE(runUntil([&] { return stopped; }, 10s));
  EXPECT_EQ(processesMentioning(marker), 0) << "stop ends the process group";
}

}  // namespace
}  // namespace su::supervisor
