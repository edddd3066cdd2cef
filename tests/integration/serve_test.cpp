// `streaming-utils serve` as a process, driven over HTTP with libsoup's client against a real
// Janus: broadcasts of three kinds started through the API (a viewer decodes the test pattern
// and the RTMP one), listed, shown, stopped; tokens, bad JSON, invalid requests, oversized
// bodies and unknown ids refused clearly; admission by count and CPU budget; config errors
// named; SIGTERM drains (starts in flight included) and leaves Janus clean; systemd's notify
// protocol and the unit; a real Prometheus scraping /metrics.
#include <arpa/inet.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <gtest/gtest.h>
#include <libsoup/soup.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "core/tls.hpp"
#include "json/parse.hpp"
#include "support/http_client.hpp"
#include "support/janus_test.hpp"
#include "support/process.hpp"
#include "support/rtmp_server.hpp"
#include "support/test_data.hpp"

namespace su::test {
namespace {

using namespace std::chrono_literals;

// A TCP client of its own, for what libsoup's client would not send (or not hold open).
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = {}};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ =
        fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawClient() { close(); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;
  RawClient(RawClient&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)), connected_(other.connected_) {}

  bool connected() const { return connected_; }
  bool send(std::string_view text) {
    while (!text.empty()) {
      const ssize_t sent = ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL);
      if (sent <= 0) return false;
      text.remove_prefix(static_cast<std::size_t>(sent));
    }
    return true;
  }
  // What arrives until `wanted` is in it, the server closes, or `within` passes.
  std::string readUntil(std::string_view wanted, std::chrono::milliseconds within) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    while (received_.find(wanted) == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd readable{.fd = fd_, .events = POLLIN, .revents = 0};
      if (left.count() <= 0 || ::poll(&readable, 1, static_cast<int>(left.count())) != 1) break;
      char buffer[4096];
      const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
      if (got <= 0) break;
      received_.append(buffer, static_cast<std::size_t>(got));
    }
    return received_;
  }
  void close() {
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  }

 private:
  int fd_;
  bool connected_ = false;
  std::string received_;
};

// How many times `text` is in `log`.
std::size_t occurrences(const std::string& log, const std::string& text) {
  std::size_t count = 0;
  for (auto at = log.find(text); at != std::string::npos; at = log.find(text, at + 1))
    ++count;
  return count;
}

class ServeTest : public JanusStreamingTest {
 protected:
  void TearDown() override {
    serve.reset();
    if (session) g_object_unref(session);
    JanusStreamingTest::TearDown();
  }

  // serve on 127.0.0.1:port with the fixture's token and Janus, and `extra` flags.
  void startServe(std::vector<std::string> extra = {},
                  std::vector<std::pair<std::string, std::string>> environment = {}) {
    port = freeTcpPort();
    std::vector<std::string> argv{"--listen", "127.0.0.1:" + std::to_string(port), "--token-file",
                                  tokenFile.path()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    launch(std::move(argv), std::move(environment));
  }
  // serve with the fixture's Janus and `flags`, on `port` (which the flags or the config name),
  // until /healthz answers.
  void launch(std::vector<std::string> flags,
              std::vector<std::pair<std::string, std::string>> environment = {}) {
    std::vector<std::string> argv{cliPath(),       "serve",       "--janus-url",
                                  janus->url(),    "--admin-key", janus->streamingAdminKey(),
                                  "--local-janus", "false"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    serve = std::make_unique<ServiceProcess>("serve");
    serve->setEnvironment(std::move(environment));
    ASSERT_TRUE(serve->start(argv, port)) << serve->logTail();
    if (!session)
      session = scheme == "https" ? newSessionTrusting(tlsFile("ca.pem")) : newSession();
    ASSERT_TRUE(runUntil([&] { return request("GET", "/healthz", {}, false).status == 200; }, 10s))
        << serve->logTail();
  }

  HttpReply request(const std::string& method, const std::string& path,
                    const std::optional<std::string>& body = {}, bool withToken = true,
                    const std::string& token = "serve-token-1") {
    return httpRequest(session, method, base() + path, body,
                       withToken ? std::optional<std::string>(token) : std::nullopt);
  }
  std::string base() const { return scheme + "://127.0.0.1:" + std::to_string(port); }
  // Any URL, without a token.
  HttpReply fetch(const std::string& url) { return httpRequest(session, "GET", url); }
  static std::string tlsFile(const std::string& name) { return testDataPath("tls/" + name); }

  // Descriptors open in serve now.
  int openFds() const {
    GDir* dir = g_dir_open(("/proc/" + std::to_string(serve->pid()) + "/fd").c_str(), 0, nullptr);
    int count = 0;
    while (dir && g_dir_read_name(dir))
      ++count;
    if (dir) g_dir_close(dir);
    return count;
  }

  std::string pattern(const std::string& id, std::int64_t mountpoint) const {
    return R"({"source_kind":"test_pattern","broadcast_id":")" + id +
           R"(","mountpoint_spec":{"id":)" + std::to_string(mountpoint) +
           R"(,"secret":"serve-secret","media":[{"type":"audio","codec":"opus"},)" +
           R"({"type":"video","codec":"h264"}]}})";
  }

  TempFile tokenFile{"serve-token-1\n"};
  std::unique_ptr<ServiceProcess> serve;
  SoupSession* session = nullptr;
  std::uint16_t port = 0;
  std::string scheme = "http";
};

TEST_F(ServeTest, BroadcastsThroughTheApiUntilADrainLeavesJanusClean) {
  startServe();
  EXPECT_EQ(request("GET", "/v1/broadcasts", {}, false).status, 401);
  EXPECT_EQ(request("GET", "/v1/broadcasts", {}, true, "serve-token-2").status, 401);

  HttpReply started = request("POST", "/v1/broadcasts", pattern("api-1", 9951));
  ASSERT_EQ(started.status, 201) << started.body << serve->logTail();
  EXPECT_NE(started.body.find(R"("state":"running")"), std::string::npos) << started.body;
  EXPECT_EQ(started.body.find(janus->streamingAdminKey()), std::string::npos);
  EXPECT_EQ(started.body.find("serve-secret"), std::string::npos);
  EXPECT_TRUE(viewerDecodes(9951));

  HttpReply second = request(
      "POST", "/v1/broadcasts",
      R"({"source_kind":"frontend_owned","broadcast_id":"api-2","mountpoint_spec":{"id":9952,)"
      R"("media":[{"type":"video","codec":"vp8"}]}})");
  ASSERT_EQ(second.status, 201) << second.body;

  // An RTMP broadcast from nginx-rtmp, as an encoder would publish it: relayed in the process.
  auto rtmp = RtmpServer::start();
  ASSERT_TRUE(rtmp);
  auto publisher = RtmpPublisher::start(rtmp->url("api-7"));
  ASSERT_TRUE(publisher);
  HttpReply third =
      request("POST", "/v1/broadcasts",
              R"({"source_kind":"rtmp_external","broadcast_id":"api-7","srs":{"publish_url":")" +
                  rtmp->url("api-7") +
                  R"("},"mountpoint_spec":{"id":9957,"media":[{"type":"audio","codec":"opus"},)"
                  R"({"type":"video","codec":"h264"}]}})");
  ASSERT_EQ(third.status, 201) << third.body << serve->logTail();
  EXPECT_TRUE(viewerDecodes(9957));

