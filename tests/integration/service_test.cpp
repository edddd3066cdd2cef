// The service facade against a real Janus: broadcasts started from JSON, stopped by id and all,
// health as JSON without secrets; bad JSON and an unreachable Janus are clear errors.
#include <gtest/gtest.h>

#include "service/broadcast_service.hpp"
#include "support/janus_test.hpp"
#include "support/rtmp_server.hpp"

namespace su::service {
namespace {

using namespace std::chrono_literals;
using model::RunState;

class ServiceTest : public test::JanusStreamingTest {
 protected:
  void TearDown() override {
    service.reset();
    JanusStreamingTest::TearDown();
  }

  Result<void> open(ServiceOptions options = {}) {
    if (options.janus.url == janus::SessionOptions{}.url) options.janus.url = janus->url();
    service = std::make_unique<BroadcastService>(context(), options, observer);
    return wait<void>([&](auto done) { service->connect(done); });
  }
  std::string pattern(const std::string& id, std::int64_t mountpoint) const {
    return R"({"source_kind":"test_pattern","broadcast_id":")" + id +
           R"(","mountpoint_spec":{"id":)" + std::to_string(mountpoint) +
           R"(,"secret":"svc-secret","admin_key":")" + janus->streamingAdminKey() +
           R"(","media":[{"type":"audio","codec":"opus"},{"type":"video","codec":"h264"}]}})";
  }
  std::size_t mountpoints() { return mountpointIds(*streaming).size(); }

  orchestrator::Observer observer;
  std::unique_ptr<BroadcastService> service;
};

TEST_F(ServiceTest, StartsFromJsonReportsHealthWithoutSecretsAndStopsByIdAndAll) {
  ASSERT_TRUE(open().ok());
  auto first = wait<model::BroadcastResult>(
      [&](auto done) { service->start(pattern("svc-1", 9801), done); }, 30s);
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->state, RunState::Running);
  auto second = wait<model::BroadcastResult>(
      [&](auto done) { service->start(pattern("svc-2", 9802), done); }, 30s);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->state, RunState::Running);

  auto health = wait<json::Value>(
      [&](auto done) { service->health([done](json::Value value) { done(std::move(value)); }); });
  ASSERT_TRUE(health.ok());
  const std::string text = health->toString();
  EXPECT_NE(text.find(R"("healthy":true)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("active":2,"failed":0,"cleanup_pending":0)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("broadcast_id":"svc-1")"), std::string::npos);
  EXPECT_NE(text.find(R"("bitrate_kbps":)"), std::string::npos);
  EXPECT_NE(text.find(R"("age_ms":)"), std::string::npos);
  EXPECT_EQ(text.find("svc-secret"), std::string::npos);
  EXPECT_EQ(text.find(janus->streamingAdminKey()), std::string::npos);

  auto stopped = wait<model::BroadcastResult>([&](auto done) { service->stop("svc-1", done); });
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(stopped->state, RunState::Stopped);
  EXPECT_EQ(mountpoints(), 1u) << "only svc-1 stopped";
  auto unknown = wait<model::BroadcastResult>([&](auto done) { service->stop("nope", done); });
  EXPECT_FALSE(unknown.ok());
  ASSERT_TRUE(
      wait<void>([&](auto done) { service->stopAll([done] { done(Result<void>()); }); }).ok());
  EXPECT_EQ(mountpoints(), 0u);
}

TEST_F(ServiceTest, BadJsonAndAnUnreachableJanusAreClearErrorsAndStartNothing) {
  ASSERT_TRUE(open().ok());
  auto garbage = wait<model::BroadcastResult>([&](auto done) { service->start("{oops", done); });
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.error().message.find("line 1"), std::string::npos) << garbage.error().message;
  auto invalid = wait<model::BroadcastResult>(
      [&](auto done) { service->start(R"({"source_kind":"uri"})", done); });
  ASSERT_FALSE(invalid.ok());
  EXPECT_GE(invalid.error().fields.size(), 2u) << invalid.error().describe();
  EXPECT_EQ(mountpoints(), 0u);

  auto offline = std::make_unique<BroadcastService>(
      context(),
      ServiceOptions{.janus = {.url = "ws://127.0.0.1:" + std::to_string(test::freeTcpPort())}});
  auto connected = wait<void>([&](auto done) { offline->connect(done); });
  ASSERT_FALSE(connected.ok());
  EXPECT_NE(connected.error().message.find("cannot connect to Janus"), std::string::npos)
      << connected.error().message;
  auto notStarted = wait<model::BroadcastResult>(
      [&](auto done) { offline->start(pattern("never", 9803), done); });
  ASSERT_FALSE(notStarted.ok());
  EXPECT_TRUE(notStarted.error().is(errorDomainOf(ServiceError::NotConnected),
                                    static_cast<int>(ServiceError::NotConnected)));
}

