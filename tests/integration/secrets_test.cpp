// The secrets audit: `streaming-utils serve` in a cluster, serving HTTPS, on a password-protected
// Redis queue reached over TLS with a client certificate, running broadcasts whose every
// secret-bearing field holds a distinctive secret (mountpoint secret and PIN, the Streaming admin
// key, an RTSP camera's password, an RTMP URL's password and stream key, the API token, the
// cluster key, Redis's password, a queued job's secret, the private keys of the API's and of the
// Redis client's certificates), with every debug output there is turned on (GST_DEBUG=*:9 —
// GStreamer's, libsoup's and ours —, G_MESSAGES_DEBUG=all) and dot files written. None of the
// secrets may appear in its stdout and stderr, its dot files, its metrics, its API's responses or
// what it wrote to Redis. And a node on a Kafka queue with SASL and key passwords in its
// [kafka] group, whose every login is refused: neither password shows anywhere.
#include <gtest/gtest.h>
#include <libsoup/soup.h>

#include <filesystem>
#include <sstream>

#include "cluster/cluster_key.hpp"
#include "support/http_client.hpp"
#include "support/janus_test.hpp"
#include "support/kafka_mock.hpp"
#include "support/process.hpp"
#include "support/redis_server.hpp"
#include "support/rtsp_server.hpp"
#include "support/service_process.hpp"
#include "support/test_data.hpp"

namespace su::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kMountSecret = "Mnt5ecretQ7xv";
constexpr const char* kMountPin = "P1n83517x";
constexpr const char* kRtspPassword = "Rt5pPassW9z";
constexpr const char* kUrlUser = "UrlUs3rK2m";
constexpr const char* kUrlPassword = "UrlPa55J8q";
constexpr const char* kStreamKey = "StrmK3yW4v";
constexpr const char* kToken = "ApiT0kenH6r";
constexpr const char* kRedisPassword = "Red15PassF3c";
constexpr const char* kJobSecret = "J0bSecr3tT5n";
constexpr const char* kSaslPassword = "Sa5lPassN4t";
constexpr const char* kKeyPassphrase = "KeyPhra5eB7w";

// Every debug output there is. Under the sanitizers (or valgrind) all of ours but GStreamer's up
// to INFO only: its LOG, TRACE and MEMDUMP there write most of a GiB and starve the media the
// audit needs flowing.
const char* gstDebug() {
  return timeScale() > 1 ? "*:4,su*:9" : "*:9";
}

// A line from the middle of a PEM private key: what would show if the file were quoted.
std::string keyLine(const std::string& file) {
  std::istringstream lines(readFile(file));
  std::string line;
  for (int i = 0; i < 5 && std::getline(lines, line);)
    ++i;
  return line;
}

class SecretsAudit : public JanusStreamingTest {
 protected:
  void TearDown() override {
    serve.reset();
    JanusStreamingTest::TearDown();
  }

  // Aside, while this test's context runs: the RTSP camera lives on that context.
  HttpReply request(const std::string& method, const std::string& path,
                    const std::optional<std::string>& body = {}) {
    HttpReply reply =
        httpRequestAside([this](auto until, auto timeout) { return runUntil(until, timeout); },
                         method, scheme + "://127.0.0.1:" + std::to_string(port) + path, body,
                         kToken, testDataPath("tls/ca.pem"));
    responses += "--- " + method + " " + path + "\n" + reply.body + "\n";
    return reply;
  }

  // Every secret of the run, with where it was found.
  std::vector<std::string> leaks(const std::string& where, const std::string& text) const {
    std::vector<std::string> found;
    for (const std::string& secret : secrets) {
      if (text.find(secret) != std::string::npos) found.push_back(secret + " in " + where);
    }
    return found;
  }

  // A URL's user name identifies and is shown (the password next to it is masked).
  std::vector<std::string> secrets{kMountSecret, kMountPin, kRtspPassword,  kUrlPassword,
                                   kStreamKey,   kToken,    kRedisPassword, kJobSecret};
  std::unique_ptr<ServiceProcess> serve;
  std::uint16_t port = 0;
  std::string scheme = "https";
  std::string responses;
};

