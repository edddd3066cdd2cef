// Two cluster nodes in one process, each with its own Janus session, orchestrator and lease, on a
// real redis-server and a real Janus: a broadcast's record follows its life and holds no secret
// in clear; a start of a broadcast another live node owns is refused; when the owner dies (its
// lease lapses, its relays gone) the other node adopts the broadcast on the same mountpoint and
// ports and Janus sees media again (and one adopted while its source is away waits for it,
// retrying, instead of being lost); a node whose lease is taken from it fences itself; a stop
// sent by a node that does not own the broadcast reaches its owner.
#include "cluster/cluster_node.hpp"

#include <gtest/gtest.h>

#include "service/broadcast_service.hpp"
#include "support/janus_test.hpp"
#include "support/media_sources.hpp"
#include "support/redis_server.hpp"
#include "support/rtmp_server.hpp"

namespace su::cluster {
namespace {

using namespace std::chrono_literals;

// 3 s (times the time scale): a loaded machine (a CI's other tests and builds) held a 1.5 s
// lease's renewal past its fence, and a node that fences itself claims nothing.
const Milliseconds kLease = 3000ms * test::timeScale();
// For a relay to run: short, for the adoption of a broadcast whose source is away.
const Milliseconds kMediaTimeout = 8000ms * test::timeScale();

struct Node {
  std::unique_ptr<service::BroadcastService> service;
  std::unique_ptr<ClusterStore> store;
  std::unique_ptr<ClusterNode> cluster;
  std::vector<std::string> events;  // "what broadcast"
};

class ClusterNodeTest : public test::JanusStreamingTest {
 protected:
  void SetUp() override {
    JanusStreamingTest::SetUp();
    if (HasFatalFailure()) return;
    redis = test::RedisServer::start();
    ASSERT_TRUE(redis) << "redis-server did not start";
    key = *ClusterKey::generate();
  }
  void TearDown() override {
    for (Node& node : nodes) {
      node.cluster.reset();
      node.service.reset();
      node.store.reset();
    }
    JanusStreamingTest::TearDown();
  }

  Node& startNode(const std::string& id, std::int64_t capacity = 0) {
    Node& node = nodes.emplace_back();
    service::ServiceOptions options;
    options.janus.url = janus->url();
    options.broadcast.streamingAdminKey = janus->streamingAdminKey();
    options.broadcast.mediaTimeout = kMediaTimeout;
    orchestrator::Observer observer;
    const std::size_t index = nodes.size() - 1;
    observer.onState = [this, index](const std::string& broadcast, model::RunState) {
      if (nodes[index].cluster) nodes[index].cluster->noteState(broadcast);
    };
    node.service = std::make_unique<service::BroadcastService>(context(), options, observer);
    EXPECT_TRUE(wait<void>([&](auto done) { node.service->connect(done); }).ok());
    node.store = std::make_unique<ClusterStore>(
        context(), queue::RedisAddress{.port = static_cast<int>(redis->port())}, "su-test");
    node.cluster = std::make_unique<ClusterNode>(
        context(), *node.store, *ClusterKey::fromBase64(key), *node.service->orchestrator(),
        ClusterOptions{.nodeId = id, .lease = kLease, .capacity = capacity},
        ClusterObserver{.onEvent = [this, index](const std::string& what,
                                                 const std::string& broadcast, const std::string&) {
          nodes[index].events.push_back(what + " " + broadcast);
        }});
    node.cluster->start();
    EXPECT_TRUE(runUntil([&] { return node.cluster->leased(); }, 10s));
    return node;
  }

