// The fault suite: faults staged against real servers around `streaming-utils serve` (a process,
// driven over its HTTP API, as on an ingest node), each measured: how long until the service
// said so (detected), how long from the repair until media was fresh in Janus again (recovered),
// what was lost (must be nothing) and what was left in Janus once the broadcasts were stopped
// (must be nothing). The figures make the table of docs/faults.md: `scripts/faults-table` runs
// this suite with SU_FAULTS_TABLE=docs/faults.md; every run prints the table.
#include <gtest/gtest.h>
#include <libsoup/soup.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "json/parse.hpp"
#include "json/reader.hpp"
#include "support/http_client.hpp"
#include "support/janus_test.hpp"
#include "support/process.hpp"
#include "support/rtmp_server.hpp"
#include "support/service_process.hpp"
#include "support/tcp_proxy.hpp"

namespace su::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The faults this suite stages, in the table's order; docs/faults.md must list each.
constexpr const char* kSourceFrozen = "The source freezes (SIGSTOP of the publisher), then thaws";
constexpr const char* kSourceDies = "The source dies, then a new one publishes";
constexpr const char* kJanusKilled = "Janus SIGKILLed, then restarted";
constexpr const char* kNetworkCut = "The network to Janus cut, then restored";
constexpr const char* kFaults[] = {kSourceFrozen, kSourceDies, kJanusKilled, kNetworkCut};

struct Figures {
  std::string fault;
  std::string detectedBy;  // what the service said
  std::optional<std::chrono::milliseconds> detected;
  std::optional<std::chrono::milliseconds> recovered;
  std::string lost;
  std::string leftInJanus;
};

std::string milliseconds(const std::optional<std::chrono::milliseconds>& duration) {
  return duration ? std::to_string(duration->count()) + " ms" : "never";
}

// Collects every fault's figures and writes the table when the suite ends.
class FaultTable : public ::testing::Environment {
 public:
  void add(Figures figures) { rows_.push_back(std::move(figures)); }

  void TearDown() override {
    std::ostringstream table;
    table << "| Fault | Detected by | Detected after | Recovered after | Lost | Left in Janus |\n"
          << "|---|---|---|---|---|---|\n";
    for (const char* fault : kFaults) {
      for (const Figures& row : rows_) {
        if (row.fault != fault) continue;
        table << "| " << row.fault << " | " << row.detectedBy << " | " << milliseconds(row.detected)
              << " | " << milliseconds(row.recovered) << " | " << row.lost << " | "
              << row.leftInJanus << " |\n";
      }
    }
    std::cout << table.str();
    const char* path = g_getenv("SU_FAULTS_TABLE");
    if (!path || rows_.size() != std::size(kFaults)) return;  // only a whole run is written
    std::ifstream current(path);
    std::stringstream text;
    text << current.rdbuf();
    const std::string document = text.str();
    const std::string begin = "<!-- faults table -->\n", end = "<!-- end of faults table -->";
    const auto from = document.find(begin), to = document.find(end);
    if (from == std::string::npos || to == std::string::npos) {
      std::cerr << path << " has no faults table markers\n";
      return;
    }
    std::ofstream(path) << document.substr(0, from + begin.size()) << table.str()
                        << document.substr(to);
  }

 private:
  std::vector<Figures> rows_;
};

// Registered before the tests run, so that its TearDown comes after the last of them.
FaultTable* const faultTable =
    static_cast<FaultTable*>(::testing::AddGlobalTestEnvironment(new FaultTable));

class FaultTest : public JanusStreamingTest {
 protected:
  void TearDown() override {
    serve.reset();
    JanusStreamingTest::TearDown();
  }

  // `serve` on `janusUrl` (this test's Janus by default), with a token.
  void startServe(std::optional<std::string> janusUrl = {}) {
    port = freeTcpPort();
    serve = std::make_unique<ServiceProcess>("serve");
    ASSERT_TRUE(serve->start(
        {cliPath(), "serve", "--listen", "127.0.0.1:" + std::to_string(port), "--janus-url",
         janusUrl.value_or(janus->url()), "--admin-key", janus->streamingAdminKey(), "--token-file",
         tokenFile.path(), "--local-janus", "false"},
        port))
        << serve->logTail();
    ASSERT_TRUE(runUntil([&] { return healthy(); }, 10s)) << serve->logTail();
  }

  // Aside, while this test's context runs: the TCP proxy in front of Janus lives on that context,
  // and a start waits for Janus through it.
  HttpReply request(const std::string& method, const std::string& path,
                    const std::optional<std::string>& body = {}) {
    return httpRequestAside([this](auto until, auto timeout) { return runUntil(until, timeout); },
                            method, "http://127.0.0.1:" + std::to_string(port) + path, body,
                            "fault-token");
  }
  bool healthy() { return request("GET", "/healthz").status == 200; }

  void startBroadcast(const std::string& json) {
    const HttpReply started = request("POST", "/v1/broadcasts", json);
    ASSERT_EQ(started.status, 201) << started.body << "\n" << serve->logTail();
  }

