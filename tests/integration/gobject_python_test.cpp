// The GObject API from Python (PyGObject), as an application uses it: examples/python/broadcast.py
// run against a real Janus, its broadcast decoded by a WebRTC viewer, stopped by Ctrl-C with Janus
// left as it was; and a bad request refused with nothing started.
#include <gtest/gtest.h>

#include "janus/streaming.hpp"
#include "support/janus_test.hpp"
#include "support/process.hpp"
#include "support/service_process.hpp"

namespace su::test {
namespace {

using namespace std::chrono_literals;

class GObjectPythonTest : public JanusStreamingTest {
 protected:
  void launch(const std::string& requestPath) {
    const std::string typelibs = g_getenv("SU_GOBJECT_DIR");
    example.setEnvironment({{"GI_TYPELIB_PATH", typelibs},
                            {"LD_LIBRARY_PATH", typelibs + ":" + g_getenv("SU_LIBRARY_DIR")}});
    ASSERT_TRUE(example.start({g_getenv("SU_PYTHON"), g_getenv("SU_PYTHON_EXAMPLE"), "--janus-url",
                               janus->url(), "--request", requestPath}));
  }
  bool logShows(const std::string& text, std::chrono::milliseconds timeout = 30s) {
    return runUntil([&] { return example.logTail(1 << 20).find(text) != std::string::npos; },
                    timeout);
  }

  ServiceProcess example{"python-broadcast"};
};

TEST_F(GObjectPythonTest, ATestPatternBroadcastIsDecodedThenStoppedByCtrlC) {
  TempFile request(R"({"source_kind":"test_pattern","broadcast_id":"from-python",
      "mountpoint_spec":{"id":9801,"secret":"python-secret-9801","admin_key":")" +
                   janus->streamingAdminKey() + R"(",
      "media":[{"type":"audio","codec":"opus"},{"type":"video","codec":"h264"}]}})");
  launch(request.path());
  ASSERT_TRUE(logShows("running: broadcast from-python, mountpoint 9801")) << example.logTail();
  EXPECT_TRUE(logShows("from-python: event media_confirmed")) << example.logTail();
  EXPECT_TRUE(logShows("from-python: running")) << example.logTail();
  EXPECT_TRUE(mediaFresh(*streaming, 9801, 2));
  EXPECT_TRUE(viewerDecodes(9801));

  EXPECT_EQ(example.interrupt(15s, SIGINT), 0) << example.logTail();
  const std::string log = example.logTail(1 << 20);
  EXPECT_NE(log.find("from-python: stopped"), std::string::npos) << log;
  EXPECT_EQ(log.find("python-secret-9801"), std::string::npos) << "secrets never show";
  EXPECT_EQ(log.find(janus->streamingAdminKey()), std::string::npos);
  EXPECT_TRUE(mountpointIds(*streaming).empty());
}

TEST_F(GObjectPythonTest, AnInvalidRequestIsRefusedWithEveryProblemAndStartsNothing) {
  TempFile request(R"({"source_kind":"test_pattern","mountpoint_spec":{"media":[
      {"type":"smell","codec":"opus"}]}, "relay_kind":"carrier-pigeon"})");
  launch(request.path());
  ASSERT_EQ(example.waitForExit(30s), 1) << example.logTail();
  const std::string log = example.logTail(1 << 20);
  EXPECT_NE(log.find("start failed:"), std::string::npos) << log;
  EXPECT_NE(log.find("relay_kind"), std::string::npos) << log;
  EXPECT_NE(log.find("2 problems"), std::string::npos) << log;
  EXPECT_NE(log.find("smell"), std::string::npos) << log;
  EXPECT_TRUE(mountpointIds(*streaming).empty());
}

}  // namespace
}  // namespace su::test