TEST_F(SecretsAudit, NoSecretReachesLogsDotFilesMetricsResponsesOrRedis) {
  auto redis = RedisServer::start({.password = kRedisPassword, .tls = true});
  ASSERT_TRUE(redis);
  for (const char* key : {"tls/server.key", "tls/client.key"})
    secrets.push_back(keyLine(testDataPath(key)));
  auto camera = RtspTestServer::start(context(), {.user = "viewer", .password = kRtspPassword});
  ASSERT_TRUE(camera);
  const std::string clusterKey = *cluster::ClusterKey::generate();
  secrets.push_back(clusterKey);
  secrets.push_back(janus->streamingAdminKey());
  TempFile keyFile(clusterKey + "\n");
  TempFile tokenFile(std::string(kToken) + "\n");

  port = freeTcpPort();
  const std::string redisBase = redis->serverUrl();  // rediss://:PASSWORD@...?tls_ca=...
  serve = std::make_unique<ServiceProcess>("serve");
  const std::string dots = serve->dir() + "/dots";
  std::filesystem::create_directories(dots);
  serve->setEnvironment(
      {{"GST_DEBUG", gstDebug()}, {"G_MESSAGES_DEBUG", "all"}, {"GST_DEBUG_DUMP_DOT_DIR", dots}});
  ASSERT_TRUE(serve->start({cliPath(),
                            "serve",
                            "--listen",
                            "127.0.0.1:" + std::to_string(port),
                            "--janus-url",
                            janus->url(),
                            "--admin-key",
                            janus->streamingAdminKey(),
                            "--token-file",
                            tokenFile.path(),
                            "--local-janus",
                            "false",
                            "--tls-certificate",
                            testDataPath("tls/server.pem"),
                            "--tls-key",
                            testDataPath("tls/server.key"),
                            "--queue",
                            redis->url("audit-jobs", "audit"),
                            "--cluster",
                            redisBase,
                            "--cluster-name",
                            "audit",
                            "--cluster-key-file",
                            keyFile.path(),
                            "--node-id",
                            "audit-node"},
                           port, 30s))
      << serve->logTail();
  // Ready: Janus and Redis reached, the cluster joined (a start before that is refused).
  ASSERT_TRUE(runUntil([&] { return request("GET", "/readyz").status == 200; }, 30s))
      << serve->logTail();

  const std::string media =
      R"("media":[{"type":"audio","codec":"opus"},{"type":"video","codec":"h264"}])";
  // A test pattern on a mountpoint with a secret and a PIN.
  EXPECT_EQ(
      request("POST", "/v1/broadcasts",
              R"({"source_kind":"test_pattern","broadcast_id":"pattern","mountpoint_spec":)"
              R"({"id":8201,"secret":")" +
                  std::string(kMountSecret) + R"(","pin":")" + kMountPin + R"(",)" + media + "}}")
          .status,
      201)
      << responses << serve->logTail();
  // An RTSP camera with its password.
  EXPECT_EQ(
      request("POST", "/v1/broadcasts",
              R"({"source_kind":"rtsp_camera","broadcast_id":"camera","rtsp_camera":{"url":")" +
                  camera->url() + R"(","username":"viewer","password":")" + kRtspPassword +
                  R"("},"mountpoint_spec":{"id":8202,"media":[{"type":"video","codec":"h264"}]}})")
          .status,
      201)
      << responses << serve->logTail();
  // An RTMP source nobody publishes (the relay retries): a user, a password and a stream key in
  // its URL, quoted by every error it meets.
  request("POST", "/v1/broadcasts",
          R"({"source_kind":"rtmp_external","broadcast_id":"rtmp","srs":{"publish_url":"rtmp://)" +
              std::string(kUrlUser) + ":" + kUrlPassword +
              "@127.0.0.1:" + std::to_string(freeTcpPort()) + "/live/" + kStreamKey +
              R"("},"mountpoint_spec":{"id":8203,)" + media + "}}");
  // A job through the queue, its mountpoint with a secret.
  EXPECT_EQ(request("POST", "/v1/jobs",
                    R"({"action":"start_broadcast","request":{"source_kind":"test_pattern",)"
                    R"("broadcast_id":"job","mountpoint_spec":{"id":8204,"secret":")" +
                        std::string(kJobSecret) + R"(",)" + media + "}}}")
                .status,
            202)
      << responses;

  EXPECT_TRUE(mediaFresh(*streaming, 8201, 2, 30s)) << serve->logTail();
  EXPECT_TRUE(mediaFresh(*streaming, 8202, 1, 30s)) << serve->logTail();
  EXPECT_TRUE(runUntil(
      [&] {
        return request("GET", "/v1/broadcasts/job").body.find("running") != std::string::npos;
      },
      30s));
  runFor(2s);  // the RTMP relay fails and retries meanwhile
  for (const char* path :
       {"/v1/broadcasts", "/v1/broadcasts/pattern", "/v1/broadcasts/camera", "/v1/broadcasts/rtmp",
        "/v1/broadcasts/job", "/metrics", "/healthz", "/readyz", "/availability", "/v1/cluster"}) {
    request("GET", path);
  }
  for (const char* id : {"pattern", "camera", "rtmp", "job"})
    request("DELETE", std::string("/v1/broadcasts/") + id);
  EXPECT_TRUE(runUntil([&] { return mountpointIds(*streaming).empty(); }, 20s));
  EXPECT_EQ(serve->interrupt(20s, SIGTERM), 0) << serve->logTail();

  std::vector<std::string> found;
  auto add = [&](std::vector<std::string> more) {
    found.insert(found.end(), more.begin(), more.end());
  };
  const std::string log = readFile(serve->dir() + "/serve.log");
  EXPECT_GT(log.size(), 1u << 20) << "GST_DEBUG=" << gstDebug() << " should have logged much more";
  add(leaks("serve's stdout and stderr", log));
  std::size_t dotFiles = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dots)) {
    ++dotFiles;
    add(leaks("dot file " + entry.path().filename().string(), readFile(entry.path().string())));
  }
  add(leaks("the API's responses", responses));
  // What serve wrote to Redis: the cluster's records and control stream, dead letters. The job
  // stream holds the job as its producer wrote it (here: the test, through POST /v1/jobs).
  std::string stored;
  std::istringstream keys(redis->cli({"--scan"}));
  for (std::string key; std::getline(keys, key);) {
    if (key.empty() || key == "audit-jobs") continue;
    const std::string type = redis->cli({"TYPE", key});
    if (type.starts_with("stream")) stored += redis->cli({"XRANGE", key, "-", "+"});
    if (type.starts_with("hash")) stored += redis->cli({"HGETALL", key});
    if (type.starts_with("string")) stored += redis->cli({"GET", key});
    if (type.starts_with("set")) stored += redis->cli({"SMEMBERS", key});
    if (type.starts_with("zset")) stored += redis->cli({"ZRANGE", key, "0", "-1"});
    if (type.starts_with("list")) stored += redis->cli({"LRANGE", key, "0", "-1"});
    stored += key + "\n";
  }
  EXPECT_NE(stored.find("audit"), std::string::npos) << "the cluster wrote nothing to Redis?";
  add(leaks("Redis", stored));
  std::cout << "audited: " << log.size() / (1 << 20) << " MiB of logs, " << dotFiles
            << " dot files, " << responses.size() << " bytes of API responses, " << stored.size()
            << " bytes of Redis entries\n";
  EXPECT_TRUE(found.empty()) << [&] {
    std::string all;
    for (const std::string& leak : found)
      all += leak + "\n";
    return all;
  }();
}

