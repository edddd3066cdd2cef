// `streaming-utils run`, the main job, as a user runs it: a request file kept running until
// SIGTERM, the demo on a Janus of its own until Ctrl-C (watched with `streaming-utils watch`,
// as it tells), and the errors of bad input. Each is proven by Janus's age_ms and a WebRTC
// viewer, and followed by a check that Janus is as it was.
#include <gtest/gtest.h>

#include <regex>

#include "core/loopback.hpp"
#include "janus/streaming.hpp"
#include "support/janus_test.hpp"
#include "support/media_sources.hpp"
#include "support/process.hpp"
#include "support/service_process.hpp"
#include "support/tcp_proxy.hpp"

namespace su::test {
namespace {

using namespace std::chrono_literals;

class RunCommandTest : public JanusStreamingTest {
 protected:
  // Starts `streaming-utils run ARGS...` in the background, its output in a log.
  void launch(const std::vector<std::string>& args) {
    std::vector<std::string> argv{cliPath(), "run"};
    argv.insert(argv.end(), args.begin(), args.end());
    ASSERT_TRUE(run.start(argv));
  }
  // Waits until the log shows `text`.
  bool logShows(const std::string& text, std::chrono::milliseconds timeout = 30s) {
    return runUntil([&] { return run.logTail(1 << 20).find(text) != std::string::npos; }, timeout);
  }

  ServiceProcess run{"streaming-utils-run"};
};

TEST_F(RunCommandTest, ARequestRunsWithLiveStatusUntilSigtermThenJanusIsAsItWas) {
  TempFile request(R"({"source_kind":"test_pattern","broadcast_id":"from-file",
      "mountpoint_spec":{"id":9701,"secret":"run-secret-9701","admin_key":")" +
                   janus->streamingAdminKey() + R"(",
      "media":[{"type":"audio","codec":"opus"},{"type":"video","codec":"h264"}]}})");
  launch({request.path(), "--janus-url", janus->url(), "--status-every", "300"});
  ASSERT_TRUE(logShows("running: mountpoint 9701")) << run.logTail();
  EXPECT_TRUE(mediaFresh(*streaming, 9701, 2));
  EXPECT_TRUE(viewerDecodes(9701));
  // The live status: a line per track with bitrate, packets and Janus's age_ms.
  ASSERT_TRUE(logShows("v1  video flowing")) << run.logTail();
  EXPECT_TRUE(std::regex_search(
      run.logTail(1 << 20),
      std::regex(R"(a0  audio flowing +[0-9.]+ kbit/s +[0-9]+ packets  age_ms [0-9]+)")))
      << run.logTail();

