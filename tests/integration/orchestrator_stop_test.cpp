// The orchestrator against a real Janus where a start is cut short or refused: a stop at each
// step of the start (including a create that Janus carries out after the stop), Janus answering
// but never seeing media, permanent mountpoints and rooms destroyed permanently, a restore that
// Janus refuses (a port already taken) tried again until it takes, and the observer's metrics.
#include <glib.h>
#include <gtest/gtest.h>

#include "integration/orchestrator_fixture.hpp"

namespace su::orchestrator {
namespace {

using namespace std::chrono_literals;
using model::RunState;

class OrchestratorStopTest : public OrchestratorTest {
 protected:
  // Starts without waiting: the result lands in `started`.
  void startAsync(const std::string& json) {
    started.reset();
    orchestrator->start(request(json), [this](auto result) { started = std::move(result); });
  }
  // Stops, and returns how long the stop took.
  std::pair<model::BroadcastResult, Milliseconds> timedStop(const std::string& id) {
    const std::int64_t before = g_get_monotonic_time();
    model::BroadcastResult result = stop(id);
    return {result, Milliseconds((g_get_monotonic_time() - before) / 1000)};
  }
  // Janus may answer what a stop undoes a moment after the stop returned.
  bool eventuallyNoMountpoints() {
    for (int i = 0; i < 50; ++i) {
      if (mountpointsInJanus().empty()) return true;
      runFor(100ms);
    }
    return false;
  }
  std::string fileText(const std::string& path) {
    gchar* text = nullptr;
    if (!g_file_get_contents(path.c_str(), &text, nullptr, nullptr)) return {};
    std::string copy = text;
    g_free(text);
    return copy;
  }
  std::string streamingConfig() {
    return fileText(janus->configDir() + "/janus.plugin.streaming.jcfg");
  }
  std::string videoRoomConfig() {
    return fileText(janus->configDir() + "/janus.plugin.videoroom.jcfg");
  }
  bool stoppedWhileStarting(const model::BroadcastResult& result) {
    return result.state == RunState::Failed && result.error &&
           result.error->message == "stopped while starting" && !errors.empty() &&
           errors.back().first == "start";
  }

  // A mountpoint of the test's (video only), and a request that uses it but sends its media
  // elsewhere: the relay runs, Janus answers, and never sees media.
  bool createUnfed(std::int64_t id) {
    model::MountPoint spec{
        .id = id, .secret = "unfed-secret", .adminKey = janus->streamingAdminKey()};
    spec.media = {{.type = model::MediaType::Video, .codec = "h264"}};
    spec.normalize();
    return wait<janus::MountPointCreated>([&](auto done) { streaming->create(spec, done); }).ok();
  }
  bool destroyUnfed(std::int64_t id) {
    return wait<janus::Removal>([&](auto done) {
             streaming->destroy(id, std::string("unfed-secret"), false, done);
           }).ok();
  }
  static std::string misdirected(const std::string& broadcastId, std::int64_t id) {
    return R"({"source_kind":"test_pattern","broadcast_id":")" + broadcastId +
           R"(","create_mountpoint":false,"mountpoint_spec":{"id":)" + std::to_string(id) +
           R"(,"media":[{"type":"video","codec":"h264","port":)" +
           std::to_string(test::freeUdpPort()) + "}]}}";
  }