  HttpReply listed = request("GET", "/v1/broadcasts");
  EXPECT_EQ(listed.status, 200);
  EXPECT_NE(listed.body.find(R"("broadcast_id":"api-1")"), std::string::npos) << listed.body;
  EXPECT_NE(listed.body.find(R"("broadcast_id":"api-2")"), std::string::npos);
  // Prometheus text format: every sample line well formed and announced by its family.
  HttpReply metrics = request("GET", "/metrics");
  ASSERT_EQ(metrics.status, 200) << metrics.body;
  EXPECT_EQ(request("GET", "/metrics", {}, false).status, 401);
  const std::regex sampleLine(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? [-+0-9.eE]+|[-+]?Inf$)");
  std::set<std::string> typed;
  std::istringstream lines(metrics.body);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("# TYPE ")) typed.insert(line.substr(7, line.find(' ', 7) - 7));
    if (line.starts_with("#")) continue;
    std::smatch match;
    ASSERT_TRUE(std::regex_match(line, match, sampleLine)) << line;
    std::string family = match[1];
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (family.ends_with(suffix) && !typed.contains(family)) {
        family.resize(family.size() - std::strlen(suffix));
      }
    }
    EXPECT_TRUE(typed.contains(family)) << line;
  }
  for (const char* expected :
       {R"(su_broadcasts{state="running",source_kind="test_pattern"} 1)",
        R"(su_broadcasts{state="running",source_kind="rtmp_external"} 1)",
        "su_broadcast_start_seconds_count 3", R"(su_janus_media_age_seconds{broadcast_id="api-1")",
        R"(su_relay_bitrate_bytes_per_second{broadcast_id="api-1")",
        R"(su_queue_lag_jobs{queue_kind="memory"} 0)", "su_worker_jobs_in_flight 0",
        "process_resident_memory_bytes ", "process_cpu_seconds_total "}) {
    EXPECT_NE(metrics.body.find(expected), std::string::npos) << expected << "\n" << metrics.body;
  }
  EXPECT_EQ(metrics.body.find(janus->streamingAdminKey()), std::string::npos);
  EXPECT_EQ(metrics.body.find("serve-secret"), std::string::npos);

  HttpReply shown = request("GET", "/v1/broadcasts/api-1");
  EXPECT_EQ(shown.status, 200);
  EXPECT_NE(shown.body.find(R"("health":{"healthy":true)"), std::string::npos) << shown.body;
  EXPECT_EQ(request("GET", "/v1/broadcasts/nope").status, 404);
  EXPECT_EQ(request("DELETE", "/v1/broadcasts/nope").status, 404);

  HttpReply stopping = request("DELETE", "/v1/broadcasts/api-2");
  EXPECT_EQ(stopping.status, 202) << stopping.body;
  EXPECT_TRUE(runUntil(
      [&] {
        return mountpointIds(*streaming) == std::vector<std::int64_t>{9951, 9957};
      },
      10s));

  EXPECT_EQ(serve->interrupt(30s, SIGTERM), 0) << serve->logTail();
  EXPECT_TRUE(mountpointIds(*streaming).empty()) << "the drain (stop) leaves Janus clean";
  EXPECT_EQ(serve->logTail().find(janus->streamingAdminKey()), std::string::npos);
}

TEST_F(ServeTest, CapacityTurnsAvailabilityAwayAndJobsComeThroughTheQueue) {
  startServe({"--capacity", "1", "--target-lag-per-worker", "1", "--scale-tick-ms", "200",
              "--scale-cooldown-ms", "0"});
  EXPECT_EQ(request("GET", "/availability").status, 200);
  ASSERT_EQ(request("POST", "/v1/broadcasts", pattern("api-3", 9953)).status, 201);
  HttpReply full = request("GET", "/availability");
  EXPECT_EQ(full.status, 503);
  EXPECT_NE(full.body.find("at capacity: 1 of 1"), std::string::npos) << full.body;
  EXPECT_EQ(request("GET", "/readyz").status, 503);
  HttpReply refused = request("POST", "/v1/broadcasts", pattern("api-4", 9954));
  EXPECT_EQ(refused.status, 503) << refused.body;

  // Jobs through the API onto the node's (in-memory) queue: a start that does not fit is left
  // on the queue (not failed), the stop behind it runs, then the start fits and runs.
  EXPECT_EQ(request("POST", "/v1/jobs", "{oops").status, 400);
  HttpReply start =
      request("POST", "/v1/jobs",
              R"({"action":"start_broadcast","request":)" + pattern("api-5", 9955) + "}");
  EXPECT_EQ(start.status, 202) << start.body;
  EXPECT_NE(start.body.find(R"("queue":"memory:")"), std::string::npos) << start.body;
  HttpReply stop =
      request("POST", "/v1/jobs", R"({"action":"stop_broadcast","broadcast_id":"api-3"})");
  EXPECT_EQ(stop.status, 202) << stop.body;
  EXPECT_TRUE(
      runUntil([&] { return mountpointIds(*streaming) == std::vector<std::int64_t>{9955}; }, 30s))
      << serve->logTail();
  EXPECT_NE(serve->logTail().find("released (api-5)"), std::string::npos) << serve->logTail();
  EXPECT_EQ(serve->logTail().find("dead_lettered"), std::string::npos);
  EXPECT_TRUE(runUntil([&] { return request("GET", "/availability").status == 503; }, 5s));

  // Two more starts that do not fit: the lag the autoscaling signal reads grows.
  for (const char* id : {"api-8", "api-9"}) {
    EXPECT_EQ(request("POST", "/v1/jobs",
                      std::string(R"({"action":"start_broadcast","request":)") +
                          pattern(id, id == std::string("api-8") ? 9958 : 9959) + "}")
                  .status,
              202);
  }
  EXPECT_TRUE(runUntil(
      [&] {
        return request("GET", "/metrics").body.find("su_desired_workers 2") != std::string::npos;
      },
      10s))
      << request("GET", "/metrics").body;
  EXPECT_NE(serve->logTail().find("scale_request: 2 worker(s)"), std::string::npos)
      << serve->logTail();
  EXPECT_EQ(serve->interrupt(30s, SIGTERM), 0) << serve->logTail();
  EXPECT_TRUE(mountpointIds(*streaming).empty());
}

