#include "model/redaction.hpp"

#include <gtest/gtest.h>

#include "json/parse.hpp"
#include "model/broadcast_request.hpp"
#include "support/test_data.hpp"

namespace su::model {
namespace {

using test::parseOk;

std::string redactedText(std::string_view json) {
  return json::toString(redacted(parseOk(json).get()).get());
}

TEST(Redaction, MasksEverySecretKeyAtAnyDepth) {
  EXPECT_EQ(
      redactedText(R"({"admin_key":"a1","secret":"s1","pin":"1234","obs_password":"o1",
      "nested":{"rtsp_pwd":"r1","rtsp_user":"u1","list":[{"password":"p1","username":"n1"}]},
      "srtp_crypto":"c1","stream_key":"k1","new_secret":"x","turn_password":"t","api_token":"t2",
      "PIN":"99","room":1234,"description":"visible"})"),
      R"({"admin_key":"***","secret":"***","pin":"***","obs_password":"***",)"
      R"("nested":{"rtsp_pwd":"***","rtsp_user":"***","list":[{"password":"***","username":"***"}]},)"
      R"("srtp_crypto":"***","stream_key":"***","new_secret":"***","turn_password":"***",)"
      R"("api_token":"***","PIN":"***","room":1234,"description":"visible"})");
}

TEST(Redaction, NumericAndNullSecretsToo) {
  EXPECT_EQ(redactedText(R"({"pin":1234,"secret":null,"token":true})"),
            R"({"pin":"***","secret":null,"token":"***"})");
}

TEST(Redaction, CredentialsInsideUrlsAndParameters) {
  EXPECT_EQ(redactText("rtsp://admin:hunter2@192.0.2.7:554/ch1"), "rtsp://***@192.0.2.7:554/ch1");
  EXPECT_EQ(redactText("srt://host:7001?streamid=abc&passphrase=verysecret&latency=200"),
            "srt://host:7001?streamid=abc&passphrase=***&latency=200");
  EXPECT_EQ(redactText("https://cdn/x.m3u8?token=t0k3n#frag"), "https://cdn/x.m3u8?token=***#frag");
  EXPECT_EQ(
      redactText("rtspsrc location=rtsp://u:p@cam/s user-pw=\"a b\" user-id=viewer ! fakesink"),
      "rtspsrc location=rtsp://***@cam/s user-pw=\"***\" user-id=*** ! fakesink");
  EXPECT_EQ(redactText("connect to rtmp://live@ingest/app failed"),
            "connect to rtmp://***@ingest/app failed");
  EXPECT_EQ(redactText("no secrets in here: a=b, http://host/path"),
            "no secrets in here: a=b, http://host/path");
  EXPECT_EQ(redactText("mail user@example.com is not a URL"), "mail user@example.com is not a URL");
}

// librdkafka's dotted settings, in a URL or a key: the last name tells.
TEST(Redaction, DottedSettingsBySecretNames) {
  EXPECT_EQ(redactText("kafka://b:9092/jobs?sasl.mechanisms=PLAIN&sasl.password=pw1&"
                       "ssl.key.password=pw2&ssl.ca.location=/etc/ca.pem"),
            "kafka://b:9092/jobs?sasl.mechanisms=PLAIN&sasl.password=***&ssl.key.password=***&"
            "ssl.ca.location=/etc/ca.pem");
  EXPECT_TRUE(isSecretKey("sasl.password"));
  EXPECT_TRUE(isSecretKey("ssl.keystore.password"));
  EXPECT_TRUE(isSecretKey("sasl.oauthbearer.client.secret"));
  EXPECT_FALSE(isSecretKey("ssl.key.location"));
  EXPECT_FALSE(isSecretKey("security.protocol"));
}

TEST(Redaction, KnownSecretValuesAreMaskedWhereverTheyAppear) {
  // The stream key is masked inside publish_url, and a password pasted into a pipeline.
  EXPECT_EQ(
      redactedText(R"({"srs":{"stream_key":"sk-9f8e7d","publish_url":"rtmp://h/live/sk-9f8e7d"},
      "rtsp_camera":{"password":"cam-pass-1"},
      "gstreamer_pipeline":"rtspsrc location=rtsp://cam/s?auth=cam-pass-1 ! fakesink name=cam-pass-1"})"),
      R"({"srs":{"stream_key":"***","publish_url":"rtmp://h/live/***"},)"
      R"("rtsp_camera":{"password":"***"},)"
      R"("gstreamer_pipeline":"rtspsrc location=rtsp://cam/s?auth=*** ! fakesink name=***"})");
  // Short secrets are masked under their key only, so "12" does not garble other text.
  EXPECT_EQ(redactedText(R"({"pin":"12","description":"room 12"})"),
            R"({"pin":"***","description":"room 12"})");
  EXPECT_EQ(redactText("failed with key abcdef in it", {"abcdef"}), "failed with key *** in it");
}

TEST(Redaction, SecretKeyNames) {
  for (const char* key :
       {"admin_key", "secret", "pin", "password", "obs_password", "rtsp_pwd", "rtsp_user",
        "username", "stream_key", "srtp_crypto", "Admin_Key", "db_password", "room_secret",
        "auth_token", "admin_secret", "apisecret"}) {
    EXPECT_TRUE(isSecretKey(key)) << key;
  }
  for (const char* key : {"room", "host", "description", "publish_url", "port", "pinned"}) {
    EXPECT_FALSE(isSecretKey(key)) << key;
  }
}

TEST(Redaction, TheInputIsLeftUntouched) {
  auto node = parseOk(R"({"secret":"s","list":["rtsp://a:b@h/"]})");
  const std::string before = json::toString(node.get());
  auto masked = redacted(node.get());
  EXPECT_EQ(json::toString(node.get()), before);
  EXPECT_NE(json::toString(masked.get()), before);
}

TEST(Redaction, NoSecretOfAnyExampleSurvivesTheRedactedPayload) {
  for (const std::string& name : test::exampleRequests()) {
    SCOPED_TRACE(name);
    auto request = BroadcastRequest::fromPayload(std::string_view(test::readExample(name)));
    ASSERT_TRUE(request.ok()) << request.error().describe();
    const std::string shown = json::toString(redacted(request->toPayload().get()).get());
    for (const std::string& secret : test::exampleSecrets()) {
      EXPECT_EQ(shown.find(secret), std::string::npos) << secret << " in " << shown;
    }
  }
}

}  // namespace
}  // namespace su::model
