// `serve` nodes as one cluster, as processes on one Redis (their queue and their cluster store)
// and one real Janus: a start enqueued twice runs once; when the node that runs a broadcast is
// SIGKILLed, another adopts it on the same mountpoint and ports, Janus sees media again and a
// viewer who watched through it decodes again; a node drained with `drain = handover` hands its
// broadcast over the same way; a stop job then reaches the adopter and leaves Janus clean; three
// nodes with room for one broadcast each take one each, any node answers for any broadcast over
// HTTP and a DELETE sent to a node that does not run it stops it on its owner; a start posted
// to the HTTP API runs only where its broadcast is claimed. `cluster status` is what the test
// reads.
#include <gtest/gtest.h>
#include <libsoup/soup.h>

#include <csignal>
#include <set>

#include "cluster/cluster_key.hpp"
#include "json/parse.hpp"
#include "support/http_client.hpp"
#include "support/janus_test.hpp"
#include "support/kafka_mock.hpp"
#include "support/process.hpp"
#include "support/redis_server.hpp"
#include "support/service_process.hpp"

namespace su::test {
namespace {

using namespace std::chrono_literals;

// The nodes' lease: short, so that failover is quick to test, but 3 s (times the time scale):
// a loaded machine (a CI's other tests and builds) can hold a renewal past a shorter lease's
// fence, and the node that fences itself drops what the test watches. bench/cluster-gaps sets
// others.
std::string leaseMs() {
  const char* set = g_getenv("SU_CLUSTER_LEASE_MS");
  return set ? set : std::to_string(3000 * timeScale());
}

// One broadcast as `cluster status` shows it.
struct Owned {
  std::string node;
  std::string state;
  bool ownerAlive = false;
  std::string mountpoint;  // its JSON (id and ports)
};

class ClusterServeTest : public JanusStreamingTest {
 protected:
  void SetUp() override {
    JanusStreamingTest::SetUp();
    if (HasFatalFailure()) return;
    // Persistent: what it acknowledged survives a restart (the Redis restart test).
    useRedis({.persistent = true});
    keyFile = std::make_unique<TempFile>(*cluster::ClusterKey::generate() + "\n");
  }
  void TearDown() override {
    nodes.clear();
    kafka.reset();
    JanusStreamingTest::TearDown();
  }

  // The Redis the nodes share (a fresh one).
  void useRedis(RedisServer::Options options) {
    redis.reset();
    redis = RedisServer::start(options);
    ASSERT_TRUE(redis) << "redis-server did not start";
    redisUrl = redis->serverUrl();
  }

  ServiceProcess& startNode(const std::string& id, std::vector<std::string> extra = {}) {
    ServiceProcess& node = launchNode(id, id, std::move(extra));
    EXPECT_TRUE(
        runUntil([&] { return node.logTail().find("cluster: joined") != std::string::npos; }, 10s))
        << node.logTail();
    return node;
  }

