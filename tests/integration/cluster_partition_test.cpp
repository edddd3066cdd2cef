// The cluster under the faults it exists for, proven by packets: two `serve` nodes, each a host
// of its own (a network namespace, tests/support/test_network.hpp), share one Redis and one Janus
// on the test's bridge. A tap on the bridge counts the RTP that reaches Janus from each node.
//
// - Cut from Redis but not from Janus (a blackhole route to Redis in its namespace), the node
//   that runs a broadcast stops sending at its lease's deadline, the other adopts it afterwards:
//   no packet of the cut node after the adopter's first. The same with an ffmpeg relay, a
//   subprocess the feed deadline does not reach: the control loop fences at the deadline,
//   whatever a renewal still waits for.
// - Frozen past its lease (SIGSTOP) and woken: it sends nothing more.
// Skipped (with the reason) where namespaces cannot be made: not root.
#include <gtest/gtest.h>

#include <cinttypes>
#include <csignal>

#include "cluster/cluster_key.hpp"
#include "json/parse.hpp"
#include "support/http_client.hpp"
#include "support/janus_test.hpp"
#include "support/packet_tap.hpp"
#include "support/process.hpp"
#include "support/redis_server.hpp"
#include "support/rtmp_server.hpp"
#include "support/service_process.hpp"
#include "support/test_network.hpp"

namespace su::test {
namespace {

using namespace std::chrono_literals;
using Clock = PacketTap::Clock;

constexpr auto kLease = 1500ms;
// A node fences at two thirds of its lease, counted from when its last renewal was asked for:
// within that of a cut. Packets already in flight, and the tap's own delay, get this margin.
constexpr auto kFenceAfter = kLease - kLease / 3;
constexpr auto kMargin = 150ms;

long long msBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

class ClusterPartitionTest : public JanusStreamingTest {
 protected:
  JanusServer::Options janusOptions() const override { return {.host = network->self()}; }

  void SetUp() override {
    std::string why;
    network = TestNetwork::create({"node-a", "node-b"}, why);
    if (!network) GTEST_SKIP() << why;
    JanusStreamingTest::SetUp();
    if (HasFatalFailure()) return;
    redis = RedisServer::start({.host = network->selfSecond()});
    ASSERT_TRUE(redis) << "redis-server did not start";
    keyFile = std::make_unique<TempFile>(*cluster::ClusterKey::generate() + "\n");
    ASSERT_TRUE(tap.start(network->bridge(), network->self(), why)) << why;
  }
  void TearDown() override {
    nodes.clear();
    publisher.reset();
    rtmp.reset();
    JanusStreamingTest::TearDown();
  }

  void startNode(const std::string& id) {
    const auto port = freeTcpPort();
    const std::string address = network->address(id);
    auto& node = nodes[id];
    node = std::make_unique<ServiceProcess>("serve-" + id);
    node->setReadyHost(address);
    ASSERT_TRUE(node->start(network->inHost(id, {cliPath(),
                                                 "serve",
                                                 "--listen",
                                                 address + ":" + std::to_string(port),
                                                 "--token-file",
                                                 tokenFile.path(),
                                                 "--janus-url",
                                                 janus->url(),
                                                 "--admin-key",
                                                 janus->streamingAdminKey(),
                                                 "--local-janus",
                                                 "false",
                                                 "--queue",
                                                 redis->url("cp-jobs", "ingest"),
                                                 "--consumer",
                                                 id,
                                                 "--cluster",
                                                 redis->serverUrl(),
                                                 "--cluster-name",
                                                 "cp",
                                                 "--cluster-key-file",
                                                 keyFile->path(),
                                                 "--node-id",
                                                 id,
                                                 "--lease-ms",
                                                 std::to_string(kLease.count())}),
                            port))
        << node->logTail();
    ASSERT_TRUE(
        runUntil([&] { return node->logTail().find("cluster: joined") != std::string::npos; }, 10s))
        << node->logTail();
  }

  void enqueue(const std::string& request) {
    TempFile file(request);
    ProcessRun run = runCli({"enqueue", "--queue", redis->url("cp-jobs", "ingest"), file.path()});
    ASSERT_EQ(run.status, 0) << run.err;
  }

