// The VideoRoom client against the real Janus: rooms, error codes, and a real rtp_forward from a
// WebRTC publisher into a Streaming mountpoint.
#include <gtest/gtest.h>

#include "janus/streaming.hpp"
#include "janus/videoroom.hpp"
#include "support/janus_test.hpp"
#include "support/media_sources.hpp"

namespace su::janus {
namespace {

using namespace std::chrono_literals;

class VideoRoomTest : public test::JanusTest {
 protected:
  void SetUp() override {
    JanusTest::SetUp();
    connectSession();
    auto client = wait<std::unique_ptr<VideoRoomClient>>(
        [&](auto done) { VideoRoomClient::attach(*session, done); });
    ASSERT_TRUE(client.ok()) << client.error().message;
    videoroom = std::move(client).value();
  }
  void TearDown() override {
    publisher.reset();
    streaming.reset();
    videoroom.reset();
    JanusTest::TearDown();
  }

  model::RoomSpec room(std::int64_t id) {
    return {.room = id,
            .secret = std::string("room-secret"),
            .adminKey = janus->videoRoomAdminKey(),
            .publishers = 2,
            .videocodec = std::string("h264")};
  }
  RoomAccess access() const { return {"room-secret", janus->videoRoomAdminKey()}; }

  Result<RoomEnsured> ensure(const model::RoomSpec& spec) {
    return wait<RoomEnsured>([&](auto done) { videoroom->ensure(spec, done); });
  }
  Result<std::vector<PublisherForwarders>> forwarders(std::int64_t id) {
    return wait<std::vector<PublisherForwarders>>(
        [&](auto done) { videoroom->listForwarders(id, access(), done); });
  }

  std::unique_ptr<VideoRoomClient> videoroom;
  std::unique_ptr<StreamingClient> streaming;
  std::unique_ptr<test::VideoRoomPublisher> publisher;
};

TEST_F(VideoRoomTest, ExistsEnsureCreateDestroy) {
  EXPECT_EQ(wait<bool>([&](auto done) { videoroom->exists(4100, done); }).value(), false);
  auto first = ensure(room(4100));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->created);
  EXPECT_EQ(wait<bool>([&](auto done) { videoroom->exists(4100, done); }).value(), true);
  auto second = ensure(room(4100));
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->created) << "an existing room is used, not created";

  auto again = wait<RoomCreated>([&](auto done) { videoroom->create(room(4100), done); });
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(isPluginError(again.error(), kVideoRoomRoomExists)) << again.error().message;

  auto wrongSecret =
      wait<Removal>([&](auto done) { videoroom->destroy(4100, "wrong", false, done); });
  EXPECT_TRUE(isPluginError(wrongSecret.error(), kVideoRoomUnauthorized));
  EXPECT_EQ(wait<Removal>([&](auto done) {
              videoroom->destroy(4100, "room-secret", false, done);
            }).value(),
            Removal::Destroyed);
  EXPECT_EQ(wait<Removal>([&](auto done) {
              videoroom->destroy(4100, "room-secret", false, done);
            }).value(),
            Removal::AlreadyGone);
}

TEST_F(VideoRoomTest, AdminKeyErrors) {
  model::RoomSpec noKey = room(4101);
  noKey.adminKey.reset();
  auto missing = wait<RoomCreated>([&](auto done) { videoroom->create(noKey, done); });
  EXPECT_TRUE(isPluginError(missing.error(), kVideoRoomMissingElement)) << missing.error().message;
  EXPECT_NE(missing.error().message.find("admin_key"), std::string::npos);

  model::RoomSpec wrongKey = room(4101);
  wrongKey.adminKey = "not-the-key";
  auto refused = wait<RoomCreated>([&](auto done) { videoroom->create(wrongKey, done); });
  EXPECT_TRUE(isPluginError(refused.error(), kVideoRoomUnauthorized)) << refused.error().message;
}