// The CPU budget: each broadcast costs what its relay does; what does not fit is refused, what
// is cheaper still comes in.
TEST_F(ServeTest, TheCpuBudgetTakesWhatFitsByItsCost) {
  startServe({"--cpu-budget", "40", "--cost-video-transcode", "30", "--cost-audio-transcode", "3"});
  EXPECT_EQ(request("GET", "/availability?work=video_transcode").status, 200);
  ASSERT_EQ(request("POST", "/v1/broadcasts", pattern("api-10", 9960)).status, 201);
  HttpReply video = request("GET", "/availability?work=video_transcode");
  EXPECT_EQ(video.status, 503);
  EXPECT_NE(video.body.find("over the CPU budget: a video_transcode broadcast costs 30.0 % of a "
                            "core, 30.0 of 40.0 % are taken"),
            std::string::npos)
      << video.body;
  EXPECT_EQ(request("GET", "/availability?work=audio_transcode").status, 200);
  EXPECT_EQ(request("GET", "/availability").status, 200) << "asks for audio_transcode";
  HttpReply badWork = request("GET", "/availability?work=lots");
  EXPECT_EQ(badWork.status, 400);
  EXPECT_NE(badWork.body.find("work: must be one of none, passthrough"), std::string::npos)
      << badWork.body;
  HttpReply refused = request("POST", "/v1/broadcasts", pattern("api-11", 9961));
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_NE(refused.body.find("over the CPU budget"), std::string::npos) << refused.body;
  // Janus carries a frontend_owned broadcast by itself: it costs nothing here.
  EXPECT_EQ(request("POST", "/v1/broadcasts",
                    R"({"source_kind":"frontend_owned","broadcast_id":"api-12",)"
                    R"("mountpoint_spec":{"id":9962,"media":[{"type":"video","codec":"vp8"}]}})")
                .status,
            201);
  const std::string metrics = request("GET", "/metrics").body;
  EXPECT_NE(metrics.find("su_node_cpu_budget_percent 40\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("su_node_cpu_committed_percent 30\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("su_node_active_broadcasts 2\n"), std::string::npos) << metrics;
  EXPECT_EQ(serve->interrupt(30s, SIGTERM), 0) << serve->logTail();
  EXPECT_TRUE(mountpointIds(*streaming).empty());
}

// SIGTERM while starts are in flight, one from the queue and one through the API: both finish
// (the job is acknowledged, the client gets its 201), new work is refused meanwhile, then the
// drain stops everything and Janus is clean.
TEST_F(ServeTest, SigtermFinishesTheStartsInFlightThenDrains) {
  startServe();
  ASSERT_EQ(request("POST", "/v1/jobs",
                    R"({"action":"start_broadcast","request":)" + pattern("api-14", 9964) + "}")
                .status,
            202);
  std::optional<HttpReply> apiStart;
  std::thread client([&] {
    SoupSession* own = soup_session_new();
    apiStart =
        httpRequest(own, "POST", "http://127.0.0.1:" + std::to_string(port) + "/v1/broadcasts",
                    pattern("api-15", 9965), "serve-token-1");
    g_object_unref(own);
  });
  // Both known to the node (starting: a test pattern takes over a second to be confirmed).
  const bool bothKnown = runUntil(
      [&] {
        const std::string listed = request("GET", "/v1/broadcasts").body;
        return listed.find("api-14") != std::string::npos &&
               listed.find("api-15") != std::string::npos;
      },
      10s);
  serve->signal(SIGTERM);
  EXPECT_TRUE(runUntil(
      [&] { return request("GET", "/readyz").body.find("draining") != std::string::npos; }));
  HttpReply refused = request("POST", "/v1/broadcasts", pattern("api-16", 9966));
  client.join();
  ASSERT_TRUE(bothKnown) << serve->logTail();
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_NE(refused.body.find("draining"), std::string::npos) << refused.body;
  ASSERT_TRUE(apiStart);
  EXPECT_EQ(apiStart->status, 201) << apiStart->body;
  EXPECT_EQ(serve->waitForExit(30s), 0) << serve->logTail();
  const std::string log = serve->logTail(20000);
  const auto jobDone = log.find("done (api-14)");
  EXPECT_NE(jobDone, std::string::npos) << log;
  EXPECT_LT(jobDone, log.find("drained: every broadcast stopped")) << log;
  EXPECT_TRUE(mountpointIds(*streaming).empty());
}

// A real Prometheus (Debian's) scrapes /metrics over HTTPS with the bearer token, and promtool
// finds nothing to say about the exposition.
TEST_F(ServeTest, PrometheusScrapesTheMetrics) {
  scheme = "https";
  startServe({"--tls-certificate", tlsFile("server.pem"), "--tls-key", tlsFile("server.key")});
  ASSERT_EQ(request("POST", "/v1/broadcasts", pattern("api-13", 9963)).status, 201);
  const std::string exposition = request("GET", "/metrics").body;
  ProcessRun lint = runArgv({"promtool", "check", "metrics"}, exposition);
  EXPECT_EQ(lint.status, 0) << lint.out << lint.err;
  EXPECT_EQ(lint.out + lint.err, "") << exposition;

  const std::uint16_t prometheusPort = freeTcpPort();
  ServiceProcess prometheus("prometheus");
  const std::string config = prometheus.dir() + "/prometheus.yml";
  // Every second, or more under the sanitizers (where an HTTPS scrape of serve takes longer).
  const long interval = 1000 * timeScale();
  const std::string scrape =
      "global:\n"
      "  scrape_interval: " +
      std::to_string(interval) + "ms\n  scrape_timeout: " + std::to_string(interval - 100) +
      "ms\n"
      "scrape_configs:\n"
      "  - job_name: streaming-utils\n"
      "    scheme: https\n"
      "    tls_config:\n"
      "      ca_file: " +
      tlsFile("ca.pem") +
      "\n"
      "    authorization:\n"
      "      credentials_file: " +
      tokenFile.path() +
      "\n"
      "    static_configs:\n"
      "      - targets: ['127.0.0.1:" +
      std::to_string(port) + "']\n";
  ASSERT_TRUE(g_file_set_contents(config.c_str(), scrape.c_str(), -1, nullptr));
  ASSERT_TRUE(prometheus.start(
      {"prometheus", "--config.file=" + config, "--storage.tsdb.path=" + prometheus.dir() + "/data",
       "--web.listen-address=127.0.0.1:" + std::to_string(prometheusPort)},
      prometheusPort, 30s))
      << prometheus.logTail();
  auto query = [&](const std::string& promql) {
    auto escaped = GUnique<char>::adopt(g_uri_escape_string(promql.c_str(), nullptr, FALSE));
    return fetch("http://127.0.0.1:" + std::to_string(prometheusPort) +
                 "/api/v1/query?query=" + escaped.get())
        .body;
  };
  // A sample's value in the instant-query answer: ...,"value":[TIME,"1"]}
  auto answers = [&](const std::string& promql, const std::string& value) {
    return query(promql).find(",\"" + value + "\"]") != std::string::npos;
  };
  EXPECT_TRUE(runUntil([&] { return answers(R"(up{job="streaming-utils"})", "1"); }, 20s))
      << query("up") << prometheus.logTail();
  EXPECT_TRUE(answers(R"(su_broadcasts{state="running",source_kind="test_pattern"})", "1"))
      << query("su_broadcasts");
  EXPECT_TRUE(answers(R"(count(su_relay_bitrate_bytes_per_second{broadcast_id="api-13"}))", "2"))
      << query("su_relay_bitrate_bytes_per_second");
  EXPECT_TRUE(answers("su_broadcast_start_seconds_count", "1"));
  EXPECT_TRUE(answers("su_node_cpu_committed_percent", "40"));
  EXPECT_FALSE(answers("scrape_samples_scraped", "0"));
  const std::string targets =
      fetch("http://127.0.0.1:" + std::to_string(prometheusPort) + "/api/v1/targets").body;
  EXPECT_NE(targets.find(R"("health":"up")"), std::string::npos) << targets;
  EXPECT_NE(targets.find(R"("lastError":"")"), std::string::npos) << targets;
  EXPECT_EQ(serve->interrupt(30s, SIGTERM), 0) << serve->logTail();
  EXPECT_TRUE(mountpointIds(*streaming).empty());
}

// systemd's end of Type=notify, played by the test: a datagram socket at $NOTIFY_SOCKET.
class NotifySocket {
 public:
  NotifySocket() {
    auto dir = GUnique<char>::adopt(g_dir_make_tmp("su-notify-XXXXXX", nullptr));
    dir_ = dir.get();
    path_ = dir_ + "/notify";
    socket_ = GRef<GSocket>::adopt(g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM,
                                                G_SOCKET_PROTOCOL_DEFAULT, nullptr));
    auto address = GRef<GSocketAddress>::adopt(g_unix_socket_address_new(path_.c_str()));
    bound_ = socket_ && g_socket_bind(socket_.get(), address.get(), FALSE, nullptr);
  }
  ~NotifySocket() {
    socket_ = {};
    g_remove(path_.c_str());
    g_rmdir(dir_.c_str());
  }
  bool bound() const { return bound_; }
  const std::string& path() const { return path_; }
  // The next message, or nothing after `wait`.
  std::optional<std::string> receive(std::chrono::milliseconds wait) {
    if (!g_socket_condition_timed_wait(socket_.get(), G_IO_IN,
                                       std::chrono::microseconds(wait).count(), nullptr, nullptr)) {
      return std::nullopt;
    }
    char buffer[4096];
    const gssize got = g_socket_receive(socket_.get(), buffer, sizeof buffer, nullptr, nullptr);
    if (got < 0) return std::nullopt;
    return std::string(buffer, static_cast<std::size_t>(got));
  }
  // Messages until one contains `wanted` (true), or `wait` passes (false).
  bool awaitMessage(const std::string& wanted, std::chrono::milliseconds wait,
                    std::vector<std::string>* seen = nullptr) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      auto message = receive(std::max(left, std::chrono::milliseconds(1)));
      if (!message) continue;
      if (seen) seen->push_back(*message);
      if (message->find(wanted) != std::string::npos) return true;
    }
    return false;
  }

 private:
  std::string dir_;
  std::string path_;
  GRef<GSocket> socket_;
  bool bound_ = false;
};