  EXPECT_EQ(run.interrupt(15s, SIGTERM), 0) << run.logTail();
  const std::string log = run.logTail(1 << 20);
  EXPECT_NE(log.find("stopped; Janus is as it was"), std::string::npos) << log;
  EXPECT_NE(log.find("janus_resource_closed {\"what\":\"destroy mountpoint 9701\"}"),
            std::string::npos);
  EXPECT_EQ(log.find("run-secret-9701"), std::string::npos) << "secrets never show";
  EXPECT_EQ(log.find(janus->streamingAdminKey()), std::string::npos);
  EXPECT_TRUE(mountpointIds(*streaming).empty());
}

TEST_F(RunCommandTest, AStopWhileJanusCannotBeReachedWaitsForItToComeBackToCleanUp) {
  // `run` reaches Janus through a proxy that can cut the network; Janus itself runs on.
  TcpProxy proxy(janus->port());
  const std::string url = "ws://127.0.0.1:" + std::to_string(proxy.port());
  const auto requestFor = [&](std::int64_t id) {
    return R"({"source_kind":"test_pattern","broadcast_id":"cut-)" + std::to_string(id) +
           R"(","mountpoint_spec":{"id":)" + std::to_string(id) + R"(,"secret":"run-secret-)" +
           std::to_string(id) + R"(","admin_key":")" + janus->streamingAdminKey() +
           R"(","media":[{"type":"audio","codec":"opus"},{"type":"video","codec":"h264"}]}})";
  };

  // Janus does not come back in time: it says so, exits 1, and Janus keeps the mountpoint.
  TempFile first(requestFor(9703));
  launch({first.path(), "--janus-url", url, "--cleanup-wait", "500"});
  ASSERT_TRUE(logShows("running: mountpoint 9703")) << run.logTail();
  proxy.cut();
  run.signal(SIGTERM);
  ASSERT_TRUE(runUntil([&] { return !run.running(); }, 20s)) << run.logTail();
  EXPECT_EQ(run.interrupt(1s), 1);
  std::string log = run.logTail(1 << 20);
  EXPECT_NE(log.find("Janus cannot be reached to finish the cleanup: waiting up to 500 ms"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("gave up waiting for Janus: it keeps what this broadcast set up"),
            std::string::npos)
      << log;
  EXPECT_EQ(mountpointIds(*streaming), std::vector<std::int64_t>{9703});
  ASSERT_TRUE(wait<janus::Removal>([&](auto done) {
                streaming->destroy(9703, "run-secret-9703", false, done);
              }).ok());

  // Janus comes back while it waits: the cleanup is finished, and it exits 0.
  proxy.resume();
  TempFile second(requestFor(9704));
  launch({second.path(), "--janus-url", url});
  ASSERT_TRUE(logShows("running: mountpoint 9704")) << run.logTail();
  proxy.cut();
  run.signal(SIGTERM);
  ASSERT_TRUE(logShows("Janus cannot be reached to finish the cleanup: waiting up to 30 s"))
      << run.logTail();
  EXPECT_EQ(mountpointIds(*streaming), std::vector<std::int64_t>{9704}) << "Janus still has it";
  proxy.resume();
  ASSERT_TRUE(logShows("cleanup_completed")) << run.logTail();
  ASSERT_TRUE(runUntil([&] { return !run.running(); }, 20s)) << run.logTail();
  EXPECT_EQ(run.interrupt(1s), 0);
  log = run.logTail(1 << 20);
  EXPECT_NE(log.find("stopped; Janus is as it was"), std::string::npos) << log;
  EXPECT_EQ(log.find("run-secret-9704"), std::string::npos) << "secrets never show";
  EXPECT_TRUE(mountpointIds(*streaming).empty());
}

TEST_F(RunCommandTest, TheDemoStartsAJanusOfItsOwnRelaysATestPatternAndStopsCleanOnCtrlC) {
  const std::uint16_t port = freeLoopbackPort();
  // Credentials in the URL (a proxy's, say) never show: every line is masked.
  const std::string url = "ws://demo:pw-demo-7@127.0.0.1:" + std::to_string(port);
  const std::string shownUrl = "ws://***@127.0.0.1:" + std::to_string(port);
  launch({"--janus-url", url, "--status-every", "300"});
  ASSERT_TRUE(logShows("Janus started on " + shownUrl)) << run.logTail();
  ASSERT_TRUE(logShows("running: mountpoint ")) << run.logTail();
  std::smatch found;
  const std::string log = run.logTail(1 << 20);
  ASSERT_TRUE(std::regex_search(log, found, std::regex(R"(running: mountpoint ([0-9]+) on)")));
  const std::int64_t mountpoint = std::stoll(found[1]);

  // Janus sees the pattern, and the way to watch it the demo prints decodes it.
  auto demoSession = janus::Session::create(context(), {.url = url});
  ASSERT_TRUE(demoSession.ok());
  ASSERT_TRUE(wait<void>([&](auto done) { (*demoSession)->connect(done); }).ok());
  auto demoStreaming = wait<std::unique_ptr<janus::StreamingClient>>(
      [&](auto done) { janus::StreamingClient::attach(**demoSession, done); });
  ASSERT_TRUE(demoStreaming.ok());
  EXPECT_TRUE(mediaFresh(**demoStreaming, mountpoint, 2));
  demoStreaming->reset();
  demoSession->reset();
  runFor(1s);  // the WebSocket close handshake completes on the context
  const std::string watchHint =
      "watch it: streaming-utils watch " + std::to_string(mountpoint) + " --janus-url " + shownUrl;
  EXPECT_NE(log.find(watchHint), std::string::npos) << log;
  // Under valgrind (SU_CLI_WRAPPER) WebRTC takes a while to get going: scaled like every wait.
  ProcessRun watched = runCli({"watch", std::to_string(mountpoint), "--janus-url", url, "--seconds",
                               std::to_string(3 * timeScale())});
  EXPECT_EQ(watched.status, 0) << watched.err;
  EXPECT_NE(watched.out.find("video 640x360"), std::string::npos) << watched.out;
  EXPECT_EQ(watched.out.find("pw-demo-7"), std::string::npos) << watched.out;

  EXPECT_EQ(run.interrupt(15s), 0) << run.logTail();
  // Its mountpoint went before its Janus did.
  const std::string stopped = run.logTail(1 << 20);
  const auto destroyed = stopped.find("janus_resource_closed {\"what\":\"destroy mountpoint " +
                                      std::to_string(mountpoint) + "\"}");
  const auto janusStopped = stopped.find("Janus stopped");
  ASSERT_NE(destroyed, std::string::npos) << stopped;
  EXPECT_EQ(stopped.find("pw-demo-7"), std::string::npos) << stopped;
  ASSERT_NE(janusStopped, std::string::npos) << stopped;
  EXPECT_LT(destroyed, janusStopped);
  EXPECT_FALSE(runUntil(
      [&] {
        auto probe = janus::Session::create(context(), {.url = url, .reconnect = false});
        return probe && wait<void>([&](auto done) { (*probe)->connect(done); }).ok();
      },
      1s))
      << "its Janus is gone";
}

