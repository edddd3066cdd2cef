// The GObject API as applications use it: examples/python/broadcast.py (PyGObject, through the
// typelib), examples/gjs/broadcast.js (GJS, the typelib too; a request object rather than JSON
// text) and examples/c/broadcast.c, each run against a real Janus, its broadcast decoded by a
// WebRTC viewer, stopped by Ctrl-C with Janus left as it was; and a bad request refused with
// nothing started. Under `meson test --setup valgrind` the C example runs under memcheck too.
#include <gtest/gtest.h>

#include <sstream>

#include "janus/streaming.hpp"
#include "support/janus_test.hpp"
#include "support/process.hpp"
#include "support/service_process.hpp"

namespace su::test {
namespace {

using namespace std::chrono_literals;

enum class Example { Python, Gjs, C };

class GObjectExampleTest : public JanusStreamingTest,
                           public ::testing::WithParamInterface<Example> {
 protected:
  void SetUp() override {
    const char* interpreter = GetParam() == Example::Python ? "SU_PYTHON"
                              : GetParam() == Example::Gjs  ? "SU_GJS"
                                                            : nullptr;
    if (interpreter && !g_getenv(interpreter)) {
      skipped_ = true;
      GTEST_SKIP() << "built without introspection, or without " << interpreter;
    }
    JanusStreamingTest::SetUp();
  }
  void TearDown() override {
    if (!skipped_) JanusStreamingTest::TearDown();  // nothing was set up
  }
  bool skipped_ = false;

  void launch(const std::string& requestPath) {
    std::vector<std::string> argv;
    if (GetParam() == Example::Python || GetParam() == Example::Gjs) {
      const std::string typelibs = g_getenv("SU_GOBJECT_DIR");
      example.setEnvironment({{"GI_TYPELIB_PATH", typelibs},
                              {"LD_LIBRARY_PATH", typelibs + ":" + g_getenv("SU_LIBRARY_DIR")}});
      if (GetParam() == Example::Python) {
        argv = {g_getenv("SU_PYTHON"), g_getenv("SU_PYTHON_EXAMPLE")};
      } else {
        argv = {g_getenv("SU_GJS"), "-m", g_getenv("SU_GJS_EXAMPLE")};
      }
    } else {
      if (const char* wrapper = g_getenv("SU_CLI_WRAPPER")) {
        std::istringstream words(wrapper);
        for (std::string word; words >> word;)
          argv.push_back(word);
      }
      argv.push_back(g_getenv("SU_C_EXAMPLE"));
    }
    argv.insert(argv.end(), {"--janus-url", janus->url(), "--request", requestPath});
    ASSERT_TRUE(example.start(argv));
  }
  bool logShows(const std::string& text, std::chrono::milliseconds timeout = 30s) {
    return runUntil([&] { return example.logTail(1 << 20).find(text) != std::string::npos; },
                    timeout);
  }

  ServiceProcess example{"gobject-example"};
};

TEST_P(GObjectExampleTest, ATestPatternBroadcastIsDecodedThenStoppedByCtrlC) {
  TempFile request(R"({"source_kind":"test_pattern","broadcast_id":"from-example",
      "mountpoint_spec":{"id":9801,"secret":"example-secret-9801","admin_key":")" +
                   janus->streamingAdminKey() + R"(",
      "media":[{"type":"audio","codec":"opus"},{"type":"video","codec":"h264"}]}})");
  launch(request.path());
  ASSERT_TRUE(logShows("running: broadcast from-example, mountpoint 9801", 60s))
      << example.logTail();
  EXPECT_TRUE(logShows("from-example: event media_confirmed")) << example.logTail();
  EXPECT_TRUE(logShows("from-example: running")) << example.logTail();
  EXPECT_TRUE(mediaFresh(*streaming, 9801, 2));
  EXPECT_TRUE(viewerDecodes(9801));

  EXPECT_EQ(example.interrupt(60s, SIGINT), 0) << example.logTail();
  const std::string log = example.logTail(1 << 20);
  EXPECT_NE(log.find("from-example: stopped"), std::string::npos) << log;
  EXPECT_EQ(log.find("example-secret-9801"), std::string::npos) << "secrets never show";
  EXPECT_EQ(log.find(janus->streamingAdminKey()), std::string::npos);
  EXPECT_TRUE(mountpointIds(*streaming).empty());
}

TEST_P(GObjectExampleTest, AnInvalidRequestIsRefusedWithEveryProblemAndStartsNothing) {
  TempFile request(R"({"source_kind":"test_pattern","mountpoint_spec":{"media":[
      {"type":"smell","codec":"opus"}]}, "relay_kind":"carrier-pigeon"})");
  launch(request.path());
  ASSERT_EQ(example.waitForExit(60s), 1) << example.logTail();
  const std::string log = example.logTail(1 << 20);
  EXPECT_NE(log.find("failed: invalid broadcast request: 2 problems"), std::string::npos) << log;
  EXPECT_NE(log.find("relay_kind"), std::string::npos) << log;
  EXPECT_NE(log.find("smell"), std::string::npos) << log;
  EXPECT_TRUE(mountpointIds(*streaming).empty());
}

INSTANTIATE_TEST_SUITE_P(Examples, GObjectExampleTest,
                         ::testing::Values(Example::Python, Example::Gjs, Example::C),
                         [](const auto& example) {
                           switch (example.param) {
                             case Example::Python:
                               return "Python";
                             case Example::Gjs:
                               return "Gjs";
                             case Example::C:
                               return "C";
                           }
                           return "";
                         });

}  // namespace
}  // namespace su::test