TEST_F(ServeTest, TellsSystemdItIsReadyAliveAndStopping) {
  NotifySocket systemd;
  ASSERT_TRUE(systemd.bound());
  startServe({}, {{"NOTIFY_SOCKET", systemd.path()}, {"WATCHDOG_USEC", "400000"}});
  std::vector<std::string> seen;
  ASSERT_TRUE(systemd.awaitMessage("READY=1", 10s, &seen)) << serve->logTail();
  EXPECT_NE(seen.back().find("STATUS=serving the HTTP API on http://127.0.0.1:"), std::string::npos)
      << seen.back();
  // Pings every 200 ms from the control loop: three in at most a second and a bit.
  for (int ping = 0; ping < 3; ++ping) {
    EXPECT_TRUE(systemd.awaitMessage("WATCHDOG=1", 1500ms)) << "ping " << ping;
  }
  serve->signal(SIGTERM);
  EXPECT_TRUE(systemd.awaitMessage("STOPPING=1", 10s)) << serve->logTail();
  EXPECT_EQ(serve->waitForExit(30s), 0) << serve->logTail();
}

// The unit installed for systemd (the build's copy, pointing at this build's program): it parses
// without a warning, and its exposure stays in systemd-analyze's "OK" range.
TEST(ServeUnit, TheSystemdUnitVerifiesAndIsHardened) {
  const char* unit = g_getenv("SU_SYSTEMD_UNIT");
  ASSERT_NE(unit, nullptr) << "SU_SYSTEMD_UNIT is set by meson test";
  ProcessRun verify = runArgv({"systemd-analyze", "verify", "--man=no", unit}, std::nullopt);
  EXPECT_EQ(verify.status, 0) << verify.err;
  EXPECT_EQ(verify.err, "") << "every line is a problem systemd would log";
  ProcessRun security = runArgv(
      {"systemd-analyze", "security", "--offline=true", "--threshold=25", "--no-pager", unit},
      std::nullopt);
  EXPECT_EQ(security.status, 0) << security.out << security.err;
  const auto overall = security.out.find("Overall exposure level");
  ASSERT_NE(overall, std::string::npos) << security.out;
  std::cout << security.out.substr(overall);
}

