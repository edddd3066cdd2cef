// The fault suite: faults staged against real servers (Janus, nginx-rtmp, OBS, Redis, Kafka's mock
// cluster) around `streaming-utils serve` (processes driven over their HTTP API, as on ingest
// nodes; two of them for the faults a second node answers), each measured: how long until the
// service said so (detected), how long from the repair until media was fresh in Janus again
// (recovered), what was lost (must be nothing) and what was left in Janus once the broadcasts were
// stopped (must be nothing). The figures make the table of docs/faults.md: `scripts/faults-table`
// runs this suite with SU_FAULTS_TABLE=docs/faults.md; every run prints the table.
#include <gtest/gtest.h>
#include <libsoup/soup.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "cluster/cluster_key.hpp"
#include "json/parse.hpp"
#include "json/reader.hpp"
#include "queue/kafka_queue.hpp"
#include "support/http_client.hpp"
#include "support/janus_test.hpp"
#include "support/kafka_mock.hpp"
#include "support/obs_server.hpp"
#include "support/process.hpp"
#include "support/redis_server.hpp"
#include "support/rtmp_server.hpp"
#include "support/service_process.hpp"
#include "support/tcp_proxy.hpp"

namespace su::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// serve's limit in the descriptors fault: room for a few broadcasts, not for thirty.
constexpr int kFewDescriptorsLimit = 128;

// The faults this suite stages, in the table's order; docs/faults.md must list each. Each is to be
// detected and recovered from within its bound: the figure of a recorded run (docs/faults.md)
// plus the larger of 1.5 s and half of it, rounded up to half a second. Stretched by the time
// scale where everything is slower (the sanitizers): bounds for that build, not figures of it.
struct Fault {
  const char* name;
  std::chrono::milliseconds detectWithin;
  std::chrono::milliseconds recoverWithin;

  std::chrono::milliseconds detectBound() const { return detectWithin * timeScale(); }
  std::chrono::milliseconds recoverBound() const { return recoverWithin * timeScale(); }
};
constexpr Fault kSourceFrozen{"The source freezes (SIGSTOP of the publisher), then thaws", 4000ms,
                              3000ms};
constexpr Fault kSourceDies{"The source dies, then a new one publishes", 4000ms, 3000ms};
constexpr Fault kJanusKilled{"Janus SIGKILLed, then restarted", 2000ms, 2000ms};
constexpr Fault kNetworkCut{"The network to Janus cut, then restored", 2000ms, 3000ms};
constexpr Fault kRedisRestarted{"Redis (the job queue) SIGKILLed, then restarted", 2000ms, 2000ms};
constexpr Fault kKafkaDown{"Every Kafka broker down, then back", 10000ms, 5500ms};
constexpr Fault kHolderKilled{"A node SIGKILLed while it holds a start job", 6000ms, 2000ms};
constexpr Fault kClusterNodeKilled{"A cluster node SIGKILLed with a broadcast running", 3000ms,
                                   3000ms};
constexpr Fault kFewDescriptors{"Too few file descriptors (`ulimit -n`)", 2000ms, 2500ms};
constexpr Fault kObsKilled{"OBS SIGKILLed during an `obs` broadcast, then restarted", 4000ms,
                           3000ms};
constexpr Fault kDiskFull{"The disk under logs and dot files full, the RTMP server killed", 2000ms,
                          3000ms};
constexpr const Fault* kFaults[] = {&kSourceFrozen, &kSourceDies,        &kJanusKilled,
                                    &kNetworkCut,   &kRedisRestarted,    &kKafkaDown,
                                    &kHolderKilled, &kClusterNodeKilled, &kFewDescriptors,
                                    &kObsKilled,    &kDiskFull};