  static model::BroadcastRequest testPattern(const std::string& id, std::int64_t mountpoint) {
    auto request = model::BroadcastRequest::fromPayload(
        R"({"source_kind":"test_pattern","broadcast_id":")" + id + R"(","mountpoint_spec":{"id":)" +
        std::to_string(mountpoint) + R"(,"secret":"mp-secret-)" + id +
        R"(","media":[{"type":"audio","codec":"opus"},{"type":"video","codec":"h264"}]}})");
    EXPECT_TRUE(request) << request.error().describe();
    return *request;
  }

  // Claims, then starts `request` on `node`, as the worker does.
  model::BroadcastResult startOn(Node& node, model::BroadcastRequest request) {
    std::optional<Result<Claim>> claimed;
    auto claiming = node.cluster->claim(request);
    claiming.start(context(), [&](Result<Claim> c) { claimed = std::move(c); });
    EXPECT_TRUE(runUntil([&] { return claimed.has_value(); }, 10s));
    EXPECT_TRUE(*claimed && (*claimed)->outcome == Claim::Outcome::Claimed);
    auto started = wait<model::BroadcastResult>(
        [&](auto done) { node.service->orchestrator()->start(request, done); }, 60s);
    EXPECT_TRUE(started) << started.error().message;
    return started ? *started : model::BroadcastResult{};
  }

  // A test pattern `id` runs on `node`, its record says so.
  void runsOn(Node& node, const std::string& id, std::int64_t mountpoint) {
    ASSERT_EQ(startOn(node, testPattern(id, mountpoint)).state, model::RunState::Running);
    ASSERT_TRUE(recordShows(id, node.cluster->node().id, "running"));
  }

  std::optional<OwnerRecord> recordOf(const std::string& id) {
    std::optional<Result<std::optional<OwnerRecord>>> found;
    auto reading = nodes.front().store->record(id);
    reading.start(context(), [&](auto r) { found = std::move(r); });
    if (!runUntil([&] { return found.has_value(); }, 10s) || !*found) return std::nullopt;
    return **found;
  }

  bool recordShows(const std::string& id, const std::string& node, const std::string& state,
                   Milliseconds timeout = 20s) {
    return runUntil(
        [&] {
          auto record = recordOf(id);
          return record && record->node == node && record->state == state;
        },
        timeout);
  }

  static std::string events(const Node& node) {
    std::string all;
    for (const std::string& event : node.events)
      all += event + "; ";
    return all;
  }

  bool saw(const Node& node, const std::string& event) {
    return std::find(node.events.begin(), node.events.end(), event) != node.events.end();
  }

  // The node dies: its lease is no longer renewed, its relays stop; Janus keeps what it made.
  static void dies(Node& node) {
    node.cluster.reset();
    node.service->orchestrator()->abandonAll();
  }

  // Routes a stop from `from`, as its worker does for a broadcast it does not run.
  Result<bool> routeStop(Node& from, const std::string& id) {
    std::optional<Result<bool>> routed;
    auto routing = from.cluster->routeStop(id);
    routing.start(context(), [&](Result<bool> r) { routed = std::move(r); });
    if (!runUntil([&] { return routed.has_value(); }, 40s))
      return makeError(ClusterError::OwnerSilent, "no answer in 40 s");
    return std::move(*routed);
  }

  std::unique_ptr<test::RedisServer> redis;
  std::string key;
  std::deque<Node> nodes;
};

TEST_F(ClusterNodeTest, TheRecordFollowsTheBroadcastAndAnOwnedOneIsNotStartedTwice) {
  Node& a = startNode("node-a");
  Node& b = startNode("node-b");
  const auto started = startOn(a, testPattern("cam-1", 9821));
  ASSERT_EQ(started.state, model::RunState::Running);
  ASSERT_TRUE(recordShows("cam-1", "node-a", "running"));
  const std::string everything = redis->cli({"HGETALL", "su-test:owner:cam-1"});
  EXPECT_EQ(everything.find("mp-secret-cam-1"), std::string::npos) << "no secret in clear";
  EXPECT_NE(everything.find("\"id\":9821"), std::string::npos) << everything;

  std::optional<Result<Claim>> second;
  auto claiming = b.cluster->claim(testPattern("cam-1", 9821));
  claiming.start(context(), [&](Result<Claim> c) { second = std::move(c); });
  ASSERT_TRUE(runUntil([&] { return second.has_value(); }, 10s));
  ASSERT_TRUE(*second);
  EXPECT_EQ((*second)->outcome, Claim::Outcome::OwnedElsewhere);
  EXPECT_EQ((*second)->owner, "node-a");

  ASSERT_TRUE(wait<model::BroadcastResult>(
      [&](auto done) { a.service->orchestrator()->stop("cam-1", done); }));
  EXPECT_TRUE(runUntil([&] { return !recordOf("cam-1"); }, 10s)) << "released when stopped";
  EXPECT_TRUE(mountpointIds(*streaming).empty());
}