TEST_F(ServeTest, SighupReloadsCapacityAndSaysWhatNeedsARestart) {
  const std::string path =
      GUnique<char>::adopt(g_build_filename(g_get_tmp_dir(), "su-serve-reload.conf", nullptr))
          .get();
  ASSERT_TRUE(g_file_set_contents(path.c_str(), "[node]\ncapacity = 1\n", -1, nullptr));
  startServe({"--config", path});
  ASSERT_EQ(request("POST", "/v1/broadcasts", pattern("api-6", 9956)).status, 201);
  EXPECT_EQ(request("GET", "/availability").status, 503);

  ASSERT_TRUE(g_file_set_contents(path.c_str(), "[node]\ncapacity = 2\n[queue]\nconcurrency = 8\n",
                                  -1, nullptr));
  serve->signal(SIGHUP);
  EXPECT_TRUE(runUntil([&] { return request("GET", "/availability").status == 200; }, 5s));
  EXPECT_NE(serve->logTail().find("reloaded: capacity 2"), std::string::npos) << serve->logTail();
  EXPECT_NE(serve->logTail().find("ignored (restart to apply): [queue] concurrency"),
            std::string::npos)
      << serve->logTail();

  // A broken file changes nothing.
  ASSERT_TRUE(g_file_set_contents(path.c_str(), "[node]\ncapacity = lots\n", -1, nullptr));
  serve->signal(SIGHUP);
  EXPECT_TRUE(runUntil(
      [&] { return serve->logTail().find("reload refused, nothing changed") != std::string::npos; },
      5s));
  EXPECT_EQ(request("GET", "/availability").status, 200);
  EXPECT_EQ(serve->interrupt(30s, SIGTERM), 0) << serve->logTail();
  EXPECT_TRUE(mountpointIds(*streaming).empty());
  g_remove(path.c_str());
}

// GET /v1/events: a dashboard's stream of what broadcasts do, as it happens.
TEST_F(ServeTest, EventsStreamABroadcastsLife) {
  startServe();
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/v1/events";
  SoupMessage* message = soup_message_new("GET", url.c_str());
  soup_message_headers_append(soup_message_get_request_headers(message), "Authorization",
                              "Bearer serve-token-1");
  GCancellable* cancellable = g_cancellable_new();
  GError* error = nullptr;
  GInputStream* stream = soup_session_send(session, message, cancellable, &error);
  ASSERT_TRUE(stream) << (error ? error->message : "");
  EXPECT_EQ(soup_message_get_status(message), 200u);
  EXPECT_STREQ(
      soup_message_headers_get_content_type(soup_message_get_response_headers(message), nullptr),
      "text/event-stream");

  ASSERT_EQ(request("POST", "/v1/broadcasts", pattern("api-7", 9957)).status, 201);
  // Read until the broadcast is running (a watchdog ends a read that never comes).
  std::atomic<bool> finished{false};
  std::thread watchdog([cancellable, &finished] {
    for (int i = 0; i < 150 && !finished; ++i)
      std::this_thread::sleep_for(100ms);
    g_cancellable_cancel(cancellable);
  });
  std::string seen;
  char buffer[4096];
  while (seen.find(R"("state":"running")") == std::string::npos) {
    const gssize got = g_input_stream_read(stream, buffer, sizeof buffer, cancellable, nullptr);
    if (got <= 0) break;
    seen.append(buffer, static_cast<std::size_t>(got));
  }
  finished = true;
  watchdog.join();
  EXPECT_NE(seen.find("event: broadcast_state\ndata: {\"broadcast_id\":\"api-7\""),
            std::string::npos)
      << seen;
  EXPECT_NE(seen.find(R"("event":"mountpoint_created")"), std::string::npos) << seen;
  EXPECT_NE(seen.find(R"("state":"running")"), std::string::npos) << seen;
  EXPECT_EQ(seen.find(janus->streamingAdminKey()), std::string::npos);
  g_object_unref(stream);
  g_object_unref(cancellable);
  g_object_unref(message);
  EXPECT_EQ(serve->interrupt(30s, SIGTERM), 0) << serve->logTail();
  EXPECT_TRUE(mountpointIds(*streaming).empty());
}

// The embedded default: no Janus answers at a loopback URL, so serve starts its own (and knows
// its admin key): a request without one runs, and the drain stops that Janus too.
TEST_F(ServeTest, WithoutAJanusItStartsItsOwn) {
  port = freeTcpPort();
  const std::uint16_t janusPort = freeTcpPort();
  serve = std::make_unique<ServiceProcess>("serve-own-janus");
  ASSERT_TRUE(serve->start({cliPath(), "serve", "--listen", "127.0.0.1:" + std::to_string(port),
                            "--janus-url", "ws://127.0.0.1:" + std::to_string(janusPort)},
                           port));
  session = soup_session_new();
  ASSERT_TRUE(runUntil([&] { return request("GET", "/healthz", {}, false).status == 200; }, 20s))
      << serve->logTail();
  HttpReply started = request("POST", "/v1/broadcasts", pattern("own-1", 9960), false);
  EXPECT_EQ(started.status, 201) << started.body << serve->logTail();
  EXPECT_EQ(serve->interrupt(30s, SIGTERM), 0) << serve->logTail();
  EXPECT_NE(serve->logTail().find("drained: every broadcast stopped"), std::string::npos)
      << serve->logTail();
}

// Before it reaches Janus (none listens at its URL), serve answers but is not ready, and its job
// queue, opened once Janus is connected, says so.
TEST_F(ServeTest, UntilJanusAnswersItIsNotReadyAndItsQueueNotOpen) {
  port = freeTcpPort();
  serve = std::make_unique<ServiceProcess>("serve-no-janus");
  ASSERT_TRUE(serve->start(
      {cliPath(), "serve", "--listen", "127.0.0.1:" + std::to_string(port), "--janus-url",
       "ws://127.0.0.1:" + std::to_string(freeTcpPort()), "--local-janus", "false"},
      port));
  session = soup_session_new();
  HttpReply unready = request("GET", "/readyz", {}, false);
  EXPECT_EQ(unready.status, 503);
  EXPECT_NE(unready.body.find("Janus is not connected"), std::string::npos) << unready.body;
  HttpReply job =
      request("POST", "/v1/jobs", R"({"action":"stop_broadcast","broadcast_id":"early"})", false);
  EXPECT_EQ(job.status, 503);
  EXPECT_NE(job.body.find("queue_not_open"), std::string::npos) << job.body;
  EXPECT_EQ(serve->interrupt(30s, SIGTERM), 0) << serve->logTail();
}