TEST_F(ServiceTest, ARelayOutOfRestartsFailsItsBroadcastAndUndoesIt) {
  auto rtmp = test::RtmpServer::start();
  ASSERT_TRUE(rtmp);
  auto publisher = test::RtmpPublisher::start(rtmp->url("short-lived"));
  std::vector<RunState> states;
  observer.onState = [&](const std::string&, RunState state) { states.push_back(state); };
  ASSERT_TRUE(open({.relay = {.backoff = {.initial = 100ms, .max = 200ms},
                              .budget = {.maxRestarts = 2, .window = 60s}}})
                  .ok());
  auto started = wait<model::BroadcastResult>(
      [&](auto done) {
        service->start(
            R"({"source_kind":"rtmp_external","broadcast_id":"fragile",
            "srs":{"rtmp_url":"rtmp://127.0.0.1:)" +
                std::to_string(rtmp->port()) +
                R"(","app":"live","stream_key":"short-lived"},
            "mountpoint_spec":{"id":9804,"admin_key":")" +
                janus->streamingAdminKey() +
                R"(","media":[{"type":"audio","codec":"opus"},{"type":"video","codec":"h264"}]}})",
            done);
      },
      40s);
  ASSERT_TRUE(started.ok());
  ASSERT_EQ(started->state, RunState::Running) << (started->error ? started->error->message : "");
  EXPECT_EQ(mountpoints(), 1u);

  rtmp.reset();  // the ingest goes away for good
  ASSERT_TRUE(runUntil(
      [&] { return service->orchestrator()->result("fragile")->state == RunState::Failed; }, 60s));
  EXPECT_NE(std::find(states.begin(), states.end(), RunState::Retrying), states.end());
  EXPECT_TRUE(service->orchestrator()->result("fragile")->error);
  EXPECT_EQ(mountpoints(), 0u) << "a broadcast that failed for good holds nothing in Janus";
}

TEST_F(ServiceTest, AfterJanusRestartsTheMountpointComesBackWithItsPortsAndMediaFlowsAgain) {
  std::vector<std::string> events;
  observer.onEvent = [&](const std::string&, const std::string& name, const json::Value&) {
    events.push_back(name);
  };
  ASSERT_TRUE(open().ok());
  auto started = wait<model::BroadcastResult>(
      [&](auto done) { service->start(pattern("survivor", 9805), done); }, 30s);
  ASSERT_TRUE(started.ok());
  ASSERT_EQ(started->state, RunState::Running);
  const auto ports = started->mountpoint->media;  // Janus picked them

  janus->kill();  // as a crash would: every mountpoint is gone
  ASSERT_TRUE(janus->restart());
  ASSERT_TRUE(runUntil(
      [&] {
        return std::find(events.begin(), events.end(), "mountpoint_recreated") != events.end() &&
               service->orchestrator()->result("survivor")->state == RunState::Running &&
               listener.restored > 0;
      },
      30s))
      << janus->logTail();
  EXPECT_NE(std::find(events.begin(), events.end(), "janus_restored"), events.end());
  auto info = wait<janus::MountPointInfo>(
      [&](auto done) { streaming->info(9805, std::string("svc-secret"), done); });
  ASSERT_TRUE(info.ok()) << info.error().message;
  ASSERT_EQ(info->media.size(), ports.size());
  for (std::size_t i = 0; i < ports.size(); ++i)
    EXPECT_EQ(info->media[i].port, ports[i].port) << "the relay's ports, kept";
  EXPECT_TRUE(mediaFresh(*streaming, 9805, 2)) << "the relay feeds it again";
  EXPECT_TRUE(viewerDecodes(9805));

  auto stopped = wait<model::BroadcastResult>([&](auto done) { service->stop("survivor", done); });
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(stopped->state, RunState::Stopped);
  EXPECT_FALSE(stopped->error);
  EXPECT_TRUE(mountpointIds(*streaming).empty());
}

}  // namespace
}  // namespace su::service