TEST_F(ClusterNodeTest, AStopSentByAnotherNodeReachesTheOwnerAndIsWaitedFor) {
  Node& a = startNode("node-a");
  Node& b = startNode("node-b");
  ASSERT_NO_FATAL_FAILURE(runsOn(a, "cam-4", 9824));

  std::optional<Result<bool>> routed;
  auto routing = b.cluster->routeStop("cam-4");
  routing.start(context(), [&](Result<bool> r) { routed = std::move(r); });
  ASSERT_TRUE(runUntil([&] { return routed.has_value(); }, 40s));
  ASSERT_TRUE(*routed) << routed->error().message;
  EXPECT_TRUE(**routed) << "stopped by its owner";
  EXPECT_TRUE(saw(a, "stop_asked cam-4"));
  EXPECT_EQ(a.service->orchestrator()->result("cam-4")->state, model::RunState::Stopped);
  EXPECT_FALSE(recordOf("cam-4"));
  EXPECT_TRUE(mountpointIds(*streaming).empty());

  // Nobody owns it now: nothing to route.
  routed.reset();
  auto again = b.cluster->routeStop("cam-4");
  again.start(context(), [&](Result<bool> r) { routed = std::move(r); });
  ASSERT_TRUE(runUntil([&] { return routed.has_value(); }, 10s));
  ASSERT_TRUE(*routed);
  EXPECT_FALSE(**routed);
}

// A stop for a broadcast whose owner just died (the chaos bench found it lost: sent to the dead
// owner and waited for while another node adopted the broadcast and ran it on). The node that
// adopts it stops it.
TEST_F(ClusterNodeTest, AStopForABroadcastWhoseOwnerDiedIsDoneWhereItIsAdopted) {
  Node& a = startNode("node-a");
  Node& b = startNode("node-b");
  ASSERT_NO_FATAL_FAILURE(runsOn(a, "cam-6", 9826));
  dies(a);

  auto routed = routeStop(b, "cam-6");
  ASSERT_TRUE(routed) << routed.error().message << "; node-b: " << events(b);
  EXPECT_TRUE(*routed);
  EXPECT_FALSE(recordOf("cam-6"));
  EXPECT_TRUE(runUntil([&] { return mountpointIds(*streaming).empty(); }, 10s))
      << "node-b: " << events(b);
}

// The same, when no node can adopt it yet (node-b is full): the stop marks its record, and the
// node that adopts it later (node-c) finishes it instead of running it.
TEST_F(ClusterNodeTest, AStopForABroadcastWithoutALiveOwnerIsFinishedByItsLaterAdopter) {
  Node& a = startNode("node-a");
  Node& b = startNode("node-b", 1);
  ASSERT_NO_FATAL_FAILURE(runsOn(a, "cam-7", 9827));
  ASSERT_EQ(startOn(b, testPattern("cam-8", 9828)).state, model::RunState::Running);
  dies(a);

  std::optional<Result<bool>> routed;
  auto routing = b.cluster->routeStop("cam-7");
  routing.start(context(), [&](Result<bool> r) { routed = std::move(r); });
  ASSERT_TRUE(runUntil([&] { return saw(b, "stop_marked cam-7"); }, 20s)) << events(b);
  EXPECT_TRUE(recordShows("cam-7", "node-a", "stopping", 1s));
  EXPECT_FALSE(routed) << "waits for the adopter";

  Node& c = startNode("node-c");
  ASSERT_TRUE(runUntil([&] { return routed.has_value(); }, 40s));
  ASSERT_TRUE(*routed) << routed->error().message << "; node-c: " << events(c);
  EXPECT_TRUE(**routed);
  EXPECT_TRUE(saw(c, "cleaned_up cam-7")) << events(c);
  EXPECT_FALSE(recordOf("cam-7"));
  EXPECT_EQ(mountpointIds(*streaming), std::vector<std::int64_t>{9828}) << "cam-8 runs on";
}

