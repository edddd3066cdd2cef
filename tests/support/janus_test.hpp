// A fixture with a real Janus (started per test) and helpers to drive a Session against it.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>

#include "janus/session.hpp"
#include "janus/streaming.hpp"
#include "janus/streaming_viewer.hpp"
#include "media/output.hpp"
#include "support/janus_server.hpp"
#include "support/main_context_test.hpp"

namespace su::test {

class RecordingListener : public janus::SessionListener {
 public:
  void onSessionLost(const Error& reason) override { lost.push_back(reason); }
  void onSessionRestored() override { ++restored; }
  std::vector<Error> lost;
  int restored = 0;
};

class JanusTest : public MainContextTest {
 public:
  virtual JanusServer::Options janusOptions() const { return {}; }

  void SetUp() override {
    MainContextTest::SetUp();
    janus = JanusServer::start(janusOptions());
    ASSERT_TRUE(janus) << "Janus did not start";
  }

  void TearDown() override {
    handles.clear();
    session.reset();
    janus.reset();
    MainContextTest::TearDown();
  }

  // Waits for a callback-style operation: `start(done)` is called with a callback storing the
  // result, then the context runs until it arrives.
  template <typename T, typename Start>
  Result<T> wait(Start start, std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    std::optional<Result<T>> result;
    start([&](Result<T> value) { result = std::move(value); });
    if (!runUntil([&] { return result.has_value(); }, timeout)) {
      return Error{g_quark_from_static_string("su-test"), 1, "no answer in time", {}};
    }
    return std::move(*result);
  }

  void connectSession(janus::SessionOptions options = {}) {
    options.url = janus->url();
    auto created = janus::Session::create(context(), options);
    ASSERT_TRUE(created.ok()) << created.error().message;
    session = std::move(created).value();
    session->addListener(&listener);
    auto connected = wait<void>([&](auto done) { session->connect(done); });
    ASSERT_TRUE(connected.ok()) << connected.error().message << "\n" << janus->logTail();
  }

  std::shared_ptr<janus::Handle> attach(const std::string& plugin) {
    auto attached =
        wait<std::shared_ptr<janus::Handle>>([&](auto done) { session->attach(plugin, done); });
    EXPECT_TRUE(attached.ok()) << attached.error().message;
    if (!attached) return nullptr;
    handles.push_back(*attached);
    return *attached;
  }

  // A Streaming client on the session (after connectSession); null, with a failure, if it cannot
  // attach.
  std::unique_ptr<janus::StreamingClient> attachStreaming() {
    auto client = wait<std::unique_ptr<janus::StreamingClient>>(
        [&](auto done) { janus::StreamingClient::attach(*session, done); });
    EXPECT_TRUE(client.ok()) << client.error().message;
    return client ? std::move(client).value() : nullptr;
  }

  // An Opus + H.264 (constrained baseline) mountpoint `id`, Janus picking the ports, and a
  // relay's plan for it: what the relay tests feed.
  // `videoRtcp`: the video media gets an RTCP port of Janus's choosing.
  std::vector<media::OutputTrack> createRelayMountPoint(janus::StreamingBackend& streaming,
                                                        std::int64_t id,
                                                        const std::string& relayName,
                                                        bool videoRtcp = false) {
    model::MountPoint spec{.id = id, .adminKey = janus->streamingAdminKey()};
    spec.media = {{.type = model::MediaType::Audio, .mid = "a", .pt = 111, .codec = "opus"},
                  {.type = model::MediaType::Video,
                   .mid = "v",
                   .pt = 96,
                   .codec = "h264",
                   .fmtp = "profile-level-id=42e01f;packetization-mode=1"}};
    if (videoRtcp) spec.media[1].rtcpPort = 0;
    auto created = wait<janus::MountPointCreated>([&](auto done) { streaming.create(spec, done); });
    EXPECT_TRUE(created.ok()) << created.error().message;
    auto plan =
        media::planOutput(spec, created ? created->ports : std::vector<model::MountPointPort>{},
                          "127.0.0.1", relayName);
    EXPECT_TRUE(plan.ok()) << plan.error().describe();
    return plan ? *plan : std::vector<media::OutputTrack>{};
  }