  // A node serving on `name`'s port as node `id`, not waited for to join.
  ServiceProcess& launchNode(const std::string& name, const std::string& id,
                             std::vector<std::string> extra = {}) {
    const auto port = freeTcpPort();
    std::vector<std::string> argv{cliPath(),
                                  "serve",
                                  "--listen",
                                  "127.0.0.1:" + std::to_string(port),
                                  "--janus-url",
                                  janus->url(),
                                  "--admin-key",
                                  janus->streamingAdminKey(),
                                  "--local-janus",
                                  "false",
                                  "--queue",
                                  queueUrl(),
                                  "--consumer",
                                  id,
                                  "--cluster",
                                  redisUrl,
                                  "--cluster-name",
                                  "ct",
                                  "--cluster-key-file",
                                  keyFile->path(),
                                  "--node-id",
                                  id,
                                  "--lease-ms",
                                  leaseMs()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    ports[name] = port;
    auto& node = nodes[name];
    node = std::make_unique<ServiceProcess>("serve-" + name);
    EXPECT_TRUE(node->start(argv, port)) << node->logTail();
    return *node;
  }

  // The job queue: a Redis stream, unless a test sets a Kafka topic.
  std::string queueUrl() const {
    // A short visibility (Kafka's session timeout follows it): a rebalance as the second node
    // joins does not wait the default minute on a loaded machine.
    return kafka ? kafka->url("ct-jobs", "ingest") + "&visibility_ms=6000"
                 : redis->url("ct-jobs", "ingest");
  }

  void enqueue(const std::string& request) {
    TempFile file(request);
    ProcessRun run = runCli({"enqueue", "--queue", queueUrl(), file.path()});
    ASSERT_EQ(run.status, 0) << run.err;
  }

  void enqueueStop(const std::string& id) {
    ProcessRun run = runCli({"enqueue", "--queue", queueUrl(), "--stop", id});
    ASSERT_EQ(run.status, 0) << run.err;
  }

  std::optional<Owned> status(const std::string& id) {
    ProcessRun run = runCli({"cluster", "status", "--redis", redisUrl, "--name", "ct"});
    lastStatus =
        "--- cluster status: exit " + std::to_string(run.status) + "\n" + run.out + run.err;
    if (run.status != 0) return std::nullopt;
    auto parsed = json::parse(run.out);
    if (!parsed) return std::nullopt;
    JsonArray* broadcasts =
        json_object_get_array_member(json_node_get_object(parsed->get()), "broadcasts");
    for (guint i = 0; i < json_array_get_length(broadcasts); ++i) {
      JsonObject* entry = json_array_get_object_element(broadcasts, i);
      if (id != json_object_get_string_member(entry, "broadcast_id")) continue;
      return Owned{.node = json_object_get_string_member(entry, "node"),
                   .state = json_object_get_string_member(entry, "state"),
                   .ownerAlive = json_object_get_boolean_member(entry, "owner_alive") != FALSE,
                   .mountpoint = json::toString(json_object_get_member(entry, "mountpoint"))};
    }
    return std::nullopt;
  }

  // Waits until `id` runs, optionally on another node than `notOn`; its status then.
  std::optional<Owned> runningOn(const std::string& id, const std::string& notOn = {},
                                 std::chrono::milliseconds timeout = 30s) {
    std::optional<Owned> seen;
    runUntil(
        [&] {
          seen = status(id);
          return seen && seen->state == "running" && seen->ownerAlive && seen->node != notOn;
        },
        timeout);
    if (seen && seen->state == "running" && seen->node != notOn) return seen;
    return std::nullopt;
  }

  // From `since` until Janus saw the mountpoint's media fresh again (bench/cluster-gaps reads it).
  std::optional<long long> msUntilFresh(std::int64_t mountpoint,
                                        std::chrono::steady_clock::time_point since) {
    std::chrono::steady_clock::time_point fresh;
    if (!mediaFresh(*streaming, mountpoint, 2, 15s, &fresh)) return std::nullopt;
    return std::chrono::duration_cast<std::chrono::milliseconds>(fresh - since).count();
  }

  std::string pattern(const std::string& id, std::int64_t mountpoint) const {
    return R"({"source_kind":"test_pattern","broadcast_id":")" + id +
           R"(","mountpoint_spec":{"id":)" + std::to_string(mountpoint) +
           R"(,"secret":"cluster-secret","media":[{"type":"audio","codec":"opus"},)" +
           R"({"type":"video","codec":"h264"}]}})";
  }

  std::string logs() {
    std::string all;
    for (auto& [id, node] : nodes)
      all += "--- " + id + "\n" + node->logTail();
    return all + lastStatus;
  }

  std::unique_ptr<RedisServer> redis;
  std::unique_ptr<KafkaMock> kafka;
  std::string redisUrl;
  std::unique_ptr<TempFile> keyFile;
  std::string lastStatus;  // what `cluster status` last said, for the logs
  // A request to `node`'s HTTP API: the status and the body.
  std::pair<int, std::string> http(const std::string& node, const std::string& method,
                                   const std::string& path,
                                   const std::optional<std::string>& body = {}) {
    SoupSession* session = soup_session_new();
    const HttpReply reply = httpRequest(
        session, method, "http://127.0.0.1:" + std::to_string(ports[node]) + path, body);
    g_object_unref(session);
    return {reply.status, reply.body};
  }