TEST_F(ClusterNodeTest, WhenItsOwnerDiesAnotherNodeAdoptsTheBroadcastOnTheSameMountpoint) {
  Node& a = startNode("node-a");
  Node& b = startNode("node-b");
  const auto started = startOn(a, testPattern("cam-2", 9822));
  ASSERT_EQ(started.state, model::RunState::Running);
  ASSERT_TRUE(started.mountpoint);
  ASSERT_TRUE(recordShows("cam-2", "node-a", "running"));
  ASSERT_TRUE(mediaFresh(*streaming, 9822, 2));

  const auto diedAt = std::chrono::steady_clock::now();
  dies(a);
  ASSERT_TRUE(recordShows("cam-2", "node-b", "running")) << "adopted by node-b";
  EXPECT_TRUE(saw(b, "adopted cam-2"));
  EXPECT_TRUE(mediaFresh(*streaming, 9822, 2));
  const auto gap =
      std::chrono::duration_cast<Milliseconds>(std::chrono::steady_clock::now() - diedAt);
  std::printf("adoption: media fresh again %lld ms after the owner died (lease %lld ms)\n",
              static_cast<long long>(gap.count()), static_cast<long long>(kLease.count()));
  const auto adopted = b.service->orchestrator()->result("cam-2");
  ASSERT_TRUE(adopted && adopted->mountpoint);
  EXPECT_EQ(adopted->mountpoint->media, started.mountpoint->media) << "same ports";
  EXPECT_EQ(mountpointIds(*streaming), std::vector<std::int64_t>{9822}) << "nothing orphaned";

  ASSERT_TRUE(wait<model::BroadcastResult>(
      [&](auto done) { b.service->orchestrator()->stop("cam-2", done); }));
  EXPECT_TRUE(mountpointIds(*streaming).empty()) << "the adopter cleans up with the secret";
}

// The owner dies while the broadcast's source is away (the chaos bench found these lost: the
// adopter's start failed for want of media and undid the broadcast). The adopter keeps it,
// retrying, on the same mountpoint, and it runs again once the source publishes.
TEST_F(ClusterNodeTest, ABroadcastAdoptedWhileItsSourceIsAwayWaitsForItRetrying) {
  auto rtmp = test::RtmpServer::start();
  ASSERT_TRUE(rtmp);
  auto publisher = test::RtmpPublisher::start(rtmp->url("away"));
  ASSERT_TRUE(publisher);
  Node& a = startNode("node-a");
  Node& b = startNode("node-b");
  auto request = model::BroadcastRequest::fromPayload(
      R"({"source_kind":"rtmp_external","broadcast_id":"cam-r","srs":{"publish_url":")" +
      rtmp->url("away") +
      R"("},"mountpoint_spec":{"id":9829,"media":[{"type":"audio","codec":"opus"},)"
      R"({"type":"video","codec":"h264"}]}})");
  ASSERT_TRUE(request) << request.error().describe();
  ASSERT_EQ(startOn(a, *request).state, model::RunState::Running);
  ASSERT_TRUE(recordShows("cam-r", "node-a", "running"));

  publisher.reset();
  dies(a);
  ASSERT_TRUE(recordShows("cam-r", "node-b", "retrying", kMediaTimeout + 20s))
      << "adopted, waiting for its source; record "
      << (recordOf("cam-r") ? recordOf("cam-r")->node + " " + recordOf("cam-r")->state : "none")
      << "; node-b: " << events(b);
  EXPECT_TRUE(saw(b, "adopted cam-r"));
  EXPECT_EQ(mountpointIds(*streaming), std::vector<std::int64_t>{9829}) << "its mountpoint stays";

  publisher = test::RtmpPublisher::start(rtmp->url("away"));
  ASSERT_TRUE(publisher);
  EXPECT_TRUE(recordShows("cam-r", "node-b", "running", 30s));
  EXPECT_TRUE(mediaFresh(*streaming, 9829, 2));
  ASSERT_TRUE(wait<model::BroadcastResult>(
      [&](auto done) { b.service->orchestrator()->stop("cam-r", done); }));
  EXPECT_TRUE(runUntil([&] { return mountpointIds(*streaming).empty(); }, 10s));
}

TEST_F(ClusterNodeTest, ABroadcastItsOwnerWasStoppingIsCleanedUpByTheAdopter) {
  Node& a = startNode("node-a");
  Node& b = startNode("node-b");
  ASSERT_NO_FATAL_FAILURE(runsOn(a, "cam-5", 9825));
  // node-a dies in the middle of stopping it (its record says so; the mountpoint is left).
  dies(a);
  redis->cli({"HSET", "su-test:owner:cam-5", "state", "stopping"});

  ASSERT_TRUE(runUntil([&] { return saw(b, "cleaned_up cam-5"); }, 20s));
  EXPECT_TRUE(runUntil([&] { return !recordOf("cam-5"); }, 10s)) << "released";
  EXPECT_TRUE(mountpointIds(*streaming).empty()) << "the stop it was doing is done";
  EXPECT_EQ(b.service->orchestrator()->result("cam-5")->state, model::RunState::Stopped);
}