  std::optional<Result<model::BroadcastResult>> started;
};

TEST_F(OrchestratorStopTest, AStopWhileTheMountpointIsBeingCreatedUndoesTheLateCreate) {
  startAsync(R"({"source_kind":"test_pattern","broadcast_id":"early-stop","mountpoint_spec":)" +
             mountpoint(9631, janus->streamingAdminKey()) + "}");
  // The create is on its way to Janus; Janus carries it out after the stop was asked for.
  ASSERT_TRUE(runUntil([&] { return failingStreaming->creates == 1; }));
  const auto [result, took] = timedStop("early-stop");
  EXPECT_TRUE(stoppedWhileStarting(result)) << (result.error ? result.error->message : "");
  ASSERT_TRUE(started && started->ok());
  EXPECT_EQ((*started)->state, RunState::Failed) << "the start is answered too";
  EXPECT_TRUE(eventuallyNoMountpoints()) << "the mountpoint Janus made after the stop is undone";
  EXPECT_FALSE(hasEvent("early-stop", "relay_started"));
}

TEST_F(OrchestratorStopTest, AStopWhileTheRoomIsBeingEnsuredUndoesTheLateRoomAndTheMountpoint) {
  startAsync(R"({"source_kind":"videoroom","broadcast_id":"room-stop","room_id":4611,
      "publisher_id":4811,"room_spec":)" +
             roomSpec(4611) + R"(,"mountpoint_spec":)" +
             mountpoint(9632, janus->streamingAdminKey()) + "}");
  ASSERT_TRUE(runUntil([&] { return failingVideoRoom->ensures == 1; }));
  const auto [result, took] = timedStop("room-stop");
  EXPECT_TRUE(stoppedWhileStarting(result)) << (result.error ? result.error->message : "");
  EXPECT_TRUE(eventuallyNoMountpoints());
  bool roomGone = false;
  for (int i = 0; i < 50 && !roomGone; ++i) {
    roomGone = !roomExists(4611);
    if (!roomGone) runFor(100ms);
  }
  EXPECT_TRUE(roomGone) << "the room Janus made after the stop is undone";
}

TEST_F(OrchestratorStopTest, AStopWhileAwaitingThePublisherEndsTheWaitAtOnce) {
  makeOrchestrator({.mediaTimeout = 15s, .publisherTimeout = 30s});
  startAsync(R"({"source_kind":"videoroom","broadcast_id":"no-show","room_id":4612,
      "publisher_id":4812,"room_spec":)" +
             roomSpec(4612) + R"(,"mountpoint_spec":)" +
             mountpoint(9633, janus->streamingAdminKey()) + "}");
  ASSERT_TRUE(runUntil([&] { return hasEvent("no-show", "awaiting_publisher"); }, 10s));
  const auto [result, took] = timedStop("no-show");
  EXPECT_LT(took, 5s) << "not the publisher timeout";
  EXPECT_TRUE(stoppedWhileStarting(result)) << (result.error ? result.error->message : "");
  EXPECT_TRUE(hasEvent("no-show", "room_left"));
  EXPECT_TRUE(mountpointsInJanus().empty());
  EXPECT_FALSE(roomExists(4612));
}

TEST_F(OrchestratorStopTest, AStopWhileTheRelayWaitsForMediaEndsTheWaitAtOnce) {
  auto rtmp = test::RtmpServer::start();
  ASSERT_TRUE(rtmp);
  startAsync(
      R"({"source_kind":"rtmp_external","broadcast_id":"quiet","srs":{"rtmp_url":"rtmp://127.0.0.1:)" +
      std::to_string(rtmp->port()) + R"(","app":"live","stream_key":"nobody-yet"},
      "mountpoint_spec":)" +
      mountpoint(9634, janus->streamingAdminKey()) + "}");
  ASSERT_TRUE(runUntil([&] { return hasEvent("quiet", "relay_started"); }, 10s));
  runFor(300ms);
  const auto [result, took] = timedStop("quiet");
  EXPECT_LT(took, 5s) << "not the media timeout";
  EXPECT_TRUE(stoppedWhileStarting(result)) << (result.error ? result.error->message : "");
  EXPECT_TRUE(hasEvent("quiet", "relay_stopped"));
  EXPECT_TRUE(mountpointsInJanus().empty());
}