  // The node that runs `id` (other than `notOn`), once `cluster status` says so.
  std::optional<std::string> runningOn(const std::string& id, const std::string& notOn = {}) {
    std::optional<std::string> owner;
    runUntil(
        [&] {
          ProcessRun run =
              runCli({"cluster", "status", "--redis", redis->serverUrl(), "--name", "cp"});
          auto parsed = json::parse(run.out);
          if (run.status != 0 || !parsed) return false;
          JsonArray* broadcasts =
              json_object_get_array_member(json_node_get_object(parsed->get()), "broadcasts");
          for (guint i = 0; i < json_array_get_length(broadcasts); ++i) {
            JsonObject* entry = json_array_get_object_element(broadcasts, i);
            const std::string node = json_object_get_string_member(entry, "node");
            if (id == json_object_get_string_member(entry, "broadcast_id") &&
                std::string_view(json_object_get_string_member(entry, "state")) == "running" &&
                json_object_get_boolean_member(entry, "owner_alive") && node != notOn) {
              owner = node;
              return true;
            }
          }
          return false;
        },
        30s);
    return owner;
  }

  // A test pattern (relayed in-process), its RTP to Janus on the bridge.
  std::string pattern(const std::string& id, std::int64_t mountpoint) const {
    return R"({"source_kind":"test_pattern","broadcast_id":")" + id + R"(","host":")" +
           network->self() + R"(","mountpoint_spec":{"id":)" + std::to_string(mountpoint) +
           R"(,"media":[{"type":"audio","codec":"opus"},{"type":"video","codec":"h264"}]}})";
  }

  std::string logs() {
    std::string all;
    for (auto& [id, node] : nodes)
      all += "--- " + id + "\n" + node->logTail();
    return all;
  }

  // Cuts the node that runs `id` from Redis; the other adopts it. What the tap saw must show
  // the cut node silent from its deadline on, and before the adopter's first packet.
  void cutOwnerFromRedis(const std::string& id, std::int64_t mountpoint) {
    const auto owner = runningOn(id);
    ASSERT_TRUE(owner) << logs();
    ASSERT_TRUE(mediaFresh(*streaming, mountpoint, 2)) << logs();
    const std::string victim = *owner;
    const std::string other = victim == "node-a" ? "node-b" : "node-a";
    ASSERT_GT(windowOf(tap.packets(), network->address(victim)).count, 0u)
        << "the tap sees the owner's RTP";

    const auto cut = Clock::now();
    network->cut(victim, network->selfSecond());
    const auto adopter = runningOn(id, victim);
    ASSERT_TRUE(adopter) << logs();
    EXPECT_EQ(*adopter, other);
    ASSERT_TRUE(mediaFresh(*streaming, mountpoint, 2)) << "the adopter feeds it\n" << logs();
    runFor(1s);

    const auto packets = tap.packets();
    const SenderWindow cutNode = windowOf(packets, network->address(victim), cut);
    const SenderWindow adopting = windowOf(packets, network->address(other), cut);
    ASSERT_GT(adopting.count, 0u);
    std::printf(
        "%s cut from Redis: its last RTP %lld ms after the cut (%zu packets since), "
        "the adopter's first %lld ms after (%zu packets)\n",
        victim.c_str(), cutNode.count ? msBetween(cut, cutNode.last) : -1LL, cutNode.count,
        msBetween(cut, adopting.first), adopting.count);
    if (cutNode.count > 0) {
      EXPECT_LE(cutNode.last - cut, kFenceAfter + kMargin) << "it sent past its deadline";
      EXPECT_LT(cutNode.last, adopting.first) << "both fed Janus at once";
    }
    EXPECT_EQ(windowOf(packets, network->address(victim), adopting.first).count, 0u);

    // Mended: the cut node joins again and sends nothing for the broadcast it lost.
    const auto mended = Clock::now();
    network->mend(victim, network->selfSecond());
    EXPECT_TRUE(runUntil(
        [&] {
          const std::string log = nodes[victim]->logTail(1 << 20);
          return log.rfind("cluster: joined") > log.rfind("cluster: fenced");
        },
        15s))
        << logs();
    runFor(1s);
    EXPECT_EQ(windowOf(tap.packets(), network->address(victim), mended).count, 0u);
    EXPECT_EQ(runningOn(id).value_or(""), other) << "not taken back";
  }

  void stop(const std::string& id) {
    ProcessRun run = runCli({"enqueue", "--queue", redis->url("cp-jobs", "ingest"), "--stop", id});
    ASSERT_EQ(run.status, 0) << run.err;
    EXPECT_TRUE(runUntil([&] { return mountpointIds(*streaming).empty(); }, 20s)) << logs();
  }

