// Supervised relays with real pipelines, sending to loopback UDP receivers.
#include "supervisor/relay.hpp"

#include <gtest/gtest.h>

#include "supervisor/ffmpeg_relay.hpp"
#include "support/janus_server.hpp"
#include "support/main_context_test.hpp"
#include "support/media_sources.hpp"
#include "support/rtmp_server.hpp"
#include "support/rtp_receiver.hpp"

namespace su::supervisor {
namespace {

using namespace std::chrono_literals;
using model::RunState;

class RelayTest : public test::MainContextTest {
 protected:
  std::unique_ptr<PipelineRelay> relay(const std::string& name, media::SourceSpec source,
                                       std::vector<media::OutputTrack> tracks,
                                       RelayOptions options = {}) {
    auto created = PipelineRelay::create(context(), name, std::move(source), std::move(tracks),
                                         std::move(options),
                                         [this](RunState state, const std::optional<Error>& error) {
                                           states.push_back(state);
                                           if (error) errors.push_back(*error);
                                         });
    EXPECT_TRUE(created.ok()) << (created ? "" : created.error().message);
    return created ? std::move(created).value() : nullptr;
  }

  static media::OutputTrack video(const std::string& name, std::uint16_t port) {
    return {.mid = "v",
            .type = model::MediaType::Video,
            .codec = "h264",
            .payloadType = 96,
            .host = "127.0.0.1",
            .port = port,
            .fmtp = "profile-level-id=42e01f;packetization-mode=1",
            .ssrc = media::stableSsrc(name, "v")};
  }
  static media::OutputTrack audio(const std::string& name, std::uint16_t port) {
    return {.mid = "a",
            .type = model::MediaType::Audio,
            .codec = "opus",
            .payloadType = 111,
            .host = "127.0.0.1",
            .port = port,
            .ssrc = media::stableSsrc(name, "a")};
  }

  void stop(Relay& subject) {
    bool stopped = false;
    subject.stop([&] { stopped = true; });
    ASSERT_TRUE(runUntil([&] { return stopped; }, 10s));
  }

