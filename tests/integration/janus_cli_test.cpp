// `streaming-utils mountpoint ...` and `room ...` against the real Janus, run as a user does.
#include <gtest/gtest.h>

#include "json/parse.hpp"
#include "support/janus_server.hpp"
#include "support/process.hpp"

namespace su::test {
namespace {

class JanusCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    janus = JanusServer::start();
    ASSERT_TRUE(janus);
  }

  ProcessRun run(std::vector<std::string> args) {
    args.push_back("--janus-url=" + janus->url());
    return runCli(std::move(args));
  }

  static GRef<JsonNode> json(const ProcessRun& run) {
    auto parsed = json::parse(run.out);
    EXPECT_TRUE(parsed.ok()) << run.out << run.err;
    return parsed ? *parsed : GRef<JsonNode>();
  }

  static JsonObject* object(const GRef<JsonNode>& node) { return json_node_get_object(node.get()); }

  std::unique_ptr<JanusServer> janus;
};

TEST_F(JanusCliTest, MountpointCreateListInfoDestroy) {
  TempFile spec(R"({"id": 7301, "description": "from the cli", "secret": "mp-secret-7301",
                    "media": [{"type": "audio", "codec": "opus"}, {"type": "video", "codec": "vp8"}]})");
  ProcessRun created = run(
      {"mountpoint", "create", "--spec", spec.path(), "--admin-key", janus->streamingAdminKey()});
  ASSERT_EQ(created.status, 0) << created.err;
  auto reply = json(created);
  EXPECT_EQ(json_object_get_int_member(object(reply), "id"), 7301);
  EXPECT_EQ(json_array_get_length(json_object_get_array_member(object(reply), "ports")), 2u);

  ProcessRun listed = run({"mountpoint", "list"});
  ASSERT_EQ(listed.status, 0) << listed.err;
  const auto list = json(listed);  // keeps the array below alive
  JsonArray* mountpoints = json_object_get_array_member(object(list), "mountpoints");
  ASSERT_EQ(json_array_get_length(mountpoints), 1u) << listed.out;
  JsonObject* entry = json_array_get_object_element(mountpoints, 0);
  EXPECT_EQ(json_object_get_int_member(entry, "id"), 7301);
  EXPECT_TRUE(json_object_has_member(
      json_array_get_object_element(json_object_get_array_member(entry, "media"), 0), "age_ms"));

  ProcessRun info = run({"mountpoint", "info", "7301", "--secret", "mp-secret-7301"});
  ASSERT_EQ(info.status, 0) << info.err;
  EXPECT_STREQ(json_object_get_string_member(object(json(info)), "description"), "from the cli");
  EXPECT_EQ(info.out.find("mp-secret-7301"), std::string::npos);

  ProcessRun destroyed = run({"mountpoint", "destroy", "7301", "--secret", "mp-secret-7301"});
  ASSERT_EQ(destroyed.status, 0) << destroyed.err;
  EXPECT_STREQ(json_object_get_string_member(object(json(destroyed)), "result"), "destroyed");
  ProcessRun again = run({"mountpoint", "destroy", "7301", "--secret", "mp-secret-7301"});
  ASSERT_EQ(again.status, 0) << "a mountpoint already gone is not an error";
  EXPECT_STREQ(json_object_get_string_member(object(json(again)), "result"), "already gone");
}

TEST_F(JanusCliTest, SecretsComeFromTheEnvironmentAndNeverShow) {
  TempFile spec(
      R"({"id": 7302, "secret": "env-secret-7302", "media": [{"type": "video", "codec": "vp8"}]})");
  g_setenv("SU_JANUS_ADMIN_KEY", janus->streamingAdminKey().c_str(), TRUE);
  g_setenv("SU_JANUS_SECRET", "env-secret-7302", TRUE);
  ProcessRun created = run({"mountpoint", "create", "--spec", spec.path()});
  ProcessRun wrong = run({"mountpoint", "destroy", "7302", "--secret", "not-it"});
  ProcessRun destroyed = run({"mountpoint", "destroy", "7302"});
  g_unsetenv("SU_JANUS_ADMIN_KEY");
  g_unsetenv("SU_JANUS_SECRET");
  EXPECT_EQ(created.status, 0) << created.err;
  EXPECT_EQ(wrong.status, 1);
  EXPECT_EQ(wrong.err,
            "error: Janus streaming destroy failed: Unauthorized (wrong secret) (error 457)\n");
  EXPECT_EQ(destroyed.status, 0) << destroyed.err;
  for (const ProcessRun* each : {&created, &wrong, &destroyed}) {
    for (const std::string& secret : {std::string("env-secret-7302"), janus->streamingAdminKey()}) {
      EXPECT_EQ(each->out.find(secret), std::string::npos);
      EXPECT_EQ(each->err.find(secret), std::string::npos);
    }
  }
}