TEST_F(OrchestratorStopTest, JanusAnsweringButNeverSeeingMediaFailsInTheMediaPhase) {
  ASSERT_TRUE(createUnfed(9635));
  makeOrchestrator({.mediaTimeout = 2s});
  const auto result = start(request(misdirected("unseen", 9635)));
  EXPECT_EQ(result.state, RunState::Failed);
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors.back().first, "media");
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->message.rfind(
                "Janus reports no fresh media on mountpoint 9635 within 2000 ms (age_ms: v", 0),
            0u)
      << result.error->message;
  EXPECT_TRUE(hasEvent("unseen", "relay_stopped"));
  EXPECT_EQ(mountpointsInJanus(), std::vector<std::int64_t>{9635}) << "not ours: kept";
  EXPECT_TRUE(destroyUnfed(9635));
}

TEST_F(OrchestratorStopTest, AStopWhileJanusIsAskedForMediaEndsTheWaitAtOnce) {
  ASSERT_TRUE(createUnfed(9636));
  startAsync(misdirected("asking", 9636));
  ASSERT_TRUE(runUntil(
      [&] {
        const auto current = orchestrator->result("asking");
        return current && current->relay && current->relay->state == RunState::Running;
      },
      10s));
  runFor(500ms);  // a few polls of Janus
  const auto [result, took] = timedStop("asking");
  EXPECT_LT(took, 5s) << "not the media timeout";
  EXPECT_TRUE(stoppedWhileStarting(result)) << (result.error ? result.error->message : "");
  EXPECT_TRUE(hasEvent("asking", "relay_stopped"));
  EXPECT_TRUE(destroyUnfed(9636));
}

TEST_F(OrchestratorStopTest, PermanentMountpointsAndRoomsAreDestroyedPermanently) {
  auto permanent = [](std::string spec) {
    return "{\"permanent\":true," + spec.substr(1);
  };
  makeOrchestrator({.mediaTimeout = 15s, .publisherTimeout = 30s});
  startAsync(R"({"source_kind":"videoroom","broadcast_id":"kept-in-config","room_id":4613,
      "publisher_id":4813,"room_spec":)" +
             permanent(roomSpec(4613)) + R"(,"mountpoint_spec":)" +
             permanent(mountpoint(9637, janus->streamingAdminKey())) + "}");
  ASSERT_TRUE(runUntil([&] { return hasEvent("kept-in-config", "awaiting_publisher"); }, 10s));
  ASSERT_TRUE(publish(4613, 4813, "permanent-cam"));
  ASSERT_TRUE(runUntil([&] { return started.has_value(); }, 30s));
  ASSERT_EQ((*started)->state, RunState::Running);
  // Janus wrote both into its configuration: a restart would bring them back.
  EXPECT_NE(streamingConfig().find("9637"), std::string::npos) << streamingConfig();
  EXPECT_NE(videoRoomConfig().find("4613"), std::string::npos) << videoRoomConfig();

  EXPECT_EQ(stop("kept-in-config").state, RunState::Stopped);
  EXPECT_TRUE(mountpointsInJanus().empty());
  EXPECT_FALSE(roomExists(4613));
  EXPECT_EQ(streamingConfig().find("9637"), std::string::npos) << "removed from the file too";
  EXPECT_EQ(videoRoomConfig().find("4613"), std::string::npos) << "removed from the file too";
}