  std::vector<RunState> states;
  std::vector<Error> errors;
};

bool isRelayError(const Error& error, RelayError code) {
  return error.is(errorDomainOf(code), static_cast<int>(code));
}

TEST_F(RelayTest, ATestPatternFeedsEveryMediaWithItsPayloadTypeAndAStableSsrc) {
  test::RtpReceiver audioPort, videoPort;
  auto subject =
      relay("pattern-1", media::TestPatternSource{},
            {audio("pattern-1", audioPort.port()), video("pattern-1", videoPort.port())});
  subject->start();
  ASSERT_TRUE(runUntil(
      [&] {
        return subject->state() == RunState::Running && audioPort.packets() > 20 &&
               videoPort.packets() > 20;
      },
      15s));
  EXPECT_EQ(audioPort.payloadTypes(), std::set<int>{111});
  EXPECT_EQ(videoPort.payloadTypes(), std::set<int>{96});
  EXPECT_EQ(videoPort.ssrcs(), std::set<std::uint32_t>{media::stableSsrc("pattern-1", "v")});
  runFor(1200ms);
  const RelayStats stats = subject->stats();
  EXPECT_EQ(stats.state, RunState::Running);
  EXPECT_EQ(stats.source, "test pattern");
  ASSERT_EQ(stats.tracks.size(), 2u);
  for (const TrackStats& track : stats.tracks) {
    EXPECT_GT(track.packets, 20u) << track.mid;
    EXPECT_GT(track.bitrateKbps, 10.0) << track.mid;
    ASSERT_TRUE(track.firstPacketMs) << track.mid;
    EXPECT_LT(*track.lastPacketAgeMs, 1000) << track.mid;
  }
  EXPECT_TRUE(stats.uptimeMs.has_value());

  // Stopped and started again: the same SSRC, so Janus sees one stream.
  stop(*subject);
  videoPort.reset();
  subject->start();
  ASSERT_TRUE(runUntil([&] { return videoPort.packets() > 20; }, 15s));
  EXPECT_EQ(videoPort.ssrcs(), std::set<std::uint32_t>{media::stableSsrc("pattern-1", "v")});
  stop(*subject);
  EXPECT_EQ(states,
            (std::vector<RunState>{RunState::Starting, RunState::Running, RunState::Stopping,
                                   RunState::Stopped, RunState::Starting, RunState::Running,
                                   RunState::Stopping, RunState::Stopped}));
  EXPECT_TRUE(errors.empty());
}

TEST_F(RelayTest, RawAndAacSourcesAreEncodedForTheMediaCodec) {
  test::RtpReceiver audioPort, videoPort;
  auto subject =
      relay("custom-1",
            media::CustomSource{"videotestsrc is-live=true ! video/x-raw,width=320,height=240,"
                                "framerate=15/1 ! queue audiotestsrc is-live=true ! audioconvert ! "
                                "avenc_aac ! aacparse"},
            {audio("custom-1", audioPort.port()), video("custom-1", videoPort.port())});
  subject->start();
  ASSERT_TRUE(runUntil([&] { return audioPort.packets() > 10 && videoPort.packets() > 10; }, 15s))
      << (errors.empty() ? "" : errors.back().message);
  EXPECT_EQ(audioPort.payloadTypes(), std::set<int>{111}) << "AAC became Opus";
  EXPECT_EQ(videoPort.payloadTypes(), std::set<int>{96}) << "raw video became H.264";
  stop(*subject);
}

// An FLV clip whose video starts `delaySeconds` after its audio, as an encoder that brings up its
// camera late sends it.
bool encodeLateVideoClip(const std::string& path, int delaySeconds) {
  const std::string command =
      "ffmpeg -y -hide_banner -loglevel error -f lavfi -i sine=frequency=440:sample_rate=48000:"
      "duration=8 -itsoffset " +
      std::to_string(delaySeconds) +
      " -f lavfi -i testsrc2=size=320x240:rate=30:duration=6 -map 0:a -map 1:v -c:a aac "
      "-c:v libx264 -profile:v baseline -pix_fmt yuv420p -g 30 -f flv " +
      path;
  gint status = 0;
  return g_spawn_command_line_sync(command.c_str(), nullptr, nullptr, &status, nullptr) &&
         g_spawn_check_wait_status(status, nullptr);
}

TEST_F(RelayTest, AVideoStreamThatAppearsSecondsAfterTheAudioIsStillRelayed) {
  test::ServiceProcess scratch("late-video");  // for its folder
  const std::string clip = scratch.dir() + "/late.flv";
  ASSERT_TRUE(encodeLateVideoClip(clip, 2));
  // A server that does not hold audio back until video comes: the demuxer's video pad appears
  // two seconds after its audio pad, while audio already flows.
  auto rtmp = test::RtmpServer::start({.waitForVideo = false});
  ASSERT_TRUE(rtmp);
  test::RtpReceiver audioPort, videoPort;
  auto subject = relay("late-1", media::RtmpSource{rtmp->url("late")},
                       {audio("late-1", audioPort.port()), video("late-1", videoPort.port())});
  subject->start();
  runFor(500ms);  // playing (nginx-rtmp lets a player wait for its publisher)
  auto publisher = test::RtmpPublisher::start(rtmp->url("late"), {.loopFile = clip});
  ASSERT_TRUE(runUntil([&] { return videoPort.packets() > 30 && audioPort.packets() > 30; }, 20s))
      << "audio " << audioPort.packets() << ", video " << videoPort.packets() << "\n"
      << (errors.empty() ? "" : errors.back().message);
  const RelayStats stats = subject->stats();
  ASSERT_EQ(stats.tracks.size(), 2u);
  ASSERT_TRUE(stats.tracks[0].firstPacketMs && stats.tracks[1].firstPacketMs);
  EXPECT_GE(*stats.tracks[1].firstPacketMs - *stats.tracks[0].firstPacketMs, 1500)
      << "video " << *stats.tracks[1].firstPacketMs << " ms, audio "
      << *stats.tracks[0].firstPacketMs << " ms after the start";
  EXPECT_EQ(stats.restarts, 0u);
  stop(*subject);
}

TEST_F(RelayTest, AUrlSourceIsParsedAndRelayed) {
  test::ServiceProcess scratch("uri-source");  // for its folder
  const std::string clip = scratch.dir() + "/clip.flv";
  ASSERT_TRUE(encodeLateVideoClip(clip, 0));
  test::RtpReceiver audioPort, videoPort;
  auto subject = relay("uri-1", media::UriSource{"file://" + clip},
                       {audio("uri-1", audioPort.port()), video("uri-1", videoPort.port())});
  subject->start();
  EXPECT_TRUE(runUntil([&] { return videoPort.packets() > 30 && audioPort.packets() > 30; }, 15s))
      << "audio " << audioPort.packets() << ", video " << videoPort.packets() << "\n"
      << (errors.empty() ? "" : errors.back().message);
  EXPECT_EQ(videoPort.payloadTypes(), std::set<int>{96});
  EXPECT_EQ(audioPort.payloadTypes(), std::set<int>{111});
  stop(*subject);
}

TEST_F(RelayTest, ABadDescriptionOrAMissingElementFailsAtOnce) {
  test::RtpReceiver port;
  auto bad = relay("bad-1", media::CustomSource{"videotestsrc ! ! x264enc"},
                   {video("bad-1", port.port())});
  bad->start();
  EXPECT_EQ(bad->state(), RunState::Failed);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(errors[0].is(media::errorDomainOf(media::MediaError::BadDescription),
                           static_cast<int>(media::MediaError::BadDescription)))
      << errors[0].message;
  EXPECT_EQ(errors[0].message.rfind("gstreamer_pipeline: ", 0), 0u) << errors[0].message;

  auto missing = relay("missing-1", media::CustomSource{"nosuchelement ! x264enc"},
                       {video("missing-1", port.port())});
  missing->start();
  EXPECT_EQ(missing->state(), RunState::Failed);
  EXPECT_TRUE(errors.back().is(media::errorDomainOf(media::MediaError::MissingElement),
                               static_cast<int>(media::MediaError::MissingElement)))
      << errors.back().message;
  EXPECT_NE(errors.back().message.find("nosuchelement"), std::string::npos);
}

TEST_F(RelayTest, AnUnreachableSourceIsRetriedUntilTheBudgetIsSpent) {
  test::RtpReceiver port;
  const std::string url =
      "rtmp://127.0.0.1:" + std::to_string(test::freeTcpPort()) + "/live/secret-key-1";
  auto subject = relay(
      "unreachable-1", media::RtmpSource{url}, {video("unreachable-1", port.port())},
      {.backoff = {.initial = 50ms, .max = 100ms}, .budget = {.maxRestarts = 2, .window = 60s}});
  subject->start();
  ASSERT_TRUE(runUntil([&] { return subject->state() == RunState::Failed; }, 15s));
  EXPECT_EQ(states,
            (std::vector<RunState>{RunState::Starting, RunState::Retrying, RunState::Starting,
                                   RunState::Retrying, RunState::Starting, RunState::Retrying,
                                   RunState::Failed}));
  ASSERT_FALSE(errors.empty());
  EXPECT_TRUE(isRelayError(errors.back(), RelayError::BudgetExhausted));
  EXPECT_EQ(errors.back().message.rfind("gave up after 2 restarts in 60 s; last error: ", 0), 0u)
      << errors.back().message;
  const RelayStats stats = subject->stats();
  EXPECT_EQ(stats.restarts, 2u);
  EXPECT_EQ(stats.source.find("secret-key-1"), std::string::npos) << stats.source;
  for (const Error& error : errors) {
    EXPECT_EQ(error.message.find("secret-key-1"), std::string::npos) << error.message;
  }
}

// H.264 over RTP arriving at `port` on loopback: a source the test starts and stops at will.
media::CustomSource rtpVideoFrom(std::uint16_t port) {
  return {"udpsrc port=" + std::to_string(port) +
          " caps=application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,payload=96 ! "
          "rtph264depay ! h264parse"};
}

TEST_F(RelayTest, ASourceThatGoesSilentIsRestartedByTheWatchdogAndRecovers) {
  const std::uint16_t inbound = test::freeUdpPort();
  test::RtpReceiver outbound;
  auto sender = test::RtpSender::start({{.video = true, .port = inbound, .payloadType = 96}});
  auto subject = relay("silent-1", rtpVideoFrom(inbound), {video("silent-1", outbound.port())},
                       {.backoff = {.initial = 100ms, .max = 200ms},
                        .budget = {.maxRestarts = 20, .window = 60s},
                        .stallTimeout = 1000ms});
  subject->start();
  ASSERT_TRUE(runUntil([&] { return subject->state() == RunState::Running; }, 15s));

  sender.reset();  // stops sending; nothing closes, nothing ends
  ASSERT_TRUE(runUntil([&] { return subject->state() == RunState::Retrying; }, 5s));
  ASSERT_FALSE(errors.empty());
  EXPECT_TRUE(isRelayError(errors.back(), RelayError::Stalled));
  EXPECT_EQ(errors.back().message, "no media for 1000 ms");

  sender = test::RtpSender::start({{.video = true, .port = inbound, .payloadType = 96}});
  outbound.reset();
  ASSERT_TRUE(runUntil(
      [&] { return subject->state() == RunState::Running && outbound.packets() > 10; }, 15s));
  EXPECT_GE(subject->stats().restarts, 1u);
  stop(*subject);
}

// Before its first packet a source may still be connecting or waiting for a keyframe: the
// first-media timeout applies there, the (shorter) stall timeout only once media flowed.
TEST_F(RelayTest, ASourceThatNeverSendsIsGivenTheFirstMediaTimeoutNotTheStallTimeout) {
  const std::uint16_t inbound = test::freeUdpPort();
  test::RtpReceiver outbound;
  auto subject = relay("never-1", rtpVideoFrom(inbound), {video("never-1", outbound.port())},
                       {.budget = {.maxRestarts = 20, .window = 60s},
                        .stallTimeout = 300ms,
                        .firstMediaTimeout = 1500ms});
  subject->start();
  ASSERT_TRUE(runUntil([&] { return subject->state() == RunState::Retrying; }, 10s));
  ASSERT_FALSE(errors.empty());
  EXPECT_TRUE(isRelayError(errors.back(), RelayError::Stalled));
  EXPECT_EQ(errors.back().message, "no media within 1500 ms of starting");
  stop(*subject);
}

// The original's form of gstreamer_pipeline: a whole pipeline ending in its own sinks runs as
// given; its udpsink to the media's port counts for that media, so it is supervised like the rest.
TEST_F(RelayTest, AWholePipelineWithItsOwnSinksRunsAsGivenAndIsCounted) {
  test::RtpReceiver outbound;
  const std::string whole =
      "videotestsrc is-live=true ! video/x-raw,width=160,height=120,framerate=15/1 ! "
      "x264enc tune=zerolatency ! rtph264pay ! udpsink host=127.0.0.1 sync=false port=" +
      std::to_string(outbound.port());
  auto subject = relay("whole-1", media::CustomSource{whole}, {video("whole-1", outbound.port())});
  subject->start();
  ASSERT_TRUE(runUntil([&] { return subject->state() == RunState::Running; }, 15s))
      << (errors.empty() ? "" : errors.back().message);
  EXPECT_TRUE(runUntil([&] { return outbound.packets() > 10; }, 10s));
  EXPECT_GT(subject->stats().tracks.at(0).packets, 0u);
  stop(*subject);

  // One that sends nowhere the mountpoint listens fails at once, saying where it should send.
  const std::uint16_t elsewhere = test::freeUdpPort();
  auto astray = relay("whole-2", media::CustomSource{"videotestsrc is-live=true ! fakesink"},
                      {video("whole-2", elsewhere)});
  astray->start();
  ASSERT_TRUE(runUntil([&] { return astray->state() == RunState::Failed; }, 10s));
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors.back().message,
            "gstreamer_pipeline ends in sinks of its own, but no udpsink sends to a port of the "
            "mountpoint (v " +
                std::to_string(elsewhere) + ")");
}

TEST_F(RelayTest, StopIsBoundedEvenWhenThePipelineWillNotStop) {
  test::RtpReceiver port;
  // identity holds each buffer for 3 s (scaled like every wait here, so that it still outlasts
  // runFor under valgrind) in the streaming thread: NULL waits for it.
  const std::string sleepUs = std::to_string(3'000'000 * timeScale());
  auto subject = relay("stuck-1",
                       media::CustomSource{"videotestsrc is-live=true ! "
                                           "video/x-raw,width=160,height=120 ! "
                                           "identity sleep-time=" +
                                           sleepUs},
                       {video("stuck-1", port.port())}, {.stopTimeout = 300ms});
  subject->start();
  runFor(300ms);
  const auto start = std::chrono::steady_clock::now();
  stop(*subject);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s * timeScale());
  EXPECT_EQ(subject->state(), RunState::Stopped);
  ASSERT_FALSE(errors.empty());
  EXPECT_TRUE(isRelayError(errors.back(), RelayError::StopTimeout)) << errors.back().message;
  EXPECT_EQ(subject->stats().lastError, "the run did not end within 300 ms and was abandoned");
}