struct Figures {
  const Fault* fault;
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
    table << "| Fault | Detected by | Detected after (bound) | Recovered after (bound) | Lost | "
             "Left in Janus |\n"
          << "|---|---|---|---|---|---|\n";
    for (const Fault* fault : kFaults) {
      for (const Figures& row : rows_) {
        if (row.fault != fault) continue;
        table << "| " << fault->name << " | " << row.detectedBy << " | "
              << milliseconds(row.detected) << " (" << fault->detectBound().count() << ") | "
              << milliseconds(row.recovered) << " (" << fault->recoverBound().count() << ") | "
              << row.lost << " | " << row.leftInJanus << " |\n";
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
    nodes.clear();
    kafka.reset();
    redis.reset();
    JanusStreamingTest::TearDown();
  }

  // A `serve` process: its name among `nodes` and its API's port.
  struct Node {
    std::unique_ptr<ServiceProcess> process;
    std::uint16_t port = 0;
  };
  struct ServeSetup {
    std::optional<std::string> janusUrl;  // this test's Janus by default
    std::vector<std::string> flags;       // more of serve's flags
    std::vector<std::string> launcher;    // what runs serve (prlimit...)
  };

  // `serve` named `name`, with a token, until its /healthz answers 200.
  void startServe(ServeSetup setup = {}, const std::string& name = kFirst) {
    Node& node = nodes[name];
    node.port = freeTcpPort();
    node.process = std::make_unique<ServiceProcess>(name);
    std::vector<std::string> argv = setup.launcher;
    argv.insert(
        argv.end(),
        {cliPath(), "serve", "--listen", "127.0.0.1:" + std::to_string(node.port), "--janus-url",
         setup.janusUrl.value_or(janus->url()), "--admin-key", janus->streamingAdminKey(),
         "--token-file", tokenFile.path(), "--local-janus", "false"});
    argv.insert(argv.end(), setup.flags.begin(), setup.flags.end());
    ASSERT_TRUE(node.process->start(argv, node.port)) << logs();
    ASSERT_TRUE(runUntil([&] { return healthy(name); }, 10s)) << logs();
  }

  // Aside, while this test's context runs: the TCP proxy in front of Janus lives on that context,
  // and a start waits for Janus through it.
  HttpReply request(const std::string& method, const std::string& path,
                    const std::optional<std::string>& body = {}, const std::string& node = kFirst) {
    return httpRequestAside([this](auto until, auto timeout) { return runUntil(until, timeout); },
                            method, "http://127.0.0.1:" + std::to_string(nodes[node].port) + path,
                            body, "fault-token");
  }
  bool healthy(const std::string& node = kFirst) {
    return request("GET", "/healthz", {}, node).status == 200;
  }
  // One part's state in /healthz ("up", "down"...).
  std::string healthOf(const std::string& part, const std::string& node = kFirst) {
    auto parsed = json::parse(request("GET", "/healthz", {}, node).body);
    json::Diagnostics ignored;
    auto health = parsed ? json::ObjectReader::fromNode(parsed->get(), "", ignored) : std::nullopt;
    return health ? health->string(part.c_str()).value_or("") : "";
  }

  void startBroadcast(const std::string& json, const std::string& node = kFirst) {
    const HttpReply started = request("POST", "/v1/broadcasts", json, node);
    ASSERT_EQ(started.status, 201) << started.body << "\n" << logs();
  }
  // A start job onto `queue`, as a producer would.
  void enqueue(const std::string& queue, const std::string& json) {
    TempFile file(json);
    const ProcessRun run = runCli({"enqueue", "--queue", queue, file.path()});
    ASSERT_EQ(run.status, 0) << run.err;
  }

  struct Shown {
    std::string state;
    std::int64_t restarts = 0;  // the relay's
    std::string lastError;      // the relay's
  };
  // The broadcast's result, read again.
  Shown stateOf(const std::string& id, const std::string& node = kFirst) {
    const HttpReply shown = request("GET", "/v1/broadcasts/" + id, {}, node);
    auto parsed = json::parse(shown.body);
    if (shown.status != 200 || !parsed)
      return {"unknown (HTTP " + std::to_string(shown.status) + ")"};
    json::Diagnostics ignored;
    auto result = json::ObjectReader::fromNode(parsed->get(), "", ignored);
    auto relay = result ? result->object("relay_info") : std::nullopt;
    return {result ? result->string("state").value_or("?") : "?",
            relay ? relay->integer("restarts").value_or(0) : 0,
            relay ? relay->string("last_error").value_or("") : ""};
  }
  // Whether `node` itself runs `id` (in a cluster, any node answers for any broadcast; the list
  // holds only the node's own).
  bool runsHere(const std::string& id, const std::string& node) {
    const HttpReply listed = request("GET", "/v1/broadcasts", {}, node);
    return listed.status == 200 &&
           listed.body.find("\"broadcast_id\":\"" + id + "\"") != std::string::npos;
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

  // Waits until /healthz says `part` is `state`: the time from `since`.
  void awaitHealth(const std::string& part, const std::string& state, Clock::time_point since,
                   Figures& figures, std::chrono::milliseconds timeout = 20s) {
    if (runUntil([&] { return healthOf(part) == state; }, timeout)) {
      figures.detected = elapsed(since);
    }
    figures.detectedBy = "/healthz: " + part + " " + state + " (503)";
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

  // Nothing lost: every broadcast runs (the API says so; one started at the repair may still be
  // confirming its media).
  std::string lostOf(const std::vector<std::string>& ids, const std::string& node) {
    std::string lost;
    for (const std::string& id : ids) {
      std::string state;
      runUntil(
          [&] {
            state = stateOf(id, node).state;
            return state != "starting";
          },
          20s);
      if (state != "running") lost += (lost.empty() ? "" : ", ") + id + " is " + state;
    }
    return lost.empty() ? "nothing" : lost;
  }

  // Stops the broadcasts through the API; what Janus still lists afterwards.
  std::string stopAndList(const std::vector<std::string>& ids, const std::string& node) {
    for (const std::string& id : ids) {
      const HttpReply stopped = request("DELETE", "/v1/broadcasts/" + id, {}, node);
      EXPECT_EQ(stopped.status, 202) << stopped.body;
      EXPECT_TRUE(runUntil([&] { return stateOf(id, node).state == "stopped"; }, 20s)) << logs();
    }
    std::vector<std::int64_t> left;
    runUntil(
        [&] {
          left = mountpointIds(*streaming);
          return left.empty();
        },
        10s);
    if (left.empty()) return "nothing";
    std::string listed = "mountpoints";
    for (std::int64_t mountpoint : left)
      listed += " " + std::to_string(mountpoint);
    return listed;
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

  struct QueueOutage {
    const Fault* fault;
    std::string queue;
    std::string ids;          // the broadcasts' ids: IDS-1, IDS-2
    std::int64_t mountpoint;  // the first's; the second's is the next
    std::function<void()> outage;
    std::function<void()> repair;
    std::chrono::milliseconds firstWithin = 30s;  // the first broadcast's media
    std::chrono::milliseconds detectWithin = 20s;
    std::chrono::milliseconds downFor{0};  // after the service said so
    std::function<void()> whileDown;       // checks during the outage, after downFor
  };
  // serve consuming `queue` runs a job's broadcast; the outage must show in /healthz ("queue":
  // "down"); after the repair the next job's broadcast must run (its fresh media: the recovery).
  void queueOutage(const QueueOutage& outage) {
    startServe({.flags = {"--queue", outage.queue}});
    if (HasFatalFailure()) return;
    const std::string first = outage.ids + "-1", second = outage.ids + "-2";
    enqueue(outage.queue, patternRequest(first, outage.mountpoint));
    ASSERT_TRUE(mediaFresh(*streaming, outage.mountpoint, 2, outage.firstWithin)) << logs();

    Figures figures{.fault = outage.fault};
    const auto broken = Clock::now();
    outage.outage();
    awaitHealth("queue", "down", broken, figures, outage.detectWithin);
    runFor(outage.downFor);
    if (outage.whileDown) outage.whileDown();
    const auto repaired = Clock::now();
    outage.repair();
    if (HasFatalFailure()) return;
    enqueue(outage.queue, patternRequest(second, outage.mountpoint + 1));
    figures.recovered = freshAfter(repaired, outage.mountpoint + 1);
    finish({first, second}, std::move(figures));
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
    ASSERT_TRUE(mediaFresh(*streaming, mountpoint, 2, 30s)) << logs();
  }

  // serve, and a test pattern into `mountpoint` until its media is fresh in Janus.
  void relayPattern(const std::string& id, std::int64_t mountpoint, ServeSetup setup = {}) {
    startServe(std::move(setup));
    if (HasFatalFailure()) return;
    startBroadcast(patternRequest(id, mountpoint));
    if (HasFatalFailure()) return;
    ASSERT_TRUE(mediaFresh(*streaming, mountpoint, 2, 30s)) << logs();
  }

  // After the recovery: what was lost, what Janus still lists once the broadcasts are stopped
  // (through `node`), and the row.
  void finish(const std::vector<std::string>& ids, Figures figures,
              const std::string& node = kFirst) {
    figures.lost = lostOf(ids, node);
    figures.leftInJanus = stopAndList(ids, node);
    record(std::move(figures));
  }

  // Checks the figures against the fault's bounds, then drains every node still running with
  // SIGTERM, as a service manager stops it: each must exit 0.
  void record(Figures figures) {
    const char* name = figures.fault->name;
    EXPECT_TRUE(figures.detected) << name << ": never detected\n" << logs();
    EXPECT_TRUE(figures.recovered) << name << ": never recovered\n" << logs();
    if (figures.detected) {
      EXPECT_LE(*figures.detected, figures.fault->detectBound()) << name << ": detected late";
    }
    if (figures.recovered) {
      EXPECT_LE(*figures.recovered, figures.fault->recoverBound()) << name << ": recovered late";
    }
    EXPECT_EQ(figures.lost, "nothing") << name;
    EXPECT_EQ(figures.leftInJanus, "nothing") << name;
    faultTable->add(std::move(figures));
    for (auto& [node, serve] : nodes) {
      if (!serve.process || !serve.process->running()) continue;
      EXPECT_EQ(serve.process->interrupt(30s, SIGTERM), 0)
          << name << ": " << node << " did not drain cleanly\n"
          << logs();
    }
  }

  std::string logs() const {
    std::string all;
    for (const auto& [name, node] : nodes)
      all += "--- " + name + "\n" + (node.process ? node.process->logTail() : "");
    return all;
  }

  static constexpr const char* kFirst = "serve";
  TempFile tokenFile{"fault-token\n"};
  std::unique_ptr<RtmpServer> rtmp;
  std::unique_ptr<RtmpPublisher> publisher;
  std::unique_ptr<RedisServer> redis;
  std::unique_ptr<KafkaMock> kafka;
  std::map<std::string, Node> nodes;
};

// The relay's stall watchdog (stall_timeout_ms 2000) restarts the relay; once the encoder goes
// on, the restarted relay reads it again.
TEST_F(FaultTest, TheSourceFreezesThenThaws) {
  relayRtmp("frozen", 8101);
  if (HasFatalFailure()) return;
  const std::int64_t restartsBefore = stateOf("frozen").restarts;

  Figures figures{.fault = &kSourceFrozen};
  const auto frozen = Clock::now();
  publisher->freeze();
  awaitRestart("frozen", restartsBefore, frozen, figures);
  const auto thawed = Clock::now();
  publisher->thaw();
  figures.recovered = freshAfter(thawed, 8101);
  finish({"frozen"}, std::move(figures));
}

TEST_F(FaultTest, TheSourceDiesThenANewOnePublishes) {
  relayRtmp("dies", 8102);
  if (HasFatalFailure()) return;
  const std::int64_t restartsBefore = stateOf("dies").restarts;

  Figures figures{.fault = &kSourceDies};
  const auto died = Clock::now();
  publisher.reset();  // killed
  awaitRestart("dies", restartsBefore, died, figures);
  const auto returned = Clock::now();
  publisher = RtmpPublisher::start(rtmp->url("dies"));
  ASSERT_TRUE(publisher);
  figures.recovered = freshAfter(returned, 8102);
  finish({"dies"}, std::move(figures));
}

// Janus forgets everything; the service reconnects and provisions the mountpoint again.
TEST_F(FaultTest, JanusIsKilledThenRestarted) {
  relayPattern("janus-killed", 8103);
  if (HasFatalFailure()) return;

  Figures figures{.fault = &kJanusKilled, .detectedBy = "/healthz: janus down (503)"};
  const auto killed = Clock::now();
  janus->kill();
  if (runUntil([&] { return !healthy(); }, 20s)) figures.detected = elapsed(killed);
  const auto restarted = Clock::now();
  ASSERT_TRUE(janus->restart()) << janus->logTail();
  figures.recovered = freshAfter(restarted, 8103);
  finish({"janus-killed"}, std::move(figures));
}

// The WebSocket to Janus goes through a proxy that drops every connection and refuses new ones
// for two seconds. RTP goes to Janus directly: media never stops.
TEST_F(FaultTest, TheNetworkToJanusIsCutThenRestored) {
  const std::string url = janus->url();
  const auto janusPort = static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
  TcpProxy proxy(janusPort);
  relayPattern("cut", 8104, {.janusUrl = "ws://127.0.0.1:" + std::to_string(proxy.port())});
  if (HasFatalFailure()) return;

  Figures figures{.fault = &kNetworkCut, .detectedBy = "/healthz: janus down (503)"};
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
  finish({"cut"}, std::move(figures));
}

// The queue's Redis goes (persistent, as in production: what it acknowledged survives). The
// broadcast does not depend on it; the worker reports the queue down and reconnects by itself;
// the next job, enqueued as Redis is back, runs.
TEST_F(FaultTest, RedisIsKilledThenRestarted) {
  redis = RedisServer::start({.persistent = true});
  ASSERT_TRUE(redis);
  queueOutage({.fault = &kRedisRestarted,
               .queue = redis->url("fault-jobs"),
               .ids = "redis",
               .mountpoint = 8105,
               .outage = [&] { redis->kill(); },
               .repair = [&] { ASSERT_TRUE(redis->restart()) << redis->logTail(); }});
}

// The job queue on Kafka (librdkafka's mock cluster): every broker refuses connections for two
// seconds. The consumer reports the queue down; once the brokers are back, the next job runs.
TEST_F(FaultTest, EveryKafkaBrokerGoesDownThenComesBack) {
  kafka = KafkaMock::start({"fault-jobs:1", "fault-jobs.dead:1"});
  ASSERT_TRUE(kafka);
  queueOutage({.fault = &kKafkaDown,
               .queue = kafka->url("fault-jobs", "ingest") + "&visibility_ms=6000",
               .ids = "kafka",
               .mountpoint = 8109,
               .outage = [&] { kafka->brokersDown(); },
               .repair = [&] { kafka->brokersUp(); },
               .firstWithin = 60s,  // the group's first join
               .detectWithin = 30s,
               .downFor = 2s,
               // A job posted meanwhile is refused within the delivery timeout (librdkafka's
               // default would hold the client 300 s).
               .whileDown =
                   [&] {
                     const auto posted = Clock::now();
                     const HttpReply refused =
                         request("POST", "/v1/jobs",
                                 R"({"action":"stop_broadcast","broadcast_id":"nope"})");
                     EXPECT_EQ(refused.status, 503) << refused.body;
                     EXPECT_NE(refused.body.find("Kafka did not take the job"), std::string::npos)
                         << refused.body;
                     EXPECT_LT(elapsed(posted), queue::kKafkaDeliveryTimeout + 2s);
                   }});
}

// A node takes a start job whose source is not publishing yet (it waits for media, the job
// unacknowledged, its mountpoint made) and is SIGKILLed. Another node of the consumer group
// claims the job once its visibility timeout (3 s) passes and takes the mountpoint over; the
// source then publishes.
TEST_F(FaultTest, ANodeIsKilledWhileItHoldsAStartJob) {
  redis = RedisServer::start();
  ASSERT_TRUE(redis);
  rtmp = RtmpServer::start();
  ASSERT_TRUE(rtmp);
  const std::string queue = redis->url("held-jobs") + "&visibility_ms=3000";
  startServe({.flags = {"--queue", queue, "--consumer", "doomed"}}, "doomed");
  if (HasFatalFailure()) return;
  // The stream key is a secret: were it the broadcast's id, results would mask the id too.
  enqueue(queue, rtmpRequest("held", 8107, rtmp->url("held-key")));
  ASSERT_TRUE(runUntil([&] { return !mountpointIds(*streaming).empty(); }, 20s)) << logs();
  startServe({.flags = {"--queue", queue, "--consumer", "rescuer"}}, "rescuer");
  if (HasFatalFailure()) return;

  Figures figures{.fault = &kHolderKilled, .detectedBy = "the job claimed by another node"};
  const auto killed = Clock::now();
  nodes["doomed"].process->kill();
  if (runUntil([&] { return runsHere("held", "rescuer"); }, 30s)) {
    figures.detected = elapsed(killed);
  }
  const auto published = Clock::now();
  publisher = RtmpPublisher::start(rtmp->url("held-key"));
  ASSERT_TRUE(publisher);
  figures.recovered = freshAfter(published, 8107);
  finish({"held"}, std::move(figures), "rescuer");
}

// Two nodes of a cluster (lease 1500 ms); the one that runs the broadcast is SIGKILLed. The other
// adopts it once the lease runs out, on the same mountpoint. Nothing is repaired: recovery is
// counted from the kill.
TEST_F(FaultTest, AClusterNodeIsKilledWithABroadcastRunning) {
  redis = RedisServer::start();
  ASSERT_TRUE(redis);
  const TempFile key(*cluster::ClusterKey::generate() + "\n");
  const std::string redisUrl = "redis://127.0.0.1:" + std::to_string(redis->port()) + "/0";
  auto member = [&](const std::string& id) {
    return ServeSetup{.flags = {"--queue", redisUrl + "?stream=fault-cluster&group=ingest",
                                "--consumer", id, "--cluster", redisUrl, "--cluster-name", "faults",
                                "--cluster-key-file", key.path(), "--node-id", id, "--lease-ms",
                                "1500"}};
  };
  startServe(member("node-a"), "node-a");
  if (HasFatalFailure()) return;
  startBroadcast(patternRequest("adopted", 8108), "node-a");
  if (HasFatalFailure()) return;
  startServe(member("node-b"), "node-b");
  if (HasFatalFailure()) return;
  ASSERT_TRUE(mediaFresh(*streaming, 8108, 2, 30s)) << logs();

  Figures figures{.fault = &kClusterNodeKilled, .detectedBy = "adopted by the other node"};
  const auto killed = Clock::now();
  nodes["node-a"].process->kill();
  if (runUntil([&] { return runsHere("adopted", "node-b"); }, 30s)) {
    figures.detected = elapsed(killed);
  }
  figures.recovered = freshAfter(killed, 8108);
  finish({"adopted"}, std::move(figures), "node-b");
}

// serve with few file descriptors: broadcasts are started until one is refused. The refusal must
// be a clear error (HTTP 503 naming file descriptors), the running broadcasts untouched; once one
// is stopped, a new one starts.
TEST_F(FaultTest, TooFewFileDescriptorsRefuseTheNextBroadcastClearly) {
  startServe({.launcher = {"prlimit", "--nofile=" + std::to_string(kFewDescriptorsLimit), "--"}});
  if (HasFatalFailure()) return;
  std::vector<std::string> running;
  Figures figures{.fault = &kFewDescriptors};
  HttpReply refused;
  for (int i = 0; i < 30 && !figures.detected; ++i) {
    const std::string id = "fd-" + std::to_string(i);
    const auto asked = Clock::now();
    const HttpReply started = request("POST", "/v1/broadcasts", patternRequest(id, 8120 + i));
    if (started.status == 201) {
      running.push_back(id);
    } else {
      figures.detected = elapsed(asked);
      refused = started;
    }
  }
  ASSERT_TRUE(figures.detected) << "30 broadcasts on " << kFewDescriptorsLimit << " descriptors";
  ASSERT_FALSE(running.empty()) << refused.body << "\n" << logs();
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_NE(refused.body.find("file descriptors"), std::string::npos) << refused.body;
  auto parsed = json::parse(refused.body);
  json::Diagnostics ignored;
  auto error = parsed ? json::ObjectReader::fromNode(parsed->get(), "", ignored) : std::nullopt;
  auto detail = error ? error->object("error") : std::nullopt;
  figures.detectedBy = "after " + std::to_string(running.size()) +
                       " broadcasts, the next refused (" + std::to_string(refused.status) +
                       "): \"" + (detail ? detail->string("message").value_or("") : "") + "\"";
  ASSERT_TRUE(healthy()) << logs();

  // The repair: one broadcast stopped.
  const std::string stopped = running.back();
  running.pop_back();
  const auto repaired = Clock::now();
  ASSERT_EQ(request("DELETE", "/v1/broadcasts/" + stopped).status, 202);
  ASSERT_TRUE(runUntil([&] { return stateOf(stopped).state == "stopped"; }, 20s)) << logs();
  const std::int64_t next = 8150;
  startBroadcast(patternRequest("fd-next", next));
  running.push_back("fd-next");
  figures.recovered = freshAfter(repaired, next);
  finish(running, std::move(figures));
}

// OBS streams to nginx-rtmp, the relay reads it from there. OBS dies: the relay's stall watchdog
// restarts it. OBS comes back (it does not stream until told): the broadcast, whose OBS client
// reconnects, tells it again where to stream and to stream.
TEST_F(FaultTest, ObsIsKilledThenRestartedDuringAnObsBroadcast) {
  auto studio = ObsServer::start();
  ASSERT_TRUE(studio);
  rtmp = RtmpServer::start();
  ASSERT_TRUE(rtmp);
  startServe();
  if (HasFatalFailure()) return;
  startBroadcast(R"({"source_kind":"obs","broadcast_id":"studio","stall_timeout_ms":2000,)"
                 R"("obs_port":)" +
                 std::to_string(studio->port()) + R"(,"obs_password":")" + studio->password() +
                 R"(","srs":{"rtmp_url":"rtmp://127.0.0.1:)" + std::to_string(rtmp->port()) +
                 R"(","app":"live","stream_key":"studio-key"},"mountpoint_spec":{"id":8112,)"
                 R"("media":[{"type":"audio","codec":"opus"},{"type":"video","codec":"h264"}]}})");
  if (HasFatalFailure()) return;
  ASSERT_TRUE(mediaFresh(*streaming, 8112, 2, 30s)) << logs();
  const std::int64_t restartsBefore = stateOf("studio").restarts;

  Figures figures{.fault = &kObsKilled};
  const auto killed = Clock::now();
  studio->kill();
  awaitRestart("studio", restartsBefore, killed, figures);
  const auto restarted = Clock::now();
  ASSERT_TRUE(studio->restart()) << studio->logTail();
  figures.recovered = freshAfter(restarted, 8112);
  finish({"studio"}, std::move(figures));
}

// A small tmpfs, mounted for the test and filled: every write to it fails with ENOSPC.
class FullDisk {
 public:
  FullDisk() {
    char dir[] = "/tmp/su-full-XXXXXX";
    if (!g_mkdtemp(dir)) return;
    path_ = dir;
    if (runCommand({"mount", "-t", "tmpfs", "-o", "size=256k", "su-full", path_}) != 0) return;
    mounted_ = true;
    std::ofstream filler(path_ + "/filler", std::ios::binary);
    const std::string block(4096, 'x');
    while (filler.write(block.data(), block.size())) {
    }
  }
  ~FullDisk() {
    if (mounted_) runCommand({"umount", "-l", path_});
    if (!path_.empty()) rmdir(path_.c_str());
  }
  bool mounted() const { return mounted_; }
  const std::string& path() const { return path_; }

 private:
  static int runCommand(const std::vector<std::string>& argv) {
    std::vector<const char*> args;
    for (const std::string& arg : argv)
      args.push_back(arg.c_str());
    args.push_back(nullptr);
    int status = -1;
    g_spawn_sync(nullptr, const_cast<char**>(args.data()), nullptr, G_SPAWN_SEARCH_PATH, nullptr,
                 nullptr, nullptr, nullptr, &status, nullptr);
    return status;
  }
  std::string path_;
  bool mounted_ = false;
};

// serve's output (its log, GStreamer's warnings) and its dot files (GST_DEBUG_DUMP_DOT_DIR, written
// on a relay's error) go to a full disk. The RTMP server dies under the relay — an error, a dot
// file, log lines, all failing to write — then comes back with its publisher.
TEST_F(FaultTest, TheDiskUnderLogsAndDotFilesIsFull) {
  if (getuid() != 0) GTEST_SKIP() << "mounting a small tmpfs needs root";
  FullDisk disk;
  ASSERT_TRUE(disk.mounted()) << "mount -t tmpfs failed";
  rtmp = RtmpServer::start();
  ASSERT_TRUE(rtmp);
  publisher = RtmpPublisher::start(rtmp->url("full-key"));
  ASSERT_TRUE(publisher);
  const std::string log = disk.path() + "/serve.log";
  startServe({.launcher = {"env", "GST_DEBUG_DUMP_DOT_DIR=" + disk.path(), "GST_DEBUG=3", "sh",
                           "-c", "exec \"$@\" >>" + log + " 2>&1", "sh"}});
  if (HasFatalFailure()) return;
  startBroadcast(rtmpRequest("full", 8111, rtmp->url("full-key")));
  if (HasFatalFailure()) return;
  ASSERT_TRUE(mediaFresh(*streaming, 8111, 2, 30s));
  const std::int64_t restartsBefore = stateOf("full").restarts;

  Figures figures{.fault = &kDiskFull};
  const auto killed = Clock::now();
  rtmp->kill();
  awaitRestart("full", restartsBefore, killed, figures);
  const auto restarted = Clock::now();
  ASSERT_TRUE(rtmp->restart());
  publisher = RtmpPublisher::start(rtmp->url("full-key"));
  ASSERT_TRUE(publisher);
  figures.recovered = freshAfter(restarted, 8111);
  EXPECT_TRUE(healthy()) << "serve answers on a full disk";
  // The error did reach the disk: GStreamer began its dot file there and could not write it.
  bool dotFile = false;
  if (GDir* dir = g_dir_open(disk.path().c_str(), 0, nullptr)) {
    while (const char* name = g_dir_read_name(dir))
      dotFile = dotFile || g_str_has_suffix(name, ".dot");
    g_dir_close(dir);
  }
  EXPECT_TRUE(dotFile) << "no dot file was attempted: the fault did not reach the disk";
  finish({"full"}, std::move(figures));
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
  for (const Fault* fault : kFaults)
    EXPECT_NE(text.str().find(std::string("| ") + fault->name + " |"), std::string::npos)
        << path << " has no row for \"" << fault->name << "\": run scripts/faults-table";
}

}  // namespace
}  // namespace su::test
