// OBS control against real OBS Studio (headless, started by the test support): authentication,
// custom RTMP to a real nginx-rtmp, start and stop, OBS killed and back, and the chain the
// product exists for: OBS -> nginx-rtmp -> in-process relay -> Janus -> a WebRTC viewer.
#include <gtest/gtest.h>

#include <cstdio>

#include "janus/streaming.hpp"
#include "media/output.hpp"
#include "obs/bridge.hpp"
#include "obs/client.hpp"
#include "supervisor/relay.hpp"
#include "support/janus_test.hpp"
#include "support/media_sources.hpp"
#include "support/obs_server.hpp"
#include "support/process.hpp"
#include "support/rtmp_server.hpp"
#include "support/rtp_receiver.hpp"

namespace su::obs {
namespace {

using namespace std::chrono_literals;

class RecordingListener : public Listener {
 public:
  void onConnectionLost(const Error& reason) override { lost.push_back(reason); }
  void onReconnected() override { ++reconnected; }
  std::vector<Error> lost;
  int reconnected = 0;
};

// OBS, nginx-rtmp and Janus, and the helpers the tests share. Janus is started for every test
// here (≈60 ms), so that one fixture serves the chain test too.
class ObsTest : public test::JanusTest {
 protected:
  void SetUp() override {
    launchStarted = std::chrono::steady_clock::now();
    JanusTest::SetUp();
    obs = test::ObsServer::start();
    ASSERT_TRUE(obs) << "OBS did not start";
  }
  void TearDown() override {
    relay.reset();
    bridge.reset();
    client.reset();
    obs.reset();
    JanusTest::TearDown();
  }

  Result<void> connectObs(ClientOptions options = {}) {
    options.url = obs->url();
    if (!options.password) options.password = obs->password();
    auto created = Client::create(context(), options);
    EXPECT_TRUE(created.ok());
    client = std::move(created).value();
    client->addListener(&listener);
    bridge = std::make_unique<Bridge>(*client);
    return wait<void>([&](auto done) { client->connect(done); });
  }

  Result<void> bridgeCall(void (Bridge::*call)(Callback<void>)) {
    return wait<void>([&](auto done) { (bridge.get()->*call)(done); }, 30s);
  }

  Result<StreamStatus> status() {
    return wait<StreamStatus>([&](auto done) { bridge->status(done); });
  }

  std::unique_ptr<test::ObsServer> obs;
  std::unique_ptr<Client> client;
  std::unique_ptr<Bridge> bridge;
  std::unique_ptr<supervisor::Relay> relay;
  RecordingListener listener;
  std::chrono::steady_clock::time_point launchStarted;
};

TEST_F(ObsTest, AuthenticatesAndAWrongPasswordIsRefusedWith4009) {
  ASSERT_TRUE(connectObs().ok());
  auto version = wait<json::Value>([&](auto done) { client->request("GetVersion", {}, done); });
  ASSERT_TRUE(version.ok()) << version.error().message;
  EXPECT_NE(version->toString().find("obsWebSocketVersion"), std::string::npos);

  auto wrong = Client::create(context(), {.url = obs->url(), .password = "not-the-password-7"});
  ASSERT_TRUE(wrong.ok());
  auto refused = wait<void>([&](auto done) { (*wrong)->connect(done); });
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.error().is(errorDomainOf(ObsError::AuthenticationFailed),
                                 static_cast<int>(ObsError::AuthenticationFailed)))
      << refused.error().message;
  EXPECT_EQ(refused.error().message.find("not-the-password-7"), std::string::npos);
}

TEST_F(ObsTest, PublishesToCustomRtmpAndStartAndStopAreIdempotent) {
  auto rtmp = test::RtmpServer::start();
  ASSERT_TRUE(rtmp);
  ASSERT_TRUE(connectObs().ok());
  const std::string server = "rtmp://127.0.0.1:" + std::to_string(rtmp->port()) + "/live";
  auto configured =
      wait<void>([&](auto done) { bridge->configureCustomRtmp(server, "obs-stream-key-7", done); });
  ASSERT_TRUE(configured.ok()) << configured.error().message;
  auto started = bridgeCall(&Bridge::start);
  ASSERT_TRUE(started.ok()) << started.error().message << "\n" << obs->logTail();
  const auto publishing = std::chrono::steady_clock::now();
  std::printf("OBS: %lld ms from launch to websocket, %lld ms from launch to publishing\n",
              static_cast<long long>(obs->startupTime().count()),
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(publishing - launchStarted)
                      .count()));
  EXPECT_TRUE(bridgeCall(&Bridge::start).ok()) << "starting twice is a no-op";