TEST_F(ServeTest, BadRequestsAreRefusedClearly) {
  startServe({"--max-body-bytes", "4096"});
  HttpReply garbage = request("POST", "/v1/broadcasts", "{oops");
  EXPECT_EQ(garbage.status, 400);
  EXPECT_NE(garbage.body.find(R"("code":"invalid_request")"), std::string::npos) << garbage.body;

  HttpReply invalid =
      request("POST", "/v1/broadcasts",
              R"({"source_kind":"videoroom","mountpoint_spec":{"media":[{"type":"video",)"
              R"("codec":"vp8","port":0}]}})");
  EXPECT_EQ(invalid.status, 400);
  EXPECT_NE(invalid.body.find("room_id: required for source_kind videoroom"), std::string::npos)
      << invalid.body;

  HttpReply tooLarge = request("POST", "/v1/broadcasts", std::string(5000, ' '));
  EXPECT_EQ(tooLarge.status, 413) << tooLarge.body;
  EXPECT_EQ(request("PUT", "/v1/broadcasts").status, 405);
  EXPECT_EQ(request("GET", "/v2/anything").status, 404);
  EXPECT_TRUE(mountpointIds(*streaming).empty());
}

// Clients that close their connection after a request (curl, health checkers) leave nothing
// open in the service: libsoup 3.2 kept every such connection in CLOSE_WAIT (found by
// serve-bench --soak), so the API answers one request per connection.
TEST_F(ServeTest, ClientsThatCloseLeaveNoSocketBehind) {
  startServe();
  const int before = openFds();
  for (int i = 0; i < 30; ++i) {
    SoupSession* once = soup_session_new();  // a connection of its own, closed with it
    EXPECT_EQ(
        httpRequest(once, "GET", "http://127.0.0.1:" + std::to_string(port) + "/healthz").status,
        200);
    g_object_unref(once);
  }
  EXPECT_TRUE(runUntil([&] { return openFds() < before + 10; }, 5s))
      << before << " descriptors before 30 requests, " << openFds() << " after";
}

// A burst of clients while the loop is busy (here: stopped) is queued by the kernel, not dropped:
// with GSocket's default backlog of 10 only 11 connections completed and some of 32 parallel
// starts were reset (serve-bench).
TEST_F(ServeTest, ABurstOfClientsIsQueuedWhileTheLoopIsBusy) {
  startServe();
  constexpr int kBurst = 64;
  serve->signal(SIGSTOP);
  std::vector<int> sockets;
  sockaddr_in address{.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = {}};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < kBurst; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);  // EINPROGRESS
    sockets.push_back(fd);
  }
  std::this_thread::sleep_for(500ms);
  int connected = 0;
  for (int fd : sockets) {
    pollfd writable{.fd = fd, .events = POLLOUT, .revents = 0};
    int error = 0;
    socklen_t size = sizeof error;
    if (::poll(&writable, 1, 0) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) == 0 &&
        error == 0) {
      ++connected;
    }
  }
  serve->signal(SIGCONT);
  for (int fd : sockets)
    ::close(fd);
  EXPECT_EQ(connected, kBurst) << "connections completed while serve was stopped";
  EXPECT_TRUE(runUntil([&] { return request("GET", "/healthz").status == 200; }, 5s));
}

// data/streaming-utils.conf documents every key: each is accepted with the value shown (all of
// them uncommented at once), and every flag of `serve` is in it.
TEST_F(ServeTest, TheDocumentedConfigIsTheOneServeReads) {
  std::string documented = readFile(dataPath("streaming-utils.conf"));
  ASSERT_FALSE(documented.empty());
  std::string uncommented;
  std::istringstream lines(documented);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() > 1 && line[0] == '#' && g_ascii_islower(line[1]) &&
        line.find(" =") != std::string::npos) {
      line = line.substr(1);
      if (line.ends_with("=")) line += " x";  // keys documented without a default
    }
    uncommented += line + "\n";
  }
  TempFile config(uncommented);
  TempFile token("t0ken\n");
  ProcessRun check = runCli({"serve", "--config", config.path(), "--token-file", token.path(),
                             "--admin-key", "k3y", "--tls-certificate", tlsFile("server.pem"),
                             "--tls-key", tlsFile("server.key"), "--check-config"});
  ASSERT_EQ(check.status, 0) << check.err << uncommented;
  EXPECT_NE(check.out.find(R"("listen" : "127.0.0.1:8089")"), std::string::npos) << check.out;
  EXPECT_EQ(check.out.find("k3y"), std::string::npos) << "secrets masked";
  EXPECT_EQ(check.out.find("t0ken"), std::string::npos);
  ProcessRun help = runCli({"serve", "--help"});
  for (std::size_t at = help.out.find("  --"); at != std::string::npos;
       at = help.out.find("  --", at + 1)) {
    const std::string flag = help.out.substr(at + 2, help.out.find(' ', at + 2) - at - 2);
    if (flag == "--config" || flag == "--check-config") continue;
    EXPECT_NE(documented.find(flag), std::string::npos) << flag << " is not documented";
  }
}

TEST_F(ServeTest, ConfigErrorsNameTheFileGroupAndKey) {
  TempFile config("[http]\nlisten = 127.0.0.1:8089\n[queue]\nconcurrency = many\n");
  ProcessRun run = runCli({"serve", "--config", config.path()});
  EXPECT_EQ(run.status, 2);
  EXPECT_NE(run.err.find(config.path() + ": [queue] concurrency: must be a whole number"),
            std::string::npos)
      << run.err;
  TempFile typo("[http]\nlistn = 127.0.0.1:8089\n");
  run = runCli({"serve", "--config", typo.path()});
  EXPECT_EQ(run.status, 2);
  EXPECT_NE(run.err.find("[http] listn: unknown key"), std::string::npos) << run.err;
  run = runCli({"serve", "--listen", "0.0.0.0:8089"});
  EXPECT_EQ(run.status, 2);
  EXPECT_NE(run.err.find("needs a token"), std::string::npos) << run.err;
}