  std::unique_ptr<TestNetwork> network;
  std::unique_ptr<RedisServer> redis;
  std::unique_ptr<TempFile> keyFile;
  TempFile tokenFile{"partition-token\n"};
  PacketTap tap;
  std::unique_ptr<RtmpServer> rtmp;
  std::unique_ptr<RtmpPublisher> publisher;
  std::map<std::string, std::unique_ptr<ServiceProcess>> nodes;
};

TEST_F(ClusterPartitionTest, ANodeCutFromRedisStopsSendingBeforeTheAdopterStarts) {
  startNode("node-a");
  startNode("node-b");
  enqueue(pattern("cut-1", 9870));
  cutOwnerFromRedis("cut-1", 9870);
  stop("cut-1");
}

// The same for a subprocess relay: ffmpeg pulls an RTMP stream from nginx on the bridge.
TEST_F(ClusterPartitionTest, AnFfmpegRelayOfANodeCutFromRedisStopsAtItsDeadlineToo) {
  rtmp = RtmpServer::start({.host = network->self()});
  ASSERT_TRUE(rtmp);
  publisher = RtmpPublisher::start(rtmp->url("cut-2"));
  ASSERT_TRUE(publisher);
  const std::string url = rtmp->url("cut-2");
  startNode("node-a");
  startNode("node-b");
  enqueue(
      R"({"source_kind":"rtmp_external","relay_kind":"ffmpeg","broadcast_id":"cut-2","host":")" +
      network->self() + R"(","srs":{"publish_url":")" + url +
      R"("},"mountpoint_spec":{"id":9871,"media":[{"type":"audio","codec":"opus"},)"
      R"({"type":"video","codec":"h264"}]}})");
  cutOwnerFromRedis("cut-2", 9871);
  stop("cut-2");
}

// A node frozen past its lease (SIGSTOP, a stalled VM) wakes with its relays' packets already
// queued in their threads: the feed deadline holds them back, and the tap sees none.
TEST_F(ClusterPartitionTest, ANodeFrozenPastItsLeaseSendsNothingWhenItWakes) {
  startNode("node-a");
  startNode("node-b");
  enqueue(pattern("frozen-1", 9872));
  const auto owner = runningOn("frozen-1");
  ASSERT_TRUE(owner) << logs();
  ASSERT_TRUE(mediaFresh(*streaming, 9872, 2));
  const std::string frozen = *owner;
  const std::string other = frozen == "node-a" ? "node-b" : "node-a";

  nodes[frozen]->signal(SIGSTOP);
  const auto stopped = Clock::now();
  ASSERT_EQ(runningOn("frozen-1", frozen).value_or(""), other) << logs();
  runFor(1s);
  const auto woken = Clock::now();
  nodes[frozen]->signal(SIGCONT);
  ASSERT_TRUE(runUntil(
      [&] { return nodes[frozen]->logTail().find("cluster: fenced") != std::string::npos; }, 10s))
      << logs();
  EXPECT_TRUE(mediaFresh(*streaming, 9872, 2));
  runFor(1s);

  const auto packets = tap.packets();
  const SenderWindow beforeFreeze = windowOf(packets, network->address(frozen), stopped - 2s);
  const SenderWindow afterWaking = windowOf(packets, network->address(frozen), woken);
  const SenderWindow adopting = windowOf(packets, network->address(other), stopped);
  std::printf(
      "frozen for %lld ms: %zu packets from it after it woke, the adopter's first %lld ms "
      "after the freeze\n",
      msBetween(stopped, woken), afterWaking.count, msBetween(stopped, adopting.first));
  EXPECT_GT(beforeFreeze.count, 0u);
  EXPECT_EQ(afterWaking.count, 0u) << "the woken node sent RTP past its lease";
  for (const auto& packet : packets) {
    if (packet.from == network->address(frozen) && packet.at >= woken)
      std::printf("after waking: +%lld ms to port %u\n", msBetween(woken, packet.at), packet.port);
  }
  EXPECT_GT(adopting.count, 0u);
  EXPECT_EQ(runningOn("frozen-1").value_or(""), other) << "not taken back";
  EXPECT_TRUE(viewerDecodes(9872));
  stop("frozen-1");
}

}  // namespace
}  // namespace su::test