TEST_F(JanusCliTest, JanusRefusalsAreExit1AndBadSpecsExit2) {
  TempFile spec(R"({"media": [{"type": "video", "codec": "vp8"}]})");
  ProcessRun wrongKey = run({"mountpoint", "create", "--spec", spec.path(), "--admin-key", "nope"});
  EXPECT_EQ(wrongKey.status, 1);
  EXPECT_EQ(wrongKey.err,
            "error: Janus streaming create failed: Unauthorized (wrong admin_key) (error 457)\n");

  TempFile invalid(R"({"media": [{"type": "video", "codec": "opus"}], "colour": "red"})");
  ProcessRun rejected = run({"mountpoint", "create", "--spec", invalid.path()});
  EXPECT_EQ(rejected.status, 2);
  EXPECT_EQ(rejected.err, "error: invalid mountpoint spec: 1 problem\n  colour: unknown field\n");

  ProcessRun badId = run({"mountpoint", "info", "seven"});
  EXPECT_EQ(badId.status, 2);
  EXPECT_EQ(firstLine(badId.err), "error: info takes one ID, a positive integer");

  ProcessRun unreachable = runCli({"mountpoint", "list", "--janus-url", "ws://127.0.0.1:1"});
  EXPECT_EQ(unreachable.status, 1);
  EXPECT_EQ(unreachable.err.rfind(
                "error: cannot connect to Janus: cannot connect to ws://127.0.0.1:1", 0),
            0u)
      << unreachable.err;
}

TEST_F(JanusCliTest, RoomCreateExistsForwardersDestroy) {
  const std::string key = janus->videoRoomAdminKey();
  ProcessRun noKey = run({"room", "create", "7400", "--secret", "room-secret"});
  EXPECT_EQ(noKey.status, 1);
  EXPECT_NE(noKey.err.find("Missing mandatory element (admin_key) (error 429)"), std::string::npos);

  TempFile spec(R"({"description": "from the cli", "publishers": 3, "videocodec": "h264"})");
  ProcessRun created = run({"room", "create", "7400", "--spec", spec.path(), "--secret",
                            "room-secret", "--admin-key", key});
  ASSERT_EQ(created.status, 0) << created.err;
  EXPECT_EQ(json_object_get_int_member(object(json(created)), "room"), 7400);

  ProcessRun exists = run({"room", "exists", "7400"});
  EXPECT_TRUE(json_object_get_boolean_member(object(json(exists)), "exists"));
  ProcessRun forwarders = run({"room", "forwarders", "7400", "--secret", "room-secret"});
  ASSERT_EQ(forwarders.status, 0) << forwarders.err;
  EXPECT_EQ(
      json_array_get_length(json_object_get_array_member(object(json(forwarders)), "publishers")),
      0u);
  ProcessRun destroyed = run({"room", "destroy", "7400", "--secret", "room-secret"});
  ASSERT_EQ(destroyed.status, 0) << destroyed.err;
  EXPECT_FALSE(
      json_object_get_boolean_member(object(json(run({"room", "exists", "7400"}))), "exists"));
}

TEST(JanusCliApiSecret, AJanusThatRequiresAnApiSecretGetsItFromTheOptionOrTheEnvironment) {
  auto janus = JanusServer::start({.apiSecret = "api-secret-cli"});
  ASSERT_TRUE(janus);
  const std::string url = "--janus-url=" + janus->url();
  ProcessRun refused = runCli({"mountpoint", "list", url});
  EXPECT_EQ(refused.status, 1);
  EXPECT_NE(refused.err.find("Unauthorized"), std::string::npos) << refused.err;

  ProcessRun given = runCli({"mountpoint", "list", url, "--api-secret", "api-secret-cli"});
  EXPECT_EQ(given.status, 0) << given.err;
  g_setenv("SU_JANUS_API_SECRET", "api-secret-cli", TRUE);
  ProcessRun fromEnvironment = runCli({"room", "exists", "7500", url});
  g_unsetenv("SU_JANUS_API_SECRET");
  EXPECT_EQ(fromEnvironment.status, 0) << fromEnvironment.err;
  for (const ProcessRun* run : {&refused, &given, &fromEnvironment}) {
    EXPECT_EQ((run->out + run->err).find("api-secret-cli"), std::string::npos);
  }
}

}  // namespace
}  // namespace su::test
