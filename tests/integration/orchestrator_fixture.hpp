// The orchestrator tests' fixture: a real Janus (Streaming and VideoRoom), the real relay
// factory, and the real backends wrapped so that one operation can be made to fail (or be held)
// on demand — for what Janus cannot be made to do on cue.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>

#include "janus/streaming.hpp"
#include "obs/bridge.hpp"
#include "orchestrator/orchestrator.hpp"
#include "support/janus_test.hpp"
#include "support/media_sources.hpp"
#include "support/obs_server.hpp"
#include "support/rtmp_server.hpp"
#include "support/rtsp_server.hpp"
#include "support/tcp_proxy.hpp"

namespace su::orchestrator {
namespace {

using namespace std::chrono_literals;
using model::RunState;

// The real Streaming client, with one operation made to fail on demand.
class FailingStreaming final : public janus::StreamingBackend {
 public:
  explicit FailingStreaming(janus::StreamingBackend& real) : real_(real) {}
  bool failCreate = false;
  int creates = 0;  // asked for so far

  void create(const model::MountPoint& mountpoint,
              Callback<janus::MountPointCreated> done) override {
    ++creates;
    if (failCreate) {
      real_.list([done](auto) {  // answered later, like a refusal from Janus
        done(Error{janus::janusPluginErrorDomain(), 456, "injected: create refused", {}});
      });
      return;
    }
    real_.create(mountpoint, std::move(done));
  }
  void destroy(std::int64_t id, const std::optional<std::string>& secret, bool permanent,
               Callback<janus::Removal> done) override {
    real_.destroy(id, secret, permanent, std::move(done));
  }
  void info(std::int64_t id, const std::optional<std::string>& secret,
            Callback<janus::MountPointInfo> done) override {
    real_.info(id, secret, std::move(done));
  }
  void list(Callback<std::vector<janus::MountPointInfo>> done) override {
    real_.list(std::move(done));
  }
  void edit(std::int64_t id, const janus::MountPointEdit& edit, Callback<void> done) override {
    real_.edit(id, edit, std::move(done));
  }
  void enable(std::int64_t id, const std::optional<std::string>& secret,
              Callback<void> done) override {
    real_.enable(id, secret, std::move(done));
  }
  void disable(std::int64_t id, const std::optional<std::string>& secret,
               Callback<void> done) override {
    real_.disable(id, secret, std::move(done));
  }

 private:
  janus::StreamingBackend& real_;
};

// The real VideoRoom client, with room ensure or rtp_forward made to fail on demand.
class FailingVideoRoom final : public janus::VideoRoomBackend {
 public:
  explicit FailingVideoRoom(janus::VideoRoomBackend& real) : real_(real) {}
  bool failEnsure = false;
  bool failForward = false;
  int ensures = 0;  // asked for so far

  void exists(std::int64_t room, Callback<bool> done) override { real_.exists(room, done); }
  void create(const model::RoomSpec& room, Callback<janus::RoomCreated> done) override {
    real_.create(room, done);
  }
  void ensure(const model::RoomSpec& room, Callback<janus::RoomEnsured> done) override {
    ++ensures;
    if (failEnsure) {
      real_.exists(*room.room, [done](auto) {
        done(Error{janus::janusPluginErrorDomain(), 433, "injected: ensure refused", {}});
      });
      return;
    }
    real_.ensure(room, done);
  }
  void destroy(std::int64_t room, const std::optional<std::string>& secret, bool permanent,
               Callback<janus::Removal> done) override {
    real_.destroy(room, secret, permanent, done);
  }
  void rtpForward(const model::RtpForwardRequestSpec& forward,
                  Callback<janus::RtpForwarded> done) override {
    if (failForward) {
      real_.exists(forward.room, [done](auto) {
        done(Error{janus::janusPluginErrorDomain(), 428, "injected: forward refused", {}});
      });
      return;
    }
    real_.rtpForward(forward, done);
  }
  void stopRtpForward(std::int64_t room, std::int64_t publisherId, std::int64_t streamId,
                      const janus::RoomAccess& access, Callback<void> done) override {
    real_.stopRtpForward(room, publisherId, streamId, access, done);
  }
  void listForwarders(std::int64_t room, const janus::RoomAccess& access,
                      Callback<std::vector<janus::PublisherForwarders>> done) override {
    real_.listForwarders(room, access, done);
  }
  void watch(std::int64_t room, const std::optional<std::string>& pin,
             Callback<std::unique_ptr<janus::RoomWatcher>> done) override {
    real_.watch(room, pin, done);
  }