  // Whether every media of mountpoint `id` (at least `minMedia`) has age_ms < 100 on every poll
  // for half a second. One good poll proves nothing: a new mountpoint's age counts from its
  // creation. `since`, if given, gets the first poll of that half second.
  bool mediaFresh(janus::StreamingBackend& streaming, std::int64_t id, std::size_t minMedia = 1,
                  std::chrono::milliseconds timeout = std::chrono::seconds(15),
                  std::chrono::steady_clock::time_point* since = nullptr) {
    constexpr auto kSustained = std::chrono::milliseconds(500);
    const auto deadline = std::chrono::steady_clock::now() + timeout * timeScale();
    constexpr auto kNotFresh = std::chrono::steady_clock::time_point::max();
    auto freshSince = kNotFresh;
    while (std::chrono::steady_clock::now() < deadline) {
      auto info =
          wait<janus::MountPointInfo>([&](auto done) { streaming.info(id, std::nullopt, done); });
      const bool fresh = info && info->media.size() >= minMedia &&
                         std::all_of(info->media.begin(), info->media.end(),
                                     [](const auto& m) { return m.ageMs && *m.ageMs < 100; });
      const auto now = std::chrono::steady_clock::now();
      if (!fresh) freshSince = kNotFresh;
      if (fresh && freshSince == kNotFresh) freshSince = now;
      if (fresh && now - freshSince >= kSustained) {
        if (since) *since = freshSince;
        return true;
      }
      runFor(std::chrono::milliseconds(50));
    }
    return false;
  }

  // Watches `mountpoint` over WebRTC (through `on`, else this test's session) until the viewer
  // has decoded `frames` video frames and some audio: the proof that media reaches browsers.
  bool viewerDecodes(std::int64_t mountpoint, std::uint64_t frames = 30,
                     janus::Session* on = nullptr) {
    janus::Session& through = on ? *on : *session;
    auto handle = wait<std::shared_ptr<janus::Handle>>(
        [&](auto done) { through.attach(janus::kStreamingPlugin, done); });
    EXPECT_TRUE(handle.ok()) << handle.error().message;
    if (!handle) return false;
    janus::StreamingViewer viewer(context(), *handle);
    auto watching = wait<void>([&](auto done) { viewer.watch(mountpoint, done); });
    EXPECT_TRUE(watching.ok()) << watching.error().message << "\n" << janus->logTail();
    const bool decoded =
        watching &&
        runUntil([&] { return viewer.videoFrames() >= frames && viewer.audioBuffers() > 0; },
                 std::chrono::seconds(20));
    EXPECT_TRUE(decoded) << "video frames " << viewer.videoFrames() << ", audio buffers "
                         << viewer.audioBuffers();
    return decoded;
  }

  // The ids of the mountpoints `streaming` lists.
  std::vector<std::int64_t> mountpointIds(janus::StreamingBackend& streaming) {
    auto listed =
        wait<std::vector<janus::MountPointInfo>>([&](auto done) { streaming.list(done); });
    EXPECT_TRUE(listed.ok()) << listed.error().message;
    std::vector<std::int64_t> ids;
    for (const auto& info : listed ? *listed : std::vector<janus::MountPointInfo>{})
      ids.push_back(info.id);
    return ids;
  }

  std::unique_ptr<JanusServer> janus;
  std::unique_ptr<janus::Session> session;
  std::vector<std::shared_ptr<janus::Handle>> handles;
  RecordingListener listener;
};

// A JanusTest with its session connected and a Streaming client attached.
class JanusStreamingTest : public JanusTest {
 protected:
  void SetUp() override {
    JanusTest::SetUp();
    if (HasFatalFailure()) return;
    connectSession();
    streaming = attachStreaming();
    ASSERT_TRUE(streaming);
  }
  void TearDown() override {
    streaming.reset();
    JanusTest::TearDown();
  }

  std::unique_ptr<janus::StreamingClient> streaming;
};

}  // namespace su::test