  struct Shown {
    std::string state;
    std::int64_t restarts = 0;  // the relay's
    std::string lastError;      // the relay's
  };
  // The broadcast's result, read again.
  Shown stateOf(const std::string& id) {
    const HttpReply shown = request("GET", "/v1/broadcasts/" + id);
    auto node = json::parse(shown.body);
    if (shown.status != 200 || !node)
      return {"unknown (HTTP " + std::to_string(shown.status) + ")"};
    json::Diagnostics ignored;
    auto result = json::ObjectReader::fromNode(node->get(), "", ignored);
    auto relay = result ? result->object("relay_info") : std::nullopt;
    return {result ? result->string("state").value_or("?") : "?",
            relay ? relay->integer("restarts").value_or(0) : 0,
            relay ? relay->string("last_error").value_or("") : ""};
  }

  // Waits for the relay's next restart: the time from `since`, and what the relay said.
  void awaitRestart(const std::string& id, std::int64_t before, Clock::time_point since,
                    Figures& figures) {
    Shown shown;
    if (runUntil(
            [&] {
              shown = stateOf(id);
              return shown.restarts > before;
            },
            20s)) {
      figures.detected = elapsed(since);
      figures.detectedBy = "the relay restarted: \"" + shown.lastError + "\"";
    }
  }

  // Media fresh in Janus again: the time from `since` to the first poll of a sustained half
  // second of fresh media on every track.
  std::optional<std::chrono::milliseconds> freshAfter(Clock::time_point since,
                                                      std::int64_t mountpoint) {
    Clock::time_point fresh;
    if (!mediaFresh(*streaming, mountpoint, 2, 30s, &fresh)) return std::nullopt;
    return std::chrono::duration_cast<std::chrono::milliseconds>(fresh - since);
  }

  static std::chrono::milliseconds elapsed(Clock::time_point since) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since);
  }

  // Nothing lost: the broadcast still runs (the API says so) on its mountpoint.
  std::string lostOf(const std::string& id) {
    const std::string state = stateOf(id).state;
    return state == "running" ? "nothing" : "the broadcast is " + state;
  }

  // Stops the broadcast through the API; what Janus still lists afterwards.
  std::string stopAndList(const std::string& id) {
    const HttpReply stopped = request("DELETE", "/v1/broadcasts/" + id);
    EXPECT_EQ(stopped.status, 202) << stopped.body;
    EXPECT_TRUE(runUntil([&] { return stateOf(id).state == "stopped"; }, 20s)) << serve->logTail();
    std::vector<std::int64_t> ids;
    runUntil(
        [&] {
          ids = mountpointIds(*streaming);
          return ids.empty();
        },
        10s);
    if (ids.empty()) return "nothing";
    std::string left = "mountpoints";
    for (std::int64_t mountpoint : ids)
      left += " " + std::to_string(mountpoint);
    return left;
  }

  static std::string patternRequest(const std::string& id, std::int64_t mountpoint) {
    return R"({"source_kind":"test_pattern","broadcast_id":")" + id +
           R"(","mountpoint_spec":{"id":)" + std::to_string(mountpoint) +
           R"(,"media":[{"type":"audio","codec":"opus"},{"type":"video","codec":"h264"}]}})";
  }
  static std::string rtmpRequest(const std::string& id, std::int64_t mountpoint,
                                 const std::string& url) {
    return R"({"source_kind":"rtmp_external","broadcast_id":")" + id +
           R"(","stall_timeout_ms":2000,"srs":{"publish_url":")" + url +
           R"("},"mountpoint_spec":{"id":)" + std::to_string(mountpoint) +
           R"(,"media":[{"type":"audio","codec":"opus"},{"type":"video","codec":"h264"}]}})";
  }

  // nginx-rtmp with an ffmpeg publisher on key `id`, serve, and a broadcast relaying it into
  // `mountpoint` until its media is fresh in Janus.
  void relayRtmp(const std::string& id, std::int64_t mountpoint) {
    rtmp = RtmpServer::start();
    ASSERT_TRUE(rtmp);
    publisher = RtmpPublisher::start(rtmp->url(id));
    ASSERT_TRUE(publisher);
    startServe();
    if (HasFatalFailure()) return;
    startBroadcast(rtmpRequest(id, mountpoint, rtmp->url(id)));
    if (HasFatalFailure()) return;
    ASSERT_TRUE(mediaFresh(*streaming, mountpoint, 2, 30s)) << serve->logTail();
  }

  // serve, and a test pattern into `mountpoint` until its media is fresh in Janus.
  void relayPattern(const std::string& id, std::int64_t mountpoint,
                    std::optional<std::string> janusUrl = {}) {
    startServe(std::move(janusUrl));
    if (HasFatalFailure()) return;
    startBroadcast(patternRequest(id, mountpoint));
    if (HasFatalFailure()) return;
    ASSERT_TRUE(mediaFresh(*streaming, mountpoint, 2, 30s)) << serve->logTail();
  }

  // After the recovery: what was lost, what Janus still lists once the broadcast is stopped, and
  // the row.
  void finish(const std::string& id, Figures figures) {
    figures.lost = lostOf(id);
    figures.leftInJanus = stopAndList(id);
    record(std::move(figures));
  }

  void record(Figures figures) {
    EXPECT_TRUE(figures.detected) << figures.fault << ": never detected";
    EXPECT_TRUE(figures.recovered) << figures.fault << ": never recovered";
    EXPECT_EQ(figures.lost, "nothing") << figures.fault;
    EXPECT_EQ(figures.leftInJanus, "nothing") << figures.fault;
    faultTable->add(std::move(figures));
  }

  TempFile tokenFile{"fault-token\n"};
  std::unique_ptr<RtmpServer> rtmp;
  std::unique_ptr<RtmpPublisher> publisher;
  std::unique_ptr<ServiceProcess> serve;
  std::uint16_t port = 0;
};