TEST_F(RelayTest, FailingRelaysLeaveNoThreadsOrFileDescriptorsBehind) {
  test::RtpReceiver port;
  auto failAll = [&](int count) {
    for (int i = 0; i < count; ++i) {
      const std::string name = "leak-" + std::to_string(i);
      auto subject =
          relay(name, media::RtmpSource{"rtmp://127.0.0.1:1/live/x"}, {video(name, port.port())},
                {.backoff = {.initial = 10ms}, .budget = {.maxRestarts = 1}});
      subject->start();
      ASSERT_TRUE(runUntil([&] { return subject->state() == RunState::Failed; }, 15s));
      auto bad = relay(name + "-bad", media::CustomSource{"videotestsrc ! ! x"},
                       {video(name, port.port())});
      bad->start();
    }
    runFor(500ms);  // teardown threads finish
  };
  failAll(1);  // warms GStreamer's thread pools and registries up
  const std::size_t fds = test::openFileDescriptors();
  const std::size_t threads = test::threadCount();
  failAll(5);
  // At most as many: a leak grows with every failed relay, while threads and sockets left by
  // earlier tests (GLib's idle pool threads, the run the stop test abandoned) may end meanwhile.
  // A loaded machine (the whole suite in parallel) may need more than 500 ms for the last
  // teardowns: a leak never settles, so waiting for it costs no strictness.
  runUntil([&] { return test::openFileDescriptors() <= fds && test::threadCount() <= threads; },
           5s);
  EXPECT_LE(test::openFileDescriptors(), fds);
  EXPECT_LE(test::threadCount(), threads);
}