TEST_F(VideoRoomTest, ForwardingAMissingFeedOrWithoutTheAdminKeyFails) {
  ASSERT_TRUE(ensure(room(4102)).ok());
  model::RtpForwardRequestSpec forward{.room = 4102,
                                       .publisherId = 999,
                                       .secret = std::string("room-secret"),
                                       .adminKey = janus->videoRoomAdminKey(),
                                       .streams = {{.mid = "0", .port = test::freeUdpPort()}}};
  auto noFeed = wait<RtpForwarded>([&](auto done) { videoroom->rtpForward(forward, done); });
  EXPECT_TRUE(isPluginError(noFeed.error(), kVideoRoomNoSuchFeed)) << noFeed.error().message;

  forward.adminKey.reset();  // the plugin has lock_rtp_forward
  auto noKey = wait<RtpForwarded>([&](auto done) { videoroom->rtpForward(forward, done); });
  EXPECT_TRUE(isPluginError(noKey.error(), kVideoRoomMissingElement)) << noKey.error().message;
}

class RtpForwardTest : public VideoRoomTest {
 protected:
  // A room with a WebRTC publisher (H.264 + Opus), and a mountpoint to forward into.
  void SetUp() override {
    VideoRoomTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(ensure(room(kRoom)).ok());
    publisherHandle = attach(kVideoRoomPlugin);
    ASSERT_TRUE(publisherHandle);
    publisher = std::make_unique<test::VideoRoomPublisher>(context(), publisherHandle);
    auto published =
        wait<void>([&](auto done) { publisher->publish(kRoom, kPublisher, std::nullopt, done); });
    ASSERT_TRUE(published.ok()) << published.error().message << "\n" << janus->logTail();
    ASSERT_TRUE(runUntil([&] { return publisher->webrtcUp(); }, 15s)) << "no webrtcup\n"
                                                                      << janus->logTail();

    streaming = attachStreaming();
    ASSERT_TRUE(streaming);
    audioPort = test::freeUdpPort();
    videoPort = test::freeUdpPort();
    videoRtcpPort = test::freeUdpPort();
    model::MountPoint mountpoint{.id = kMountPoint, .adminKey = janus->streamingAdminKey()};
    mountpoint.media = {{.type = model::MediaType::Audio,
                         .mid = "a",
                         .port = audioPort,
                         .pt = 111,
                         .codec = "opus"},
                        {.type = model::MediaType::Video,
                         .mid = "v",
                         .port = videoPort,
                         .pt = 96,
                         .codec = "h264",
                         .fmtp = "profile-level-id=42e01f;packetization-mode=1",
                         .rtcpPort = videoRtcpPort}};
    ASSERT_TRUE(
        wait<MountPointCreated>([&](auto done) { streaming->create(mountpoint, done); }).ok());
  }

  model::RtpForwardRequestSpec forwardToMountPoint() {
    return {.room = kRoom,
            .publisherId = kPublisher,
            .secret = std::string("room-secret"),
            .adminKey = janus->videoRoomAdminKey(),
            .streams = {{.mid = publisher->audioMid(), .port = audioPort, .pt = 111},
                        {.mid = publisher->videoMid(),
                         .port = videoPort,
                         .pt = 96,
                         .rtcpPort = videoRtcpPort}}};
  }

  bool mountPointAges(const std::function<bool(std::int64_t)>& accept,
                      std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout * timeScale();
    while (std::chrono::steady_clock::now() < deadline) {
      auto info = wait<MountPointInfo>(
          [&](auto done) { streaming->info(kMountPoint, std::nullopt, done); });
      if (info && info->media.size() == 2 &&
          std::all_of(info->media.begin(), info->media.end(),
                      [&](const MountPointMedia& m) { return m.ageMs && accept(*m.ageMs); })) {
        return true;
      }
      runFor(100ms);
    }
    return false;
  }

  static constexpr std::int64_t kRoom = 4200;
  static constexpr std::int64_t kPublisher = 4242;
  static constexpr std::int64_t kMountPoint = 9200;
  std::uint16_t audioPort = 0;
  std::uint16_t videoPort = 0;
  std::uint16_t videoRtcpPort = 0;
  std::shared_ptr<Handle> publisherHandle;
};