// The relay's stall watchdog (stall_timeout_ms 2000) restarts the relay; once the encoder goes
// on, the restarted relay reads it again.
TEST_F(FaultTest, TheSourceFreezesThenThaws) {
  relayRtmp("frozen", 8101);
  if (HasFatalFailure()) return;
  const std::int64_t restartsBefore = stateOf("frozen").restarts;

  Figures figures{.fault = kSourceFrozen};
  const auto frozen = Clock::now();
  publisher->freeze();
  awaitRestart("frozen", restartsBefore, frozen, figures);
  const auto thawed = Clock::now();
  publisher->thaw();
  figures.recovered = freshAfter(thawed, 8101);
  finish("frozen", std::move(figures));
}

TEST_F(FaultTest, TheSourceDiesThenANewOnePublishes) {
  relayRtmp("dies", 8102);
  if (HasFatalFailure()) return;
  const std::int64_t restartsBefore = stateOf("dies").restarts;

  Figures figures{.fault = kSourceDies};
  const auto died = Clock::now();
  publisher.reset();  // killed
  awaitRestart("dies", restartsBefore, died, figures);
  const auto returned = Clock::now();
  publisher = RtmpPublisher::start(rtmp->url("dies"));
  ASSERT_TRUE(publisher);
  figures.recovered = freshAfter(returned, 8102);
  finish("dies", std::move(figures));
}

// Janus forgets everything; the service reconnects and provisions the mountpoint again.
TEST_F(FaultTest, JanusIsKilledThenRestarted) {
  relayPattern("janus-killed", 8103);
  if (HasFatalFailure()) return;

  Figures figures{.fault = kJanusKilled, .detectedBy = "/healthz: janus down (503)"};
  const auto killed = Clock::now();
  janus->kill();
  if (runUntil([&] { return !healthy(); }, 20s)) figures.detected = elapsed(killed);
  const auto restarted = Clock::now();
  ASSERT_TRUE(janus->restart()) << janus->logTail();
  figures.recovered = freshAfter(restarted, 8103);
  finish("janus-killed", std::move(figures));
}

// The WebSocket to Janus goes through a proxy that drops every connection and refuses new ones
// for two seconds. RTP goes to Janus directly: media never stops.
TEST_F(FaultTest, TheNetworkToJanusIsCutThenRestored) {
  const std::string url = janus->url();
  const auto janusPort = static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
  TcpProxy proxy(janusPort);
  relayPattern("cut", 8104, "ws://127.0.0.1:" + std::to_string(proxy.port()));
  if (HasFatalFailure()) return;

  Figures figures{.fault = kNetworkCut, .detectedBy = "/healthz: janus down (503)"};
  const auto cut = Clock::now();
  proxy.cut();
  if (runUntil([&] { return !healthy(); }, 40s)) figures.detected = elapsed(cut);
  runFor(2s);
  const auto restored = Clock::now();
  proxy.resume();
  if (runUntil([&] { return healthy(); }, 30s)) {
    const auto reconnected = elapsed(restored);
    // Recovered: the session is back and the mountpoint's media fresh.
    const auto fresh = freshAfter(restored, 8104);
    if (fresh) figures.recovered = std::max(reconnected, *fresh);
  }
  finish("cut", std::move(figures));
}

// The table in docs/ lists every fault this suite stages (scripts/faults-table rewrites it).
TEST(FaultTableDocs, ListsEveryStagedFault) {
  if (g_getenv("SU_FAULTS_TABLE")) GTEST_SKIP() << "this run rewrites the table";
  const char* readme = g_getenv("SU_README");
  ASSERT_NE(readme, nullptr);
  const std::string path =
      std::string(readme).substr(0, std::string(readme).rfind('/')) + "/docs/faults.md";
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  for (const char* fault : kFaults)
    EXPECT_NE(text.str().find(std::string("| ") + fault + " |"), std::string::npos)
        << path << " has no row for \"" << fault << "\": run scripts/faults-table";
}

}  // namespace
}  // namespace su::test