  // Media really reaches nginx-rtmp: a relay pulling the stream gets video and audio out.
  test::RtpReceiver audioPort, videoPort;
  auto pulled = supervisor::PipelineRelay::create(context(), "obs-pull",
                                                  media::RtmpSource{rtmp->url("obs-stream-key-7")},
                                                  {{.mid = "a",
                                                    .type = model::MediaType::Audio,
                                                    .codec = "opus",
                                                    .payloadType = 111,
                                                    .host = "127.0.0.1",
                                                    .port = audioPort.port()},
                                                   {.mid = "v",
                                                    .type = model::MediaType::Video,
                                                    .codec = "h264",
                                                    .payloadType = 96,
                                                    .host = "127.0.0.1",
                                                    .port = videoPort.port()}},
                                                  {}, {});
  ASSERT_TRUE(pulled.ok());
  relay = std::move(pulled).value();
  relay->start();
  EXPECT_TRUE(runUntil([&] { return videoPort.packets() > 10 && audioPort.packets() > 10; }, 20s))
      << "audio " << audioPort.packets() << ", video " << videoPort.packets();
  auto streaming = status();
  ASSERT_TRUE(streaming.ok()) << streaming.error().message;
  EXPECT_TRUE(streaming->active);
  EXPECT_GT(streaming->bytes, 0u);
  EXPECT_GT(streaming->totalFrames, 0);

  EXPECT_TRUE(bridgeCall(&Bridge::stop).ok());
  EXPECT_TRUE(bridgeCall(&Bridge::stop).ok()) << "stopping twice is a no-op";
  auto stopped = status();
  ASSERT_TRUE(stopped.ok());
  EXPECT_FALSE(stopped->active);
}

TEST_F(ObsTest, OBSKilledMidStreamIsReportedAndTheClientReconnectsWhenItIsBack) {
  auto rtmp = test::RtmpServer::start();
  ASSERT_TRUE(rtmp);
  ASSERT_TRUE(
      connectObs({.reconnect = true, .reconnectBackoff = {.initial = 200ms, .max = 1000ms}}).ok());
  ASSERT_TRUE(wait<void>([&](auto done) {
                bridge->configureCustomRtmp(
                    "rtmp://127.0.0.1:" + std::to_string(rtmp->port()) + "/live", "killed", done);
              }).ok());
  ASSERT_TRUE(bridgeCall(&Bridge::start).ok());

  obs->kill();
  ASSERT_TRUE(runUntil([&] { return !listener.lost.empty(); }, 10s));
  EXPECT_TRUE(listener.lost[0].is(errorDomainOf(ObsError::ConnectionLost),
                                  static_cast<int>(ObsError::ConnectionLost)) ||
              listener.lost[0].domain == errorDomainOf(ws::WsError::Closed))
      << listener.lost[0].message;
  auto meanwhile = status();
  ASSERT_FALSE(meanwhile.ok());
  EXPECT_TRUE(meanwhile.error().is(errorDomainOf(ObsError::NotConnected),
                                   static_cast<int>(ObsError::NotConnected)));

  ASSERT_TRUE(obs->restart()) << obs->logTail();
  ASSERT_TRUE(runUntil([&] { return listener.reconnected == 1; }, 20s));
  auto back = status();
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_FALSE(back->active) << "a restarted OBS does not stream until told";
}