TEST_F(ClusterNodeTest, AnAdoptedRoomBroadcastTakesOverTheForwardersItsOwnerLeft) {
  Node& a = startNode("node-a");
  Node& b = startNode("node-b");
  // A room with a WebRTC publisher; the broadcast forwards it into its mountpoint.
  auto publisherHandle = attach(janus::kVideoRoomPlugin);
  ASSERT_TRUE(publisherHandle);
  test::VideoRoomPublisher publisher(context(), publisherHandle);
  const std::string roomSpec = R"({"room":4700,"secret":"room-secret-4700","admin_key":")" +
                               janus->videoRoomAdminKey() +
                               R"(","videocodec":"h264","audiocodec":"opus"})";
  auto request = model::BroadcastRequest::fromPayload(
      R"({"source_kind":"videoroom","broadcast_id":"room-c","room_id":4700,"publisher_id":4742,)"
      R"("room_spec":)" +
      roomSpec +
      R"(,"mountpoint_spec":{"id":9826,"secret":"mp-secret-9826","media":[)"
      R"({"type":"audio","codec":"opus"},{"type":"video","codec":"h264"}]}})");
  ASSERT_TRUE(request) << request.error().describe();
  std::optional<Result<model::BroadcastResult>> started;
  auto claiming = a.cluster->claim(*request);
  claiming.start(context(), [](Result<Claim>) {});
  a.service->orchestrator()->start(*request, [&](auto r) { started = std::move(r); });
  // The room is ensured by the start; then the publisher joins it.
  ASSERT_TRUE(runUntil(
      [&] {
        auto result = a.service->orchestrator()->result("room-c");
        return result && result->room;
      },
      20s));
  ASSERT_TRUE(wait<void>([&](auto done) {
                publisher.publish(4700, 4742, std::nullopt, done, "desk");
              }).ok());
  ASSERT_TRUE(runUntil([&] { return started.has_value(); }, 40s));
  ASSERT_TRUE(*started);
  ASSERT_EQ((*started)->state, model::RunState::Running);
  ASSERT_TRUE(recordShows("room-c", "node-a", "running"));
  auto forwarders = [&] {
    janus::VideoRoomClient& room = b.service->janus()->videoroom();
    auto listed = wait<std::vector<janus::PublisherForwarders>>([&](auto done) {
      room.listForwarders(4700, {"room-secret-4700", janus->videoRoomAdminKey()}, done);
    });
    std::size_t count = 0;
    for (const auto& entry : listed ? *listed : std::vector<janus::PublisherForwarders>{})
      count += entry.forwarders.size();
    return count;
  };
  EXPECT_EQ(forwarders(), 2u);

  // node-a dies; Janus keeps its forwarders (they belong to the publisher).
  dies(a);
  ASSERT_TRUE(recordShows("room-c", "node-b", "running")) << "adopted by node-b";
  EXPECT_EQ(forwarders(), 2u) << "the ones node-a left were replaced, not doubled";
  EXPECT_TRUE(mediaFresh(*streaming, 9826, 2));

  ASSERT_TRUE(wait<model::BroadcastResult>(
      [&](auto done) { b.service->orchestrator()->stop("room-c", done); }));
  EXPECT_EQ(forwarders(), 0u);
}

TEST_F(ClusterNodeTest, ANodeWhoseLeaseIsTakenFencesItselfAndAnotherAdopts) {
  Node& a = startNode("node-a");
  Node& b = startNode("node-b");
  ASSERT_NO_FATAL_FAILURE(runsOn(a, "cam-3", 9823));

  redis->cli({"DEL", "su-test:node:node-a"});  // as if it lapsed while node-a was frozen
  ASSERT_TRUE(runUntil([&] { return saw(a, "fenced "); }, 10s));
  EXPECT_TRUE(a.service->orchestrator()->list().empty()) << "node-a let go of everything";
  ASSERT_TRUE(recordShows("cam-3", "node-b", "running"));
  EXPECT_TRUE(saw(b, "adopted cam-3"));
  EXPECT_TRUE(mediaFresh(*streaming, 9823, 2));
  EXPECT_TRUE(runUntil([&] { return a.cluster->leased(); }, 10s)) << "node-a joins again";
  EXPECT_EQ(recordOf("cam-3")->node, "node-b") << "and does not take it back";
}

}  // namespace
}  // namespace su::cluster