  std::map<std::string, std::unique_ptr<ServiceProcess>> nodes;
  std::map<std::string, std::uint16_t> ports;
};

TEST_F(ClusterServeTest, AKilledNodesBroadcastIsAdoptedOnTheSameMountpointThenStopped) {
  startNode("node-a");
  startNode("node-b");
  enqueue(pattern("cam-k", 9831));
  enqueue(pattern("cam-k", 9831));  // twice: it still runs once
  const auto first = runningOn("cam-k");
  ASSERT_TRUE(first) << logs();
  ASSERT_TRUE(mediaFresh(*streaming, 9831, 2));
  EXPECT_EQ(redis->cli({"HGETALL", "ct:owner:cam-k"}).find("cluster-secret"), std::string::npos)
      << "the request is sealed";

  // A viewer watching through the failover: the picture comes back.
  auto handle = wait<std::shared_ptr<janus::Handle>>(
      [&](auto done) { session->attach(janus::kStreamingPlugin, done); });
  ASSERT_TRUE(handle.ok()) << handle.error().message;
  janus::StreamingViewer through(context(), *handle);
  ASSERT_TRUE(wait<void>([&](auto done) { through.watch(9831, done); }).ok());
  ASSERT_TRUE(runUntil([&] { return through.videoFrames() >= 10; }, 20s));

  const std::string victim = first->node;
  const auto killedAt = std::chrono::steady_clock::now();
  nodes[victim]->kill();
  const auto adopted = runningOn("cam-k", victim);
  ASSERT_TRUE(adopted) << logs();
  const auto gap = msUntilFresh(9831, killedAt);
  ASSERT_TRUE(gap);
  std::printf("failover: %s killed, %s runs cam-k with fresh media after %lld ms (lease %s ms)\n",
              victim.c_str(), adopted->node.c_str(), *gap, leaseMs().c_str());
  const std::uint64_t framesBefore = through.videoFrames();
  EXPECT_TRUE(runUntil([&] { return through.videoFrames() >= framesBefore + 30; }, 20s))
      << "the viewer who watched through the failover decoded "
      << through.videoFrames() - framesBefore << " frames since";
  EXPECT_EQ(adopted->mountpoint, first->mountpoint) << "same mountpoint, same ports";
  EXPECT_EQ(mountpointIds(*streaming), std::vector<std::int64_t>{9831}) << "nothing orphaned";
  if (!viewerDecodes(9831)) {
    // Whether Janus still gets media tells a stopped relay from a stalled viewer; the nodes' logs
    // come last, where a CI's excerpt of the output shows them.
    ADD_FAILURE() << janus->logTail() << "\nJanus sees mountpoint 9831's media fresh now: "
                  << mediaFresh(*streaming, 9831, 2, 2s) << "\n"
                  << logs();
  }

  enqueueStop("cam-k");
  EXPECT_TRUE(runUntil([&] { return !status("cam-k"); }, 30s)) << logs();
  EXPECT_TRUE(runUntil([&] { return mountpointIds(*streaming).empty(); }, 10s)) << logs();
}

// A start through the HTTP API is claimed first, as one from the queue: it runs where it is
// claimed, never twice, and not on a node that holds no lease (here: one that waits to join
// because a live node holds its id).
TEST_F(ClusterServeTest, APostedStartRunsOnlyWhereItsBroadcastIsClaimed) {
  startNode("node-a");
  auto [created, result] = http("node-a", "POST", "/v1/broadcasts", pattern("cam-p", 9835));
  ASSERT_EQ(created, 201) << result << logs();
  const auto owner = runningOn("cam-p");
  ASSERT_TRUE(owner) << logs();
  EXPECT_EQ(owner->node, "node-a");

  startNode("node-b");
  auto [refused, conflict] = http("node-b", "POST", "/v1/broadcasts", pattern("cam-p", 9835));
  EXPECT_EQ(refused, 409) << conflict;
  EXPECT_NE(conflict.find("runs on node node-a"), std::string::npos) << conflict;

  ServiceProcess& twin = launchNode("node-a-twin", "node-a");
  EXPECT_TRUE(runUntil(
      [&] { return twin.logTail().find("cluster: join_waiting") != std::string::npos; }, 10s))
      << twin.logTail();
  auto [unready, reason] = http("node-a-twin", "GET", "/readyz");
  EXPECT_EQ(unready, 503) << reason;
  EXPECT_NE(reason.find("no cluster lease"), std::string::npos) << reason;
  auto [unleased, why] = http("node-a-twin", "POST", "/v1/broadcasts", pattern("cam-q", 9836));
  EXPECT_EQ(unleased, 503) << why;
  EXPECT_NE(why.find("no cluster lease"), std::string::npos) << why;
  EXPECT_EQ(mountpointIds(*streaming), std::vector<std::int64_t>{9835}) << "cam-q never started";
  EXPECT_FALSE(status("cam-q"));
  const auto still = status("cam-p");
  ASSERT_TRUE(still);
  EXPECT_EQ(still->node, "node-a") << "the refused starts took nothing over";

  EXPECT_EQ(http("node-a", "DELETE", "/v1/broadcasts/cam-p").first, 202);
  EXPECT_TRUE(runUntil([&] { return mountpointIds(*streaming).empty(); }, 10s)) << logs();
}

TEST_F(ClusterServeTest, StartsSpreadOverThreeNodesAndEveryStopReachesItsOwner) {
  // One broadcast per node: a start that does not fit is handed back for another node.
  for (const char* id : {"node-a", "node-b", "node-c"})
    startNode(id, {"--capacity", "1"});
  const std::vector<std::string> ids{"cam-s1", "cam-s2", "cam-s3"};
  for (std::size_t i = 0; i < ids.size(); ++i)
    enqueue(pattern(ids[i], 9840 + static_cast<std::int64_t>(i)));
  std::set<std::string> owners;
  for (const std::string& id : ids) {
    const auto owner = runningOn(id, {}, 60s);
    ASSERT_TRUE(owner) << id << "\n" << logs();
    owners.insert(owner->node);
  }
  EXPECT_EQ(owners.size(), 3u) << "one broadcast per node";
  for (std::size_t i = 0; i < ids.size(); ++i)
    EXPECT_TRUE(mediaFresh(*streaming, 9840 + static_cast<std::int64_t>(i), 2));

  // Any node answers for any broadcast: from its record, and a DELETE goes to the owner.
  const auto owner = status("cam-s1");
  ASSERT_TRUE(owner);
  const std::string other = owner->node == "node-a" ? "node-b" : "node-a";
  auto [shown, record] = http(other, "GET", "/v1/broadcasts/cam-s1");
  EXPECT_EQ(shown, 200) << record;
  EXPECT_NE(record.find("\"node\":\"" + owner->node + "\""), std::string::npos) << record;
  EXPECT_EQ(record.find("cluster-secret"), std::string::npos) << record;
  auto [listed, cluster] = http(other, "GET", "/v1/cluster");
  EXPECT_EQ(listed, 200) << cluster;
  EXPECT_NE(cluster.find("\"orphans\":[]"), std::string::npos) << cluster;
  auto [deleted, stopped] = http(other, "DELETE", "/v1/broadcasts/cam-s1");
  EXPECT_EQ(deleted, 200) << stopped << logs();
  EXPECT_FALSE(status("cam-s1")) << "stopped by its owner before the answer";
  EXPECT_NE(nodes[other]->logTail().find("cluster: stop_sent cam-s1"), std::string::npos);
  EXPECT_EQ(http(other, "DELETE", "/v1/broadcasts/cam-s1").first, 404) << "nothing left to stop";

  // The other stops through the queue land on whichever node claims them.
  for (const std::string& id : {ids[1], ids[2]})
    enqueueStop(id);
  for (const std::string& id : {ids[1], ids[2]})
    EXPECT_TRUE(runUntil([&] { return !status(id); }, 60s)) << id << "\n" << logs();
  EXPECT_TRUE(runUntil([&] { return mountpointIds(*streaming).empty(); }, 10s)) << logs();
}

// Everything the nodes say to Redis over TLS (rediss://, a Redis that asks for a client
// certificate): the job queue, the cluster store and the control stream that carries a stop to
// the owner.
TEST_F(ClusterServeTest, OverTlsAStartRunsOnceAndAStopReachesItsOwner) {
  useRedis({.tls = true});
  startNode("node-a");
  startNode("node-b");
  enqueue(pattern("cam-t1", 9850));
  enqueue(pattern("cam-t1", 9850));
  const auto owner = runningOn("cam-t1");
  ASSERT_TRUE(owner) << logs();
  EXPECT_TRUE(mediaFresh(*streaming, 9850, 2));
  EXPECT_EQ(mountpointIds(*streaming), std::vector<std::int64_t>{9850}) << "it runs once";
  const std::string other = owner->node == "node-a" ? "node-b" : "node-a";
  auto [deleted, stopped] = http(other, "DELETE", "/v1/broadcasts/cam-t1");
  EXPECT_EQ(deleted, 200) << stopped << logs();
  EXPECT_NE(nodes[other]->logTail().find("cluster: stop_sent cam-t1"), std::string::npos);
  EXPECT_TRUE(runUntil([&] { return mountpointIds(*streaming).empty(); }, 10s)) << logs();
  EXPECT_EQ(logs().find("PRIVATE KEY"), std::string::npos) << "file contents never logged";
  EXPECT_NE(redis->cli({"INFO", "clients"}).find("connected_clients:"), std::string::npos)
      << "the test's own client speaks TLS too";
}

TEST_F(ClusterServeTest, RedisRestartedUnderTheClusterLosesNothingAndAdoptsNothingTwice) {
  startNode("node-a");
  startNode("node-b");
  enqueue(pattern("cam-r1", 9834));
  enqueue(pattern("cam-r2", 9835));
  const auto first = runningOn("cam-r1");
  const auto second = runningOn("cam-r2");
  ASSERT_TRUE(first && second) << logs();

  // Back within the lease's margin: nobody fences, nothing moves.
  redis->kill();
  ASSERT_TRUE(redis->restart()) << redis->logTail();
  runFor(std::chrono::milliseconds(3000));
  EXPECT_EQ(runningOn("cam-r1")->node, first->node) << logs();
  EXPECT_EQ(runningOn("cam-r2")->node, second->node) << logs();
  EXPECT_TRUE(mediaFresh(*streaming, 9834, 2));
  EXPECT_TRUE(mediaFresh(*streaming, 9835, 2));

  // Away for longer than the lease: every node fences; once Redis is back, each broadcast is
  // adopted by exactly one node, on its mountpoint.
  redis->kill();
  runFor(std::chrono::milliseconds(3000));
  ASSERT_TRUE(redis->restart()) << redis->logTail();
  const auto again1 = runningOn("cam-r1", {}, 30s);
  const auto again2 = runningOn("cam-r2", {}, 30s);
  ASSERT_TRUE(again1 && again2) << logs();
  EXPECT_TRUE(mediaFresh(*streaming, 9834, 2));
  EXPECT_TRUE(mediaFresh(*streaming, 9835, 2));
  EXPECT_EQ(again1->mountpoint, first->mountpoint);
  EXPECT_EQ(again2->mountpoint, second->mountpoint);
  auto [code, body] = http("node-a", "GET", "/v1/broadcasts");
  auto [codeB, bodyB] = http("node-b", "GET", "/v1/broadcasts");
  for (const char* id : {"cam-r1", "cam-r2"}) {
    const bool onA = body.find(std::string("\"") + id + "\"") != std::string::npos;
    const bool onB = bodyB.find(std::string("\"") + id + "\"") != std::string::npos;
    EXPECT_NE(onA, onB) << id << " runs on exactly one node\n" << body << "\n" << bodyB;
  }
  EXPECT_EQ(mountpointIds(*streaming).size(), 2u) << "nothing orphaned, nothing doubled";
}

// Kafka carries the jobs; the cluster itself (records, leases, the control stream) stays on
// Redis, which it needs for its atomic decisions.
TEST_F(ClusterServeTest, WithAKafkaJobQueueAStartRunsOnceAndAStopReachesItsOwner) {
  kafka = KafkaMock::start({"ct-jobs:2", "ct-jobs.dead:1"});
  ASSERT_TRUE(kafka);
  startNode("node-a");
  startNode("node-b");
  enqueue(pattern("cam-q", 9836));
  enqueue(pattern("cam-q", 9836));
  const auto owner = runningOn("cam-q", {}, 60s);
  ASSERT_TRUE(owner) << logs();
  EXPECT_TRUE(mediaFresh(*streaming, 9836, 2));
  EXPECT_EQ(mountpointIds(*streaming), std::vector<std::int64_t>{9836}) << "started once";
  const std::string other = owner->node == "node-a" ? "node-b" : "node-a";
  auto [deleted, body] = http(other, "DELETE", "/v1/broadcasts/cam-q");
  EXPECT_EQ(deleted, 200) << body << logs();
  EXPECT_FALSE(status("cam-q"));
  EXPECT_TRUE(runUntil([&] { return mountpointIds(*streaming).empty(); }, 10s));
}

TEST_F(ClusterServeTest, ADrainWithHandoverPassesTheBroadcastToAnotherNode) {
  startNode("node-a", {"--drain", "handover"});
  startNode("node-b", {"--drain", "handover"});
  enqueue(pattern("cam-h", 9832));
  const auto first = runningOn("cam-h");
  ASSERT_TRUE(first) << logs();
  ASSERT_TRUE(mediaFresh(*streaming, 9832, 2));

  const std::string leaving = first->node;
  const auto drainedAt = std::chrono::steady_clock::now();
  EXPECT_EQ(nodes[leaving]->interrupt(30s, SIGTERM), 0) << logs();
  const auto adopted = runningOn("cam-h", leaving);
  ASSERT_TRUE(adopted) << logs();
  const auto gap = msUntilFresh(9832, drainedAt);
  ASSERT_TRUE(gap);
  std::printf("handover: %s drained, %s runs cam-h with fresh media after %lld ms\n",
              leaving.c_str(), adopted->node.c_str(), *gap);
  EXPECT_EQ(adopted->mountpoint, first->mountpoint);
  EXPECT_EQ(mountpointIds(*streaming), std::vector<std::int64_t>{9832});
  EXPECT_NE(nodes[leaving]->logTail().find("handed over to the cluster"), std::string::npos);
}

}  // namespace
}  // namespace su::test