TEST_F(RunCommandTest, TheDemoUsesAJanusThatAnswersWithTheAdminKeyItIsGiven) {
  launch({"--janus-url", janus->url(), "--admin-key", janus->streamingAdminKey()});
  ASSERT_TRUE(logShows("running: mountpoint ")) << run.logTail();
  EXPECT_EQ(run.logTail(1 << 20).find("Janus started"), std::string::npos);
  EXPECT_EQ(mountpointIds(*streaming).size(), 1u);
  EXPECT_EQ(run.interrupt(15s), 0) << run.logTail();
  EXPECT_TRUE(mountpointIds(*streaming).empty());
}

TEST_F(RunCommandTest, BadInputIsAClearErrorAndLeavesNothing) {
  TempFile invalid(R"({"source_kind":"rtsp_camera","mountpoint_spec":{"media":[]}})");
  ProcessRun refused = runCli({"run", invalid.path(), "--janus-url", janus->url()});
  EXPECT_EQ(refused.status, 2);
  EXPECT_NE(refused.err.find("rtsp_camera: required for source_kind rtsp_camera"),
            std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("mountpoint_spec.media: must list at least one media"),
            std::string::npos)
      << refused.err;

  TempFile valid(R"({"source_kind":"test_pattern","mountpoint_spec":{"id":9702,
      "media":[{"type":"video","codec":"h264"}]}})");
  ProcessRun unreachable = runCli(
      {"run", valid.path(), "--janus-url", "ws://127.0.0.1:" + std::to_string(freeTcpPort())});
  EXPECT_EQ(unreachable.status, 1);
  EXPECT_NE(unreachable.err.find("cannot reach Janus at ws://127.0.0.1:"), std::string::npos)
      << unreachable.err;

  // Janus refuses the mountpoint (no admin key): the start fails, and says why.
  ProcessRun noKey = runCli({"run", valid.path(), "--janus-url", janus->url()});
  EXPECT_EQ(noKey.status, 1);
  EXPECT_NE(noKey.err.find("the broadcast did not start"), std::string::npos) << noKey.err;
  EXPECT_TRUE(mountpointIds(*streaming).empty());

  ProcessRun noMountpoint = runCli({"watch", "424242", "--janus-url", janus->url()});
  EXPECT_EQ(noMountpoint.status, 1);
  EXPECT_NE(noMountpoint.err.find("cannot watch mountpoint 424242: "), std::string::npos)
      << noMountpoint.err;
  EXPECT_EQ(runCli({"watch", "not-an-id"}).status, 2);

  ProcessRun extra = runCli({"run", "a.json", "b.json"});
  EXPECT_EQ(extra.status, 2);
  EXPECT_EQ(firstLine(extra.err), "error: run takes one request file at most");
}

}  // namespace
}  // namespace su::test