TEST_F(SecretsAudit, KafkaPasswordsStayMaskedWhenEveryLoginIsRefused) {
  auto kafka = KafkaMock::start({"audit-jobs:1", "audit-jobs.dead:1"});
  ASSERT_TRUE(kafka);
  TempFile config(std::string("[kafka]\nsecurity.protocol = SASL_PLAINTEXT\n") +
                  "sasl.mechanisms = PLAIN\nsasl.username = ingest\nsasl.password = " +
                  kSaslPassword + "\nssl.key.password = " + kKeyPassphrase + "\n");
  ProcessRun check = runCli({"serve", "--config", config.path(), "--check-config"});
  EXPECT_EQ(check.status, 0) << check.err;
  EXPECT_NE(check.out.find(R"("sasl.password" : "***")"), std::string::npos) << check.out;
  EXPECT_NE(check.out.find(R"("sasl.mechanisms" : "PLAIN")"), std::string::npos) << check.out;

  scheme = "http";
  port = freeTcpPort();
  serve = std::make_unique<ServiceProcess>("serve");
  serve->setEnvironment({{"GST_DEBUG", gstDebug()}, {"G_MESSAGES_DEBUG", "all"}});
  // The URL carries a password of its own too.
  const std::string queue = kafka->url("audit-jobs", "audit") + "&sasl.password=" + kSaslPassword;
  ASSERT_TRUE(serve->start({cliPath(), "serve", "--config", config.path(), "--listen",
                            "127.0.0.1:" + std::to_string(port), "--janus-url", janus->url(),
                            "--local-janus", "false", "--queue", queue},
                           port, 30s))
      << serve->logTail();
  // The queue opens once Janus is connected.
  ASSERT_TRUE(runUntil([&] { return request("GET", "/readyz").status == 200; }, 30s));
  const HttpReply refused =
      request("POST", "/v1/jobs", R"({"action":"stop_broadcast","broadcast_id":"nope"})");
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_NE(refused.body.find("SASL"), std::string::npos) << refused.body;
  request("GET", "/metrics");
  EXPECT_EQ(serve->interrupt(20s, SIGTERM), 0) << serve->logTail();

  const std::string log = readFile(serve->dir() + "/serve.log");
  std::vector<std::string> found;
  for (const std::string& secret : {std::string(kSaslPassword), std::string(kKeyPassphrase)}) {
    for (const auto& [where, text] : {std::pair{"the log", log}, std::pair{"responses", responses},
                                      std::pair{"--check-config", check.out + check.err}}) {
      if (text.find(secret) != std::string::npos) found.push_back(secret + " in " + where);
    }
  }
  EXPECT_TRUE(found.empty()) << found.front();
}

}  // namespace
}  // namespace su::test
