// The Streaming client against the real Janus: lifecycle, every error path, and media.
#include <gtest/gtest.h>

#include "janus/streaming.hpp"
#include "model/decode.hpp"
#include "support/janus_test.hpp"
#include "support/media_sources.hpp"
#include "support/test_data.hpp"

namespace su::janus {
namespace {

using namespace std::chrono_literals;

class StreamingTest : public test::JanusStreamingTest {
 protected:
  model::MountPoint mountpoint(std::string_view json) {
    auto decoded = model::decode<model::MountPoint>(test::parseOk(json).get(), "mountpoint");
    EXPECT_TRUE(decoded.ok()) << decoded.error().describe();
    model::MountPoint spec = decoded ? *decoded : model::MountPoint{};
    spec.adminKey = janus->streamingAdminKey();
    return spec;
  }

  Result<MountPointCreated> create(const model::MountPoint& spec) {
    return wait<MountPointCreated>([&](auto done) { streaming->create(spec, done); });
  }
  Result<MountPointInfo> info(std::int64_t id, std::optional<std::string> secret = {}) {
    return wait<MountPointInfo>([&](auto done) { streaming->info(id, secret, done); });
  }
  Result<Removal> destroy(std::int64_t id, std::optional<std::string> secret = {}) {
    return wait<Removal>([&](auto done) { streaming->destroy(id, secret, false, done); });
  }

  // Asks `info` every 100 ms until `accept` likes the answer.
  bool waitForInfo(std::int64_t id, const std::function<bool(const MountPointInfo&)>& accept,
                   std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout * timeScale();
    while (std::chrono::steady_clock::now() < deadline) {
      auto current = info(id);
      if (current && accept(*current)) return true;
      runFor(100ms);
    }
    return false;
  }
};

bool everyMedia(const MountPointInfo& info, const std::function<bool(std::int64_t)>& test) {
  if (info.media.empty()) return false;
  for (const MountPointMedia& media : info.media) {
    if (!media.ageMs || !test(*media.ageMs)) return false;
  }
  return true;
}

TEST_F(StreamingTest, CreateInfoListEditDisableEnableDestroy) {
  const std::uint16_t audioPort = test::freeUdpPort();
  const std::uint16_t videoPort = test::freeUdpPort();
  const std::uint16_t rtcpPort = test::freeUdpPort();
  model::MountPoint spec = mountpoint(R"({"id": 9101, "name": "lifecycle", "description": "before",
      "secret": "mp-secret", "is_private": false, "media": [
        {"type": "audio", "mid": "a", "codec": "opus", "port": )" +
                                      std::to_string(audioPort) + R"(},
        {"type": "video", "mid": "v", "codec": "h264", "port": )" +
                                      std::to_string(videoPort) + R"(, "rtcp_port": )" +
                                      std::to_string(rtcpPort) + "}]}");
  auto created = create(spec);
  ASSERT_TRUE(created.ok()) << created.error().message << "\n" << janus->logTail();
  EXPECT_EQ(created->id, 9101);
  EXPECT_EQ(created->name, "lifecycle");
  EXPECT_EQ(created->type, "live");
  ASSERT_EQ(created->ports.size(), 2u);
  EXPECT_EQ(
      created->ports[0],
      (model::MountPointPort{.mid = "a", .type = model::MediaType::Audio, .port = audioPort}));
  EXPECT_EQ(
      created->ports[1],
      (model::MountPointPort{
          .mid = "v", .type = model::MediaType::Video, .port = videoPort, .rtcpPort = rtcpPort}));

  auto detailed = info(9101, "mp-secret");
  ASSERT_TRUE(detailed.ok()) << detailed.error().message;
  EXPECT_EQ(detailed->name, "lifecycle");
  EXPECT_TRUE(detailed->enabled);
  ASSERT_EQ(detailed->media.size(), 2u);
  EXPECT_EQ(detailed->media[1].port, videoPort);
  EXPECT_EQ(detailed->media[1].rtcpPort, rtcpPort);
  EXPECT_EQ(detailed->media[1].codec, "h264");
  EXPECT_EQ(detailed->media[1].pt, 96);
  auto anonymous = info(9101);
  ASSERT_TRUE(anonymous.ok());
  EXPECT_FALSE(anonymous->media[1].port.has_value()) << "ports only with the secret";

  auto listed = wait<std::vector<MountPointInfo>>([&](auto done) { streaming->list(done); });
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, 9101);
  EXPECT_EQ((*listed)[0].media.size(), 2u);

  auto edited = wait<void>([&](auto done) {
    streaming->edit(9101, {.secret = "mp-secret", .newDescription = "after"}, done);
  });
  ASSERT_TRUE(edited.ok()) << edited.error().message;
  EXPECT_EQ(info(9101)->description, "after");

  ASSERT_TRUE(wait<void>([&](auto done) { streaming->disable(9101, "mp-secret", done); }).ok());
  EXPECT_FALSE(info(9101)->enabled);
  ASSERT_TRUE(wait<void>([&](auto done) { streaming->enable(9101, "mp-secret", done); }).ok());
  EXPECT_TRUE(info(9101)->enabled);

  EXPECT_EQ(destroy(9101, "mp-secret").value(), Removal::Destroyed);
  EXPECT_EQ(destroy(9101, "mp-secret").value(), Removal::AlreadyGone) << "gone is not an error";
  auto after = info(9101);
  ASSERT_FALSE(after.ok());
  EXPECT_TRUE(isPluginError(after.error(), kStreamingNoSuchMountpoint)) << after.error().message;
}

TEST_F(StreamingTest, JanusPicksPortsWhenNoneAreGiven) {
  auto created = create(mountpoint(R"({"media": [{"type": "audio", "codec": "opus"},
      {"type": "video", "codec": "vp8"}, {"type": "data", "data_type": "text"}]})"));
  ASSERT_TRUE(created.ok()) << created.error().message;
  ASSERT_EQ(created->ports.size(), 3u);
  for (const auto& port : created->ports)
    EXPECT_GE(port.port, 20000) << port.mid;
  EXPECT_EQ(created->ports[2].type, model::MediaType::Data);
  EXPECT_EQ(destroy(created->id).value(), Removal::Destroyed);
}

TEST_F(StreamingTest, ErrorCodesComeBackTyped) {
  model::MountPoint spec = mountpoint(R"({"id": 9102, "secret": "right",
      "media": [{"type": "audio", "codec": "opus"}]})");