TEST_F(RtpForwardTest, ARoomWatcherSeesThePublisherAndItsLeavingAndAMissingRoomFailsClearly) {
  auto missing = wait<std::unique_ptr<RoomWatcher>>(
      [&](auto done) { videoroom->watch(4299, std::nullopt, done); });
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(isPluginError(missing.error(), kVideoRoomNoSuchRoom)) << missing.error().message;

  auto watched = wait<std::unique_ptr<RoomWatcher>>(
      [&](auto done) { videoroom->watch(kRoom, std::nullopt, done); });
  ASSERT_TRUE(watched.ok()) << watched.error().message;
  std::unique_ptr<RoomWatcher> watcher = std::move(watched).value();
  const RoomPublisher* present = watcher->find(kPublisher);
  ASSERT_NE(present, nullptr) << "a publisher already in the room is listed on joining";
  EXPECT_EQ(present->streams.size(), 2u);
  std::vector<std::int64_t> gone;
  watcher->setHandlers({.onUnpublished = [&](std::int64_t id) { gone.push_back(id); }});

  // The publisher closes its page: its handle goes, and it leaves the room.
  ASSERT_TRUE(wait<void>([&](auto done) { publisherHandle->detach(done); }).ok());
  ASSERT_TRUE(runUntil([&] { return !gone.empty(); }, 10s));
  EXPECT_EQ(gone, std::vector<std::int64_t>{kPublisher});
  EXPECT_EQ(watcher->find(kPublisher), nullptr);
}

TEST_F(RtpForwardTest, APublishersStreamsReachTheMountPointUntilTheForwardStops) {
  ASSERT_FALSE(publisher->audioMid().empty());
  ASSERT_FALSE(publisher->videoMid().empty());
  auto forwarded =
      wait<RtpForwarded>([&](auto done) { videoroom->rtpForward(forwardToMountPoint(), done); });
  ASSERT_TRUE(forwarded.ok()) << forwarded.error().message << "\n" << janus->logTail();
  ASSERT_EQ(forwarded->forwarders.size(), 2u);
  EXPECT_EQ(forwarded->forwarders[0].mid, publisher->audioMid());
  EXPECT_EQ(forwarded->forwarders[0].port, audioPort);
  EXPECT_EQ(forwarded->forwarders[1].mid, publisher->videoMid());
  EXPECT_EQ(forwarded->forwarders[1].port, videoPort);

  EXPECT_TRUE(mountPointAges([](std::int64_t age) { return age < 100; }))
      << "forwarded media reaches the mountpoint";
  auto listed = forwarders(kRoom);
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].publisherId, kPublisher);
  EXPECT_EQ((*listed)[0].forwarders.size(), 2u);

  for (const model::Forwarder& forwarder : forwarded->forwarders) {
    auto stopped = wait<void>([&](auto done) {
      videoroom->stopRtpForward(kRoom, kPublisher, forwarder.streamId, access(), done);
    });
    ASSERT_TRUE(stopped.ok()) << stopped.error().message;
  }
  EXPECT_TRUE(mountPointAges([](std::int64_t age) { return age >= 500; }))
      << "without the forward, age_ms grows again";
  EXPECT_TRUE(forwarders(kRoom)->empty());
}

TEST_F(RtpForwardTest, AStreamJanusSkipsFailsTheForwardAndLeavesNothingBehind) {
  model::RtpForwardRequestSpec forward = forwardToMountPoint();
  forward.streams[1].mid = "no-such-mid";
  auto forwarded = wait<RtpForwarded>([&](auto done) { videoroom->rtpForward(forward, done); });
  ASSERT_FALSE(forwarded.ok());
  EXPECT_TRUE(forwarded.error().is(errorDomainOf(JanusError::ForwardIncomplete),
                                   static_cast<int>(JanusError::ForwardIncomplete)));
  EXPECT_NE(forwarded.error().message.find("skipped mid \"no-such-mid\" (port " +
                                           std::to_string(videoPort) + ")"),
            std::string::npos)
      << forwarded.error().message;
  auto listed = forwarders(kRoom);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty()) << "the audio forwarder Janus did create was stopped";
}

}  // namespace
}  // namespace su::janus