// A reload is held to the rules of a start. It was not: with listen = 0.0.0.0, removing
// token_file and SIGHUP made GET /v1/broadcasts answer 200 to the whole network.
TEST_F(ServeTest, AReloadNeverOpensTheApiBeyondLoopback) {
  port = freeTcpPort();
  const std::string anyAddress = "listen = 0.0.0.0:" + std::to_string(port) + "\n";
  TempFile config("[http]\n" + anyAddress + "token_file = " + tokenFile.path() + "\n");
  auto rewrite = [&](const std::string& text) {
    ASSERT_TRUE(g_file_set_contents(config.path().c_str(), text.c_str(), -1, nullptr));
  };
  auto reloadRefused = [&](std::size_t times) {
    serve->signal(SIGHUP);
    return runUntil(
        [&] { return occurrences(serve->logTail(), "reload refused, nothing changed") == times; },
        5s);
  };
  launch({"--config", config.path()});
  EXPECT_EQ(request("GET", "/v1/broadcasts", {}, false).status, 401);

  rewrite("[http]\n" + anyAddress);
  ASSERT_TRUE(reloadRefused(1)) << serve->logTail();
  EXPECT_NE(
      serve->logTail().find("listening on 0.0.0.0:" + std::to_string(port) + " needs a token"),
      std::string::npos)
      << serve->logTail();
  EXPECT_EQ(request("GET", "/v1/broadcasts", {}, false).status, 401);
  EXPECT_EQ(request("GET", "/v1/broadcasts").status, 200);

  // Judged on the address serve listens on, not the one the file would move it to (a restart).
  rewrite("[http]\nlisten = 127.0.0.1:" + std::to_string(port) + "\n");
  ASSERT_TRUE(reloadRefused(2)) << serve->logTail();
  EXPECT_EQ(request("GET", "/v1/broadcasts", {}, false).status, 401);

  // An empty token file is no token either.
  TempFile empty("  \n");
  rewrite("[http]\n" + anyAddress + "token_file = " + empty.path() + "\n");
  ASSERT_TRUE(reloadRefused(3)) << serve->logTail();
  EXPECT_EQ(request("GET", "/v1/broadcasts", {}, false).status, 401);

  // A new token does apply.
  TempFile rotated("serve-token-2\n");
  rewrite("[http]\n" + anyAddress + "token_file = " + rotated.path() + "\n");
  serve->signal(SIGHUP);
  ASSERT_TRUE(runUntil([&] { return serve->logTail().find("token set") != std::string::npos; }, 5s))
      << serve->logTail();
  EXPECT_EQ(request("GET", "/v1/broadcasts").status, 401);
  EXPECT_EQ(request("GET", "/v1/broadcasts", {}, true, "serve-token-2").status, 200);
  EXPECT_EQ(serve->logTail().find("serve-token"), std::string::npos) << "no token in the log";
  EXPECT_EQ(serve->interrupt(30s, SIGTERM), 0) << serve->logTail();
}

// GET /v1/events streams end with their clients. They did not: 64 clients that came and went left
// 64 descriptors in serve for good, and a dashboard that reconnects leaked one per reconnect until
// the descriptor admission refused broadcasts.
TEST_F(ServeTest, EventStreamsEndWithTheirClientsAndAreBounded) {
  constexpr int kClients = 200;
  startServe({"--event-heartbeat-ms", "1000", "--max-event-streams", std::to_string(kClients)});
  const std::string subscribe =
      "GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer serve-token-1\r\n\r\n";
  const int baseline = openFds();
  for (int round = 0; round < 2; ++round) {
    std::vector<RawClient> clients;
    for (int i = 0; i < kClients; ++i) {
      clients.emplace_back(port);
      ASSERT_TRUE(clients.back().connected() && clients.back().send(subscribe));
    }
    for (RawClient& client : clients) {
      ASSERT_NE(client.readUntil("streaming-utils events", 10s).find("HTTP/1.1 200"),
                std::string::npos);
    }
    // One more is refused while they are open.
    RawClient extra(port);
    ASSERT_TRUE(extra.send(subscribe));
    EXPECT_NE(extra.readUntil("too_many_streams", 5s).find("HTTP/1.1 503"), std::string::npos);
    extra.close();
    EXPECT_GE(openFds(), baseline + kClients - 5) << "a descriptor per stream while they are open";
    clients.clear();  // every client closes its stream
    EXPECT_TRUE(runUntil([&] { return openFds() <= baseline; }, 1000ms))
        << "round " << round << ": " << baseline << " descriptors before, " << openFds()
        << " one heartbeat after " << kClients << " clients closed their streams";
  }
  // A client that stays gets a heartbeat (a comment line) within one, and events as they happen.
  RawClient dashboard(port);
  ASSERT_TRUE(dashboard.send(subscribe));
  ASSERT_NE(dashboard.readUntil("streaming-utils events\n\n", 5s).find("200"), std::string::npos);
  const std::size_t opened = dashboard.readUntil("", 0ms).size();
  EXPECT_NE(dashboard.readUntil(":\n\n", 1500ms).find(":\n\n", opened), std::string::npos);
  ASSERT_EQ(request("POST", "/v1/broadcasts", pattern("events-1", 9970)).status, 201);
  EXPECT_NE(dashboard.readUntil(R"("state":"running")", 10s).find("event: broadcast_state"),
            std::string::npos);
  EXPECT_EQ(serve->interrupt(30s, SIGTERM), 0) << serve->logTail();
  EXPECT_TRUE(mountpointIds(*streaming).empty());
}

