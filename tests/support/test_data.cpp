#include "support/test_data.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "json/parse.hpp"

namespace su::test {

GRef<JsonNode> parseOk(std::string_view text) {
  auto node = json::parse(text);
  EXPECT_TRUE(node.ok()) << (node ? "" : node.error().message) << "\n" << text;
  return node ? *node : GRef<JsonNode>();
}

std::string testDataPath(const std::string& relative) {
  const char* dir = g_getenv("SU_TEST_DATA_DIR");
  return std::string(dir ? dir : "tests/data") + "/" + relative;
}

std::string examplePath(const std::string& name) {
  const char* dir = g_getenv("SU_EXAMPLES_DIR");
  return std::string(dir ? dir : "data/examples") + "/" + name;
}

std::string readExample(const std::string& name) {
  std::ifstream file(examplePath(name));
  EXPECT_TRUE(file.good()) << examplePath(name);
  return std::string(std::istreambuf_iterator<char>(file), {});
}

const std::vector<std::string>& exampleRequests() {
  static const std::vector<std::string> names{
      "videoroom.json",    "obs.json", "rtmp_external.json",  "rtsp_camera.json",
      "test_pattern.json", "uri.json", "browser_webrtc.json", "frontend_owned.json"};
  return names;
}

const std::vector<std::string>& exampleEnvelopes() {
  static const std::vector<std::string> names{"job_start.json", "job_stop.json"};
  return names;
}

const std::vector<std::string>& exampleSecrets() {
  static const std::vector<std::string> secrets{
      "room-secret",         "videoroom-admin-key",    "mountpoint-secret",
      "streaming-admin-key", "obs-websocket-password", "obs-stream-key",
      "camera-password",     "s3cr3t-token",           "enc7-stream-key"};
  return secrets;
}

}  // namespace su::test