TEST(FfmpegRelayCommand, IsTheOriginalsCommandPlusWhatJanusNeeds) {
  const std::vector<media::OutputTrack> tracks{{.mid = "a",
                                                .type = model::MediaType::Audio,
                                                .codec = "opus",
                                                .payloadType = 111,
                                                .host = "127.0.0.1",
                                                .port = 5002,
                                                .sourceIndex = 0,
                                                .ssrc = 3000000000u},
                                               {.mid = "v",
                                                .type = model::MediaType::Video,
                                                .codec = "h264",
                                                .payloadType = 96,
                                                .host = "127.0.0.1",
                                                .port = 5004,
                                                .sourceIndex = 1,
                                                .ssrc = 42,
                                                .rtcpPort = 5005}};
  EXPECT_EQ(FfmpegRelay::command("ffmpeg", {.url = "rtmp://ingest/live/key"}, tracks),
            (std::vector<std::string>{"ffmpeg",
                                      "-hide_banner",
                                      "-loglevel",
                                      "error",
                                      "-nostdin",
                                      "-nostats",
                                      "-progress",
                                      "pipe:1",
                                      "-stats_period",
                                      "0.5",
                                      "-re",
                                      "-i",
                                      "rtmp://ingest/live/key",
                                      "-map",
                                      "0:a:0",
                                      "-c:a",
                                      "libopus",
                                      "-b:a",
                                      "64k",
                                      "-vbr",
                                      "constrained",
                                      "-compression_level",
                                      "10",
                                      "-frame_duration",
                                      "20",
                                      "-application",
                                      "audio",
                                      "-ar",
                                      "48000",
                                      "-ac",
                                      "2",
                                      "-payload_type",
                                      "111",
                                      "-ssrc",
                                      "-1294967296",
                                      "-f",
                                      "rtp",
                                      "rtp://127.0.0.1:5002?pkt_size=1200",
                                      "-map",
                                      "0:v:1",
                                      "-c:v",
                                      "copy",
                                      "-bsf:v",
                                      "h264_mp4toannexb,dump_extra=freq=keyframe",
                                      "-payload_type",
                                      "96",
                                      "-ssrc",
                                      "42",
                                      "-f",
                                      "rtp",
                                      "rtp://127.0.0.1:5004?pkt_size=1200&rtcpport=5005"}));
  EXPECT_EQ(FfmpegRelay::command(
                "ffmpeg", {.url = "rtsp://cam/s", .options = {"-rtsp_transport", "tcp"}}, {})[10],
            "-rtsp_transport");
}