// Request heads that are too long or too slow get an answer, as every other refusal does (a 100 kB
// path had its connection reset; a client that sent nothing held its connection for ever), and the
// API serves on.
TEST_F(ServeTest, OversizedAndSlowRequestHeadsAreAnswered) {
  startServe({"--header-timeout-ms", "500"});
  const int baseline = openFds();
  RawClient longPath(port);
  ASSERT_TRUE(
      longPath.send("GET /v1/broadcasts/" + std::string(100'000, 'a') + " HTTP/1.1\r\n\r\n"));
  const std::string uriTooLong = longPath.readUntil("}", 5s);
  EXPECT_NE(uriTooLong.find("HTTP/1.1 414 URI Too Long"), std::string::npos) << uriTooLong;
  EXPECT_NE(uriTooLong.find("the request line is over 8192 bytes"), std::string::npos);

  RawClient bigHead(port);
  ASSERT_TRUE(
      bigHead.send("GET /healthz HTTP/1.1\r\nX-Filler: " + std::string(60'000, 'b') + "\r\n\r\n"));
  EXPECT_NE(bigHead.readUntil("}", 5s).find("HTTP/1.1 431"), std::string::npos);

  // Half a head, then nothing; and a connection that never says a word.
  RawClient slow(port);
  RawClient silent(port);
  ASSERT_TRUE(slow.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
  const auto sent = std::chrono::steady_clock::now();
  EXPECT_NE(slow.readUntil("}", 5s).find("HTTP/1.1 408"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - sent, 3s);
  EXPECT_NE(silent.readUntil("}", 5s).find("HTTP/1.1 408"), std::string::npos);

  // A head split in small pieces within the time is served.
  RawClient patient(port);
  for (const char* piece : {"GET /heal", "thz HTTP/1.1\r\n", "Host: 127.0.0.1\r\n", "\r\n"}) {
    ASSERT_TRUE(patient.send(piece));
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_NE(patient.readUntil("}", 5s).find("HTTP/1.1 200"), std::string::npos);
  EXPECT_EQ(request("GET", "/healthz", {}, false).status, 200);
  for (RawClient* client : {&longPath, &bigHead, &slow, &silent, &patient})
    client->close();
  EXPECT_TRUE(runUntil([&] { return openFds() <= baseline; }, 5s))
      << openFds() << " > " << baseline;
}

// HTTPS from a PEM pair, renewed in place and picked up by SIGHUP without a restart; a pair that
// does not load changes nothing. Clients: libsoup, curl and Python, each trusting the test CA.
TEST_F(ServeTest, HttpsWithACertificateRotatedWithoutARestart) {
  TempFile certificate(readFile(tlsFile("server.pem")));
  TempFile key(readFile(tlsFile("server.key")));
  TempFile config("[http]\ntls_certificate = " + certificate.path() + "\ntls_key = " + key.path() +
                  "\n");
  const std::string first =
      tls::fingerprint(tls::loadPair(tlsFile("server.pem"), tlsFile("server.key"))->get());
  const std::string second =
      tls::fingerprint(tls::loadPair(tlsFile("server2.pem"), tlsFile("server2.key"))->get());
  scheme = "https";
  startServe({"--config", config.path()});
  EXPECT_NE(serve->logTail().find("serving the HTTP API on https://127.0.0.1:"), std::string::npos);
  HttpReply listed = request("GET", "/v1/broadcasts");
  EXPECT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(listed.peerCertificate, first);
  EXPECT_EQ(request("GET", "/v1/broadcasts", {}, false).status, 401);

  const std::string url = base() + "/v1/broadcasts";
  ProcessRun curl = runArgv({"curl", "-sS", "--cacert", tlsFile("ca.pem"), "-H",
                             "Authorization: Bearer serve-token-1", url},
                            std::nullopt);
  EXPECT_EQ(curl.status, 0) << curl.err;
  EXPECT_NE(curl.out.find(R"("broadcasts")"), std::string::npos) << curl.out;
  ProcessRun wrongCa =
      runArgv({"curl", "-sS", "--cacert", tlsFile("other-ca.pem"), url}, std::nullopt);
  EXPECT_EQ(wrongCa.status, 60) << "curl: peer certificate cannot be authenticated\n"
                                << wrongCa.err;
  const std::string python =
      "import ssl, sys, urllib.request\n"
      "context = ssl.create_default_context(cafile=sys.argv[1])\n"
      "request = urllib.request.Request(sys.argv[2], headers={'Authorization': 'Bearer "
      "serve-token-1'})\n"
      "print(urllib.request.urlopen(request, context=context).status)\n";
  ProcessRun py = runArgv({"python3", "-c", python, tlsFile("ca.pem"), url}, std::nullopt);
  EXPECT_EQ(py.status, 0) << py.err;
  EXPECT_EQ(py.out, "200\n");
  ProcessRun pyWrongCa =
      runArgv({"python3", "-c", python, tlsFile("other-ca.pem"), url}, std::nullopt);
  EXPECT_NE(pyWrongCa.status, 0);
  EXPECT_NE(pyWrongCa.err.find("CERTIFICATE_VERIFY_FAILED"), std::string::npos) << pyWrongCa.err;
  // Plain HTTP to the HTTPS port gets no answer.
  EXPECT_EQ(fetch("http://127.0.0.1:" + std::to_string(port) + "/healthz").status, 0);

  // Renewed in place: the next connections get the new certificate.
  auto replace = [](const TempFile& file, const std::string& from) {
    const std::string text = readFile(from);
    ASSERT_TRUE(g_file_set_contents(file.path().c_str(), text.c_str(), -1, nullptr));
  };
  replace(certificate, tlsFile("server2.pem"));
  replace(key, tlsFile("server2.key"));
  serve->signal(SIGHUP);
  ASSERT_TRUE(runUntil(
      [&] { return serve->logTail().find("certificate " + second) != std::string::npos; }, 5s))
      << serve->logTail();
  EXPECT_EQ(request("GET", "/v1/broadcasts").peerCertificate, second);

  // Half a renewal (the certificate written, its key not yet): refused, the pair in use stays.
  replace(certificate, tlsFile("server.pem"));
  serve->signal(SIGHUP);
  ASSERT_TRUE(runUntil(
      [&] { return serve->logTail().find("reload refused, nothing changed") != std::string::npos; },
      5s));
  EXPECT_NE(serve->logTail().find("the key is not the certificate's"), std::string::npos)
      << serve->logTail();
  HttpReply after = request("GET", "/v1/broadcasts");
  EXPECT_EQ(after.status, 200);
  EXPECT_EQ(after.peerCertificate, second);
  EXPECT_EQ(serve->logTail().find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(serve->interrupt(30s, SIGTERM), 0) << serve->logTail();
}

TEST_F(ServeTest, APairThatDoesNotLoadIsRefusedAtStartup) {
  ProcessRun expired = runCli({"serve", "--tls-certificate", tlsFile("expired.pem"), "--tls-key",
                               tlsFile("expired.key"), "--check-config"});
  EXPECT_EQ(expired.status, 2);
  EXPECT_NE(expired.err.find("expired.pem: the certificate expired at 2020-01-02"),
            std::string::npos)
      << expired.err;
  ProcessRun half = runCli({"serve", "--tls-certificate", tlsFile("server.pem"), "--check-config"});
  EXPECT_EQ(half.status, 2);
  EXPECT_NE(half.err.find("tls_certificate and tls_key go together"), std::string::npos)
      << half.err;
}

}  // namespace
}  // namespace su::test