  model::MountPoint wrongKey = spec;
  wrongKey.adminKey = "not-the-admin-key";
  auto refused = create(wrongKey);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(isPluginError(refused.error(), kStreamingUnauthorized)) << refused.error().message;
  EXPECT_NE(refused.error().message.find("wrong admin_key"), std::string::npos);

  model::MountPoint noKey = spec;
  noKey.adminKey.reset();
  auto missing = create(noKey);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(isPluginError(missing.error(), 453)) << missing.error().message;

  ASSERT_TRUE(create(spec).ok());
  auto wrongSecret = destroy(9102, "wrong");
  ASSERT_FALSE(wrongSecret.ok());
  EXPECT_TRUE(isPluginError(wrongSecret.error(), kStreamingUnauthorized));
  EXPECT_NE(wrongSecret.error().message.find("wrong secret"), std::string::npos);
  EXPECT_EQ(destroy(9102, "right").value(), Removal::Destroyed);

  EXPECT_EQ(destroy(424242).value(), Removal::AlreadyGone);
  auto unknown = info(424242);
  EXPECT_TRUE(isPluginError(unknown.error(), kStreamingNoSuchMountpoint));
}

TEST_F(StreamingTest, RtpAtItsPortsMakesAgeMsDropForEveryMedia) {
  const std::uint16_t audioPort = test::freeUdpPort();
  const std::uint16_t videoPort = test::freeUdpPort();
  auto created = create(mountpoint(R"({"id": 9103, "media": [
      {"type": "audio", "mid": "a", "codec": "opus", "port": )" +
                                   std::to_string(audioPort) + R"(},
      {"type": "video", "mid": "v", "codec": "h264", "port": )" +
                                   std::to_string(videoPort) + "}]}"));
  ASSERT_TRUE(created.ok()) << created.error().message;

  // No packet yet: age_ms counts from creation, so it must grow past any freshness threshold.
  runFor(700ms);
  auto idle = info(9103);
  ASSERT_TRUE(idle.ok());
  EXPECT_TRUE(everyMedia(*idle, [](std::int64_t age) { return age >= 500; }))
      << idle->raw.toString();

  auto sender = test::RtpSender::start({{.video = false, .port = audioPort, .payloadType = 111},
                                        {.video = true, .port = videoPort, .payloadType = 96}});
  ASSERT_TRUE(sender);
  EXPECT_TRUE(waitForInfo(9103, [](const MountPointInfo& current) {
    return everyMedia(current, [](std::int64_t age) { return age < 100; });
  })) << info(9103)->raw.toString();

  sender.reset();
  EXPECT_TRUE(waitForInfo(9103, [](const MountPointInfo& current) {
    return everyMedia(current, [](std::int64_t age) { return age >= 500; });
  })) << "media stopped, so age_ms grows again";
  EXPECT_EQ(destroy(9103).value(), Removal::Destroyed);
}

}  // namespace
}  // namespace su::janus