TEST_F(RelayTest, FfmpegThatCannotStartFailsAtOnce) {
  test::RtpReceiver port;
  auto created = FfmpegRelay::create(
      context(), "no-ffmpeg", {.url = "rtmp://127.0.0.1:1/live/x"},
      {video("no-ffmpeg", port.port())}, {},
      [this](RunState state, const std::optional<Error>& error) {
        states.push_back(state);
        if (error) errors.push_back(*error);
      },
      "no-such-ffmpeg-program");
  ASSERT_TRUE(created.ok());
  (*created)->start();
  EXPECT_EQ((*created)->state(), RunState::Failed);
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors.back().message.rfind("cannot start no-such-ffmpeg-program: ", 0), 0u)
      << errors.back().message;
}

TEST_F(RelayTest, FfmpegOnAnUnreachableSourceRetriesUntilTheBudgetIsSpent) {
  test::RtpReceiver port;
  const std::string url =
      "rtmp://127.0.0.1:" + std::to_string(test::freeTcpPort()) + "/live/ffmpeg-key-3";
  auto created = FfmpegRelay::create(
      context(), "ffmpeg-unreachable", {.url = url}, {video("ffmpeg-unreachable", port.port())},
      {.backoff = {.initial = 50ms, .max = 100ms}, .budget = {.maxRestarts = 1, .window = 60s}},
      [this](RunState state, const std::optional<Error>& error) {
        states.push_back(state);
        if (error) errors.push_back(*error);
      });
  ASSERT_TRUE(created.ok());
  (*created)->start();
  ASSERT_TRUE(runUntil([&] { return (*created)->state() == RunState::Failed; }, 20s));
  EXPECT_EQ(states,
            (std::vector<RunState>{RunState::Starting, RunState::Retrying, RunState::Starting,
                                   RunState::Retrying, RunState::Failed}));
  EXPECT_EQ(errors.back().message.rfind(
                "gave up after 1 restarts in 60 s; last error: ffmpeg exited with status 1", 0),
            0u)
      << errors.back().message;
  for (const Error& error : errors) {
    EXPECT_EQ(error.message.find("ffmpeg-key-3"), std::string::npos) << error.message;
  }
  EXPECT_EQ((*created)->stats().source.find("ffmpeg-key-3"), std::string::npos);
}

}  // namespace
}  // namespace su::supervisor