 private:
  janus::VideoRoomBackend& real_;
};

// The real relay factory, or a refusal.
class FailingRelays final : public RelayFactory {
 public:
  explicit FailingRelays(RelayFactory& real) : real_(real) {}
  bool fail = false;
  Result<std::unique_ptr<supervisor::Relay>> create(const std::string& name,
                                                    const model::BroadcastRequest& request,
                                                    std::vector<media::OutputTrack> tracks,
                                                    supervisor::StateCallback onState) override {
    if (fail) {
      return Error{g_quark_from_static_string("su-test"), 1, "injected: no relay", {}};
    }
    return real_.create(name, request, std::move(tracks), std::move(onState));
  }

 private:
  RelayFactory& real_;
};

class OrchestratorTest : public test::JanusStreamingTest {
 protected:
  void SetUp() override {
    JanusStreamingTest::SetUp();
    if (HasFatalFailure()) return;
    failingStreaming = std::make_unique<FailingStreaming>(*streaming);
    auto client = wait<std::unique_ptr<janus::VideoRoomClient>>(
        [&](auto done) { janus::VideoRoomClient::attach(*session, done); });
    ASSERT_TRUE(client.ok()) << client.error().message;
    videoroom = std::move(client).value();
    failingVideoRoom = std::make_unique<FailingVideoRoom>(*videoroom);
    realRelays = std::make_unique<DefaultRelayFactory>(
        context(), supervisor::RelayOptions{.backoff = {.initial = 200ms, .max = 1s}});
    failingRelays = std::make_unique<FailingRelays>(*realRelays);
    observer.onState = [this](const std::string& id, RunState state) {
      states[id].push_back(state);
    };
    observer.onEvent = [this](const std::string& id, const std::string& name, const json::Value&) {
      events[id].push_back(name);
    };
    observer.onError = [this](const std::string&, const std::string& phase, const Error& error) {
      errors.emplace_back(phase, error);
    };
    observer.onMetric = [this](const std::string& name, double value,
                               const std::map<std::string, std::string>& labels) {
      metrics.push_back({name, value, labels});
    };
    outputServers = std::make_unique<JanusServers>(
        context(), janus::SessionOptions{.reconnectBackoff = {.initial = 200ms, .max = 1s}});
    outputServers->onRestored = [this](const std::string& url) {
      if (orchestrator) orchestrator->outputJanusRestored(url);
    };
    makeOrchestrator({.mediaTimeout = 15s});
  }
  void makeOrchestrator(BroadcastOptions options) {
    orchestrator =
        std::make_unique<BroadcastOrchestrator>(context(),
                                                Backends{.streaming = *failingStreaming,
                                                         .videoroom = failingVideoRoom.get(),
                                                         .relays = *failingRelays,
                                                         .outputServers = outputServers.get()},
                                                options, observer);
  }
  void TearDown() override {
    publisher.reset();
    orchestrator.reset();
    outputServers.reset();
    failingVideoRoom.reset();
    videoroom.reset();
    failingRelays.reset();
    realRelays.reset();
    failingStreaming.reset();
    JanusStreamingTest::TearDown();
  }

  model::BroadcastRequest request(const std::string& json) {
    auto parsed = model::BroadcastRequest::fromPayload(json);
    EXPECT_TRUE(parsed.ok()) << parsed.error().describe();
    return parsed ? *parsed : model::BroadcastRequest{};
  }

  model::BroadcastResult start(model::BroadcastRequest broadcast) {
    auto started = wait<model::BroadcastResult>(
        [&](auto done) { orchestrator->start(std::move(broadcast), done); }, 40s);
    EXPECT_TRUE(started.ok()) << started.error().message;
    return started ? *started : model::BroadcastResult{};
  }

  model::BroadcastResult stop(const std::string& id) {
    auto stopped =
        wait<model::BroadcastResult>([&](auto done) { orchestrator->stop(id, done); }, 20s);
    EXPECT_TRUE(stopped.ok()) << stopped.error().message;
    return stopped ? *stopped : model::BroadcastResult{};
  }

  std::vector<std::int64_t> mountpointsInJanus() { return mountpointIds(*streaming); }