TEST_F(OrchestratorStopTest, ARestoreJanusRefusesIsTriedAgainUntilItTakes) {
  makeOrchestrator({.mediaTimeout = 15s, .restoreRetry = 300ms, .restoreRetryMax = 600ms});
  const auto result = start(request(
      R"({"source_kind":"test_pattern","broadcast_id":"squatted","mountpoint_spec":)" +
      mountpoint(9638, janus->streamingAdminKey()) + "}"));
  ASSERT_EQ(result.state, RunState::Running) << (result.error ? result.error->message : "");
  const std::uint16_t audioPort = result.mountpoint->media.at(0).port;

  janus->kill();
  ASSERT_TRUE(janus->restart());
  ASSERT_TRUE(runUntil([&] { return listener.restored > 0; }, 15s));
  // Before the broadcast restores its mountpoint, another one takes its audio port: Janus
  // refuses the re-create for real. (Its first media: Janus 1.1.2 keeps the ports of the media
  // it had already set up when a later one fails, so a taken video port would stay taken.)
  model::MountPoint squatter{.id = 9639, .adminKey = janus->streamingAdminKey()};
  squatter.media = {{.type = model::MediaType::Audio, .port = audioPort, .codec = "opus"}};
  squatter.normalize();
  ASSERT_TRUE(
      wait<janus::MountPointCreated>([&](auto done) { streaming->create(squatter, done); }).ok());
  orchestrator->janusRestored();
  const auto restoreErrors = [&] {
    return std::count_if(errors.begin(), errors.end(),
                         [](const auto& error) { return error.first == "restore"; });
  };
  ASSERT_TRUE(runUntil([&] { return restoreErrors() >= 2; }, 15s));
  EXPECT_TRUE(hasEvent("squatted", "restore_retry"));
  EXPECT_EQ(orchestrator->result("squatted")->state, RunState::Retrying);

  ASSERT_TRUE(
      wait<janus::Removal>([&](auto done) { streaming->destroy(9639, std::nullopt, false, done); })
          .ok());
  ASSERT_TRUE(runUntil(
      [&] { return orchestrator->result("squatted")->state == RunState::Running; }, 15s));
  EXPECT_TRUE(hasEvent("squatted", "mountpoint_recreated"));
  EXPECT_TRUE(mediaFresh(*streaming, 9638, 2)) << "the relay feeds the same ports again";
  EXPECT_EQ(stop("squatted").state, RunState::Stopped);
  EXPECT_TRUE(mountpointsInJanus().empty());
}

TEST_F(OrchestratorStopTest, TheObserverGetsStartTimesAndRelayRestarts) {
  auto rtmp = test::RtmpServer::start();
  ASSERT_TRUE(rtmp);
  auto encoder = test::RtmpPublisher::start(rtmp->url("metered"));
  ASSERT_TRUE(encoder);
  const std::int64_t before = g_get_monotonic_time();
  const auto result = start(request(
      R"({"source_kind":"rtmp_external","broadcast_id":"metered","srs":{"rtmp_url":"rtmp://127.0.0.1:)" +
      std::to_string(rtmp->port()) + R"(","app":"live","stream_key":"metered"},
      "mountpoint_spec":)" +
      mountpoint(9640, janus->streamingAdminKey()) + "}"));
  ASSERT_EQ(result.state, RunState::Running) << (result.error ? result.error->message : "");
  const double elapsedMs = static_cast<double>(g_get_monotonic_time() - before) / 1000;
  const auto named = [&](const std::string& name) {
    std::vector<Metric> found;
    for (const Metric& metric : metrics)
      if (metric.name == name) found.push_back(metric);
    return found;
  };
  const auto startTimes = named("broadcast_start_ms");
  ASSERT_EQ(startTimes.size(), 1u);
  EXPECT_GT(startTimes[0].value, 600) << "includes Janus's 600 ms of confirmation";
  EXPECT_LE(startTimes[0].value, elapsedMs);
  EXPECT_EQ(startTimes[0].labels.at("source_kind"), "rtmp_external");
  EXPECT_TRUE(named("relay_restarts").empty());

  // The encoder goes away and comes back: the relay restarts, and says so.
  encoder.reset();
  ASSERT_TRUE(runUntil([&] { return !named("relay_restarts").empty(); }, 20s));
  EXPECT_EQ(named("relay_restarts")[0].labels.at("broadcast_id"), "metered");
  EXPECT_TRUE(hasEvent("metered", "relay_restarted"));
  encoder = test::RtmpPublisher::start(rtmp->url("metered"));
  ASSERT_TRUE(encoder);
  ASSERT_TRUE(runUntil(
      [&] { return orchestrator->result("metered")->state == RunState::Running; }, 20s));
  EXPECT_TRUE(mediaFresh(*streaming, 9640, 2));
  EXPECT_EQ(stop("metered").state, RunState::Stopped);
}

}  // namespace
}  // namespace su::orchestrator
