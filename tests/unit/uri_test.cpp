// URLs through GUri: IPv6 hosts, credentials with reserved characters, queries, missing ports —
// in the helpers and in every place that takes a URL apart (SRS publish URLs, RTSP cameras, the
// relays' descriptions of their sources).
#include "core/uri.hpp"

#include <gtest/gtest.h>

#include "json/parse.hpp"
#include "media/source.hpp"
#include "model/decode.hpp"
#include "model/srs_ingest.hpp"

namespace su {
namespace {

TEST(Uri, SplitsAndJoinsWithoutLosingAnything) {
  const auto parts = uri::split("rtmp://user:p%40ss@[2001:db8::7]:1936/live/key?token=a%26b#x");
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->scheme, "rtmp");
  EXPECT_EQ(parts->user, "user");
  EXPECT_EQ(parts->password, "p%40ss") << "kept encoded";
  EXPECT_EQ(parts->host, "2001:db8::7") << "without brackets";
  EXPECT_EQ(parts->port, 1936);
  EXPECT_EQ(parts->path, "/live/key");
  EXPECT_EQ(parts->query, "token=a%26b");
  EXPECT_EQ(parts->fragment, "x");
  EXPECT_EQ(uri::lastSegment(*parts), "key");
  EXPECT_EQ(uri::join(*parts), "rtmp://user:p%40ss@[2001:db8::7]:1936/live/key?token=a%26b#x");
}

TEST(Uri, MissingPortsAndPathsAndRelativeReferences) {
  const auto bare = uri::split("rtsp://camera.local");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->port, -1);
  EXPECT_EQ(bare->path, "");
  EXPECT_FALSE(bare->user);
  EXPECT_EQ(uri::lastSegment(*bare), "");
  EXPECT_FALSE(uri::split("/just/a/path"));
  EXPECT_FALSE(uri::split("not a url"));
  // GLib refuses the port after reading the user part, and leaves that to us to free (a leak
  // LeakSanitizer reports in the sanitizer build, were it not freed).
  EXPECT_FALSE(uri::split("rtmp://127.0.0.1@:1B35/live"));
  EXPECT_FALSE(uri::split("rtmp://user:password@host:99999/live"));
}

TEST(Uri, BuildsWebSocketUrlsWithBracketsForIpv6) {
  EXPECT_EQ(uri::build("ws", "127.0.0.1", 4455), "ws://127.0.0.1:4455");
  EXPECT_EQ(uri::build("wss", "::1", 4455), "wss://[::1]:4455");
  EXPECT_EQ(uri::build("ws", "obs.studio.example", 4455), "ws://obs.studio.example:4455");
}

TEST(Uri, CredentialsWithReservedCharactersAreEscaped) {
  EXPECT_EQ(uri::withUser("rtsp://192.0.2.10:554/stream1?profile=1", "us@r:1", "p@ss/w?rd#"),
            "rtsp://us%40r%3A1:p%40ss%2Fw%3Frd%23@192.0.2.10:554/stream1?profile=1");
  EXPECT_EQ(uri::withUser("rtsp://[fe80::2]/s", "viewer", std::nullopt),
            "rtsp://viewer@[fe80::2]/s");
  // The escaped form reads back as what was given.
  const auto parts = uri::split(uri::withUser("rtsp://cam/s", "a b", "c:d"));
  ASSERT_TRUE(parts);
  auto unescape = [](const std::string& text) {
    gchar* plain = g_uri_unescape_string(text.c_str(), nullptr);
    std::string copy = plain;
    g_free(plain);
    return copy;
  };
  EXPECT_EQ(unescape(*parts->user), "a b");
  EXPECT_EQ(unescape(*parts->password), "c:d");
}

model::SrsIngestSpec srs(const std::string& json) {
  auto node = json::parse(json);
  EXPECT_TRUE(node.ok());
  auto spec = model::decode<model::SrsIngestSpec>(node->get(), "srs");
  EXPECT_TRUE(spec.ok()) << (spec ? "" : spec.error().describe());
  return spec ? *spec : model::SrsIngestSpec{};
}

TEST(Uri, SrsPublishUrlsWithIpv6HostsQueriesAndNoPort) {
  const auto ipv6 = srs(R"({"publish_url":"rtmp://[2001:db8::1]:1935/live/cam-7"})");
  EXPECT_EQ(ipv6.rtmpUrl, "rtmp://[2001:db8::1]:1935");
  EXPECT_EQ(ipv6.app, "live");
  EXPECT_EQ(ipv6.streamKey, "cam-7");
  const auto token = srs(R"({"publish_url":"rtmp://ingest/live/cam-8?secret=s3"})");
  EXPECT_EQ(token.rtmpUrl, "rtmp://ingest");
  EXPECT_EQ(token.streamKey, "cam-8?secret=s3") << "SRS reads its token from the key's query";
  EXPECT_EQ(token.publishUrl(), "rtmp://ingest/live/cam-8?secret=s3");
}

TEST(Uri, RelaysNeverShowAnRtmpKeyOrItsToken) {
  const std::string shown = media::describeSource(
      media::RtmpSource{.url = "rtmp://[2001:db8::1]:1935/live/cam-9?secret=s4"});
  EXPECT_EQ(shown, "rtmp://[2001:db8::1]:1935/live/***?***");
  EXPECT_EQ(media::describeSource(media::RtmpSource{.url = "rtmp://ingest/live/k2"}),
            "rtmp://ingest/live/***");
}

}  // namespace
}  // namespace su