TEST_F(ObsTest, ObsThroughNginxRtmpAndARelayReachesAJanusViewer) {
  auto rtmp = test::RtmpServer::start();
  ASSERT_TRUE(rtmp);
  ASSERT_TRUE(connectObs().ok());
  ASSERT_TRUE(wait<void>([&](auto done) {
                bridge->configureCustomRtmp(
                    "rtmp://127.0.0.1:" + std::to_string(rtmp->port()) + "/live", "obs-chain",
                    done);
              }).ok());
  ASSERT_TRUE(bridgeCall(&Bridge::start).ok());

  connectSession();
  auto streaming = attachStreaming();
  ASSERT_TRUE(streaming);
  const auto plan = createRelayMountPoint(*streaming, 9501, "obs-chain");
  ASSERT_EQ(plan.size(), 2u);
  auto made = supervisor::PipelineRelay::create(
      context(), "obs-chain", media::RtmpSource{rtmp->url("obs-chain")}, plan, {}, {});
  ASSERT_TRUE(made.ok());
  relay = std::move(made).value();
  relay->start();
  EXPECT_TRUE(mediaFresh(*streaming, 9501, 2, 30s)) << "age_ms < 100 for both media";

  EXPECT_TRUE(viewerDecodes(9501));
  relay.reset();
  EXPECT_TRUE(bridgeCall(&Bridge::stop).ok());
}

TEST_F(ObsTest, TheObsCommandConfiguresStartsReportsAndStops) {
  auto rtmp = test::RtmpServer::start();
  ASSERT_TRUE(rtmp);
  // The password from the environment, as operators are told to pass it.
  g_setenv("SU_OBS_PASSWORD", obs->password().c_str(), TRUE);
  auto cli = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "obs");
    args.push_back("--port=" + std::to_string(obs->port()));
    return test::runCli(std::move(args));
  };
  const std::string server = "rtmp://127.0.0.1:" + std::to_string(rtmp->port()) + "/live";
  test::ProcessRun configured = cli({"configure", "--server", server, "--key", "cli-key-9"});
  ASSERT_EQ(configured.status, 0) << configured.err;
  EXPECT_NE(configured.out.find("\"rtmp_custom\""), std::string::npos) << configured.out;
  EXPECT_EQ((configured.out + configured.err).find("cli-key-9"), std::string::npos);

  for (const char* action : {"start", "start"}) {
    test::ProcessRun started = cli({action});
    ASSERT_EQ(started.status, 0) << started.err;
    EXPECT_NE(started.out.find("\"streaming\" : true"), std::string::npos) << started.out;
  }
  test::ProcessRun status = cli({"status"});
  ASSERT_EQ(status.status, 0) << status.err;
  EXPECT_NE(status.out.find("\"active\" : true"), std::string::npos) << status.out;
  for (const char* action : {"stop", "stop"}) {
    test::ProcessRun stopped = cli({action});
    ASSERT_EQ(stopped.status, 0) << stopped.err;
    EXPECT_NE(stopped.out.find("\"streaming\" : false"), std::string::npos) << stopped.out;
  }

  test::ProcessRun refused = cli({"status", "--password", "wrong-cli-password"});
  EXPECT_EQ(refused.status, 1);
  EXPECT_NE(refused.err.find("AuthenticationFailed"), std::string::npos) << refused.err;
  EXPECT_EQ(refused.err.find("wrong-cli-password"), std::string::npos);
  test::ProcessRun usage = cli({"configure"});
  EXPECT_EQ(usage.status, 2);
  EXPECT_NE(usage.err.find("configure needs --server URL"), std::string::npos) << usage.err;
  g_unsetenv("SU_OBS_PASSWORD");
}

}  // namespace
}  // namespace su::obs