  // A two-media mountpoint spec with a secret: cleanup must use it. With `videoRtcpPort`, the
  // video media takes viewers' RTCP there.
  static std::string mountpoint(std::int64_t id, const std::string& adminKey,
                                std::optional<std::uint16_t> videoRtcpPort = {}) {
    const std::string rtcp =
        videoRtcpPort ? R"(,"rtcp_port":)" + std::to_string(*videoRtcpPort) : "";
    return R"({"id":)" + std::to_string(id) + R"(,"secret":"mp-secret-)" + std::to_string(id) +
           R"(","admin_key":")" + adminKey +
           R"(","media":[{"type":"audio","codec":"opus"},{"type":"video","codec":"h264")" + rtcp +
           "}]}";
  }

  // The room spec of a room flow (secret and admin key: cleanup and rtp_forward need both).
  std::string roomSpec(std::int64_t room) const {
    return R"({"room":)" + std::to_string(room) + R"(,"secret":"room-secret-)" +
           std::to_string(room) + R"(","admin_key":")" + janus->videoRoomAdminKey() +
           R"(","videocodec":"h264","audiocodec":"opus"})";
  }

  // A WebRTC publisher in `room`, sending once this returns true.
  bool publish(std::int64_t room, std::int64_t id, const std::string& display) {
    publisherHandle = attach(janus::kVideoRoomPlugin);
    if (!publisherHandle) return false;
    publisher = std::make_unique<test::VideoRoomPublisher>(context(), publisherHandle);
    auto published =
        wait<void>([&](auto done) { publisher->publish(room, id, std::nullopt, done, display); });
    EXPECT_TRUE(published.ok()) << published.error().message;
    return published && runUntil([&] { return publisher->webrtcUp(); }, 15s);
  }
  // The publisher closes its page: its handle goes, and it leaves the room.
  void leave() {
    auto detached = wait<void>([&](auto done) { publisherHandle->detach(done); });
    EXPECT_TRUE(detached.ok());
    publisher.reset();
  }

  bool roomExists(std::int64_t room) {
    auto exists = wait<bool>([&](auto done) { videoroom->exists(room, done); });
    EXPECT_TRUE(exists.ok());
    return exists && *exists;
  }
  std::size_t forwardersIn(std::int64_t room) {
    const janus::RoomAccess access{"room-secret-" + std::to_string(room),
                                   janus->videoRoomAdminKey()};
    auto listed = wait<std::vector<janus::PublisherForwarders>>(
        [&](auto done) { videoroom->listForwarders(room, access, done); });
    EXPECT_TRUE(listed.ok()) << listed.error().message;
    std::size_t count = 0;
    for (const auto& entry : listed ? *listed : std::vector<janus::PublisherForwarders>{})
      count += entry.forwarders.size();
    return count;
  }
  // A connection of the test's own to another Janus, to look at what broadcasts did there.
  std::unique_ptr<janus::Connection> connectTo(const test::JanusServer& server) {
    auto connection = janus::Connection::create(context(), {.url = server.url()});
    EXPECT_TRUE(connection.ok());
    if (!connection) return nullptr;
    auto connected = wait<void>([&](auto done) { (*connection)->connect(done); });
    EXPECT_TRUE(connected.ok()) << connected.error().message;
    return connected ? std::move(connection).value() : nullptr;
  }
  bool hasEvent(const std::string& id, const std::string& name) {
    return std::find(events[id].begin(), events[id].end(), name) != events[id].end();
  }

  std::unique_ptr<FailingStreaming> failingStreaming;
  std::unique_ptr<janus::VideoRoomClient> videoroom;
  std::unique_ptr<FailingVideoRoom> failingVideoRoom;
  std::unique_ptr<test::VideoRoomPublisher> publisher;
  std::shared_ptr<janus::Handle> publisherHandle;
  std::unique_ptr<DefaultRelayFactory> realRelays;
  std::unique_ptr<FailingRelays> failingRelays;
  Observer observer;
  std::unique_ptr<JanusServers> outputServers;
  std::unique_ptr<BroadcastOrchestrator> orchestrator;
  std::map<std::string, std::vector<RunState>> states;
  std::map<std::string, std::vector<std::string>> events;
  std::vector<std::pair<std::string, Error>> errors;
  struct Metric {
    std::string name;
    double value;
    std::map<std::string, std::string> labels;
  };
  std::vector<Metric> metrics;
};

}  // namespace
}  // namespace su::orchestrator
