// The cluster's shared state on a real redis-server: leases with generations (a live id is not
// taken twice; a lapsed or superseded lease does not renew), ownership claims that a live owner
// wins, updates fenced by generation and lease, adoption of orphans only (and by one node only),
// stops routed to a live owner or marked on the record of one not alive, and the cluster key
// sealing secrets so that Redis holds no secret in clear.
#include "cluster/cluster_store.hpp"

#include <gtest/gtest.h>

#include "cluster/cluster_key.hpp"
#include "support/main_context_test.hpp"
#include "support/redis_server.hpp"

namespace su::cluster {
namespace {

using namespace std::chrono_literals;

class ClusterStoreTest : public test::MainContextTest {
 protected:
  void SetUp() override {
    MainContextTest::SetUp();
    redis = test::RedisServer::start();
    ASSERT_TRUE(redis) << "redis-server did not start";
    store = std::make_unique<ClusterStore>(
        context(), queue::RedisAddress{.port = static_cast<int>(redis->port())}, "test-cluster");
  }
  void TearDown() override {
    store.reset();
    redis.reset();
    MainContextTest::TearDown();
  }

  template <typename T>
  Result<T> run(Task<T> task) {
    std::optional<Result<T>> result;
    task.start(context(), [&](Result<T> value) { result = std::move(value); });
    if (!runUntil([&] { return result.has_value(); }, 10s)) {
      return Error{g_quark_from_static_string("su-test"), 1, "no answer in time", {}};
    }
    return std::move(*result);
  }

  NodeInfo joined(const std::string& id, Milliseconds lease = 10s) {
    NodeInfo node{.id = id, .capacity = 8, .api = "http://127.0.0.1:1/" + id};
    auto generation = run(store->join(node, lease));
    EXPECT_TRUE(generation) << generation.error().message;
    node.generation = generation ? *generation : 0;
    return node;
  }

  static OwnerRecord recordOf(const NodeInfo& node, const std::string& id) {
    return OwnerRecord{.broadcastId = id,
                       .node = node.id,
                       .generation = node.generation,
                       .state = "starting",
                       .resultJson = "{}",
                       .sealedRequest = "v1:none"};
  }

  std::unique_ptr<test::RedisServer> redis;
  std::unique_ptr<ClusterStore> store;
};

TEST_F(ClusterStoreTest, ALiveIdIsNotTakenTwiceAndALapsedLeaseDoesNotRenew) {
  NodeInfo a = joined("node-a", 300ms);
  EXPECT_GT(a.generation, 0);
  auto again = run(store->join(NodeInfo{.id = "node-a"}, 10s));
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("held by a live node"), std::string::npos);

  auto renewed = run(store->renew(a, 300ms));
  ASSERT_TRUE(renewed) << renewed.error().message;
  EXPECT_TRUE(*renewed);
  auto nodes = run(store->nodes());
  ASSERT_TRUE(nodes);
  ASSERT_EQ(nodes->size(), 1u);
  EXPECT_EQ(nodes->front().id, "node-a");
  EXPECT_EQ(nodes->front().capacity, 8);
  ASSERT_TRUE(nodes->front().leaseLeftMs);
  EXPECT_LE(*nodes->front().leaseLeftMs, 300);

  // Let it lapse: the id is free again, with a newer generation; the old one cannot renew.
  ASSERT_TRUE(runUntil([&] { return run(store->nodes())->empty(); }, 5s));
  auto lapsed = run(store->renew(a, 10s));
  ASSERT_TRUE(lapsed);
  EXPECT_FALSE(*lapsed);
  NodeInfo reborn = joined("node-a");
  EXPECT_GT(reborn.generation, a.generation);
  EXPECT_FALSE(*run(store->renew(a, 10s))) << "a superseded generation never renews";
  EXPECT_TRUE(*run(store->alive("node-a", reborn.generation)));
  EXPECT_FALSE(*run(store->alive("node-a", a.generation)));
}

TEST_F(ClusterStoreTest, ALiveOwnerWinsAClaimAndOnlyTheOwnerUpdatesOrReleases) {
  NodeInfo a = joined("node-a");
  NodeInfo b = joined("node-b");
  auto first = run(store->claim(recordOf(a, "cam-1")));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->outcome, Claim::Outcome::Claimed);

  auto second = run(store->claim(recordOf(b, "cam-1")));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->outcome, Claim::Outcome::OwnedElsewhere);
  EXPECT_EQ(second->owner, "node-a");
  EXPECT_EQ(run(store->claim(recordOf(a, "cam-1")))->outcome, Claim::Outcome::Claimed)
      << "claiming its own again is fine (a redelivered start)";

  OwnerRecord running = recordOf(a, "cam-1");
  running.state = "running";
  EXPECT_TRUE(*run(store->update(running)));
  OwnerRecord intruder = recordOf(b, "cam-1");
  intruder.state = "stopped";
  EXPECT_FALSE(*run(store->update(intruder)));
  ASSERT_TRUE(run(store->release("cam-1", "node-b", b.generation)));
  auto kept = run(store->record("cam-1"));
  ASSERT_TRUE(kept && *kept);
  EXPECT_EQ((*kept)->node, "node-a");
  EXPECT_EQ((*kept)->state, "running");

  ASSERT_TRUE(run(store->release("cam-1", "node-a", a.generation)));
  EXPECT_FALSE(*run(store->record("cam-1")));
  EXPECT_TRUE(run(store->records())->empty());

  // Without a lease, no claim.
  NodeInfo ghost{.id = "node-ghost", .generation = 99};
  EXPECT_EQ(run(store->claim(recordOf(ghost, "cam-2")))->outcome, Claim::Outcome::NoLease);
}

TEST_F(ClusterStoreTest, OnlyAnOrphanIsAdoptedAndByOneNode) {
  NodeInfo dying = joined("node-dying", 300ms);
  NodeInfo b = joined("node-b");
  NodeInfo c = joined("node-c");
  const OwnerRecord orphan = recordOf(dying, "cam-3");
  ASSERT_EQ(run(store->claim(orphan))->outcome, Claim::Outcome::Claimed);

  EXPECT_FALSE(*run(store->adopt(orphan, recordOf(b, "cam-3")))) << "its owner is alive";
  ASSERT_TRUE(runUntil([&] { return !*run(store->alive("node-dying", dying.generation)); }, 5s));

  EXPECT_TRUE(*run(store->adopt(orphan, recordOf(b, "cam-3"))));
  EXPECT_FALSE(*run(store->adopt(orphan, recordOf(c, "cam-3")))) << "adopted once only";
  EXPECT_EQ((*run(store->record("cam-3")))->node, "node-b");
  // The former owner, back, finds the record is not its own any more.
  OwnerRecord late = orphan;
  late.state = "running";
  EXPECT_FALSE(*run(store->update(late)));
}

TEST_F(ClusterStoreTest, AStopGoesToALiveOwnerOrMarksTheRecordOfOneNotAlive) {
  NodeInfo dying = joined("node-dying", 300ms);
  NodeInfo b = joined("node-b");
  EXPECT_EQ(run(store->requestStop("cam-4"))->outcome, StopRoute::Outcome::Nothing) << "no record";
  const OwnerRecord orphan = recordOf(dying, "cam-4");
  ASSERT_EQ(run(store->claim(orphan))->outcome, Claim::Outcome::Claimed);

  auto owned = run(store->requestStop("cam-4"));
  ASSERT_TRUE(owned) << owned.error().message;
  EXPECT_EQ(owned->outcome, StopRoute::Outcome::Owned);
  EXPECT_EQ(owned->owner, "node-dying");
  EXPECT_EQ((*run(store->record("cam-4")))->state, "starting") << "its owner stops it";

  ASSERT_TRUE(runUntil([&] { return !*run(store->alive("node-dying", dying.generation)); }, 5s));
  auto marked = run(store->requestStop("cam-4"));
  ASSERT_TRUE(marked);
  EXPECT_EQ(marked->outcome, StopRoute::Outcome::Marked);
  EXPECT_EQ((*run(store->record("cam-4")))->state, "stopping");
  // An adopter that read it before the mark does not take it as running.
  EXPECT_FALSE(*run(store->adopt(orphan, recordOf(b, "cam-4"))));
  OwnerRecord stopping = orphan;
  stopping.state = "stopping";
  // Nor does its owner, back without a lease, write over the mark.
  OwnerRecord late = orphan;
  late.state = "running";
  EXPECT_FALSE(*run(store->update(late)));
  EXPECT_EQ((*run(store->record("cam-4")))->state, "stopping");
  EXPECT_TRUE(*run(store->adopt(stopping, recordOf(b, "cam-4"))));
}

TEST(ClusterKey, SealsSecretsBoundToTheirRecordAndRefusesOtherKeys) {
  auto text = ClusterKey::generate();
  ASSERT_TRUE(text) << text.error().message;
  auto key = ClusterKey::fromBase64(*text + "\n");
  ASSERT_TRUE(key) << key.error().message;

  const std::string secret = R"({"mountpoint_spec":{"secret":"mp-secret-123"}})";
  auto sealed = key->seal(secret, "cam-1");
  ASSERT_TRUE(sealed);
  EXPECT_TRUE(sealed->starts_with("v1:"));
  EXPECT_EQ(sealed->find("mp-secret-123"), std::string::npos);
  EXPECT_NE(*sealed, *key->seal(secret, "cam-1")) << "a fresh nonce each time";
  EXPECT_EQ(*key->open(*sealed, "cam-1"), secret);

  EXPECT_FALSE(key->open(*sealed, "cam-2")) << "bound to its broadcast";
  auto other = ClusterKey::fromBase64(*ClusterKey::generate());
  auto refused = other->open(*sealed, "cam-1");
  ASSERT_FALSE(refused);
  EXPECT_TRUE(refused.error().is(ClusterError::Unsealable));
  std::string altered = *sealed;
  altered[altered.size() / 2] = altered[altered.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(key->open(altered, "cam-1"));

  EXPECT_FALSE(ClusterKey::fromBase64("c2hvcnQ="));  // "short"
  EXPECT_FALSE(ClusterKey::fromBase64("not base64 at all!"));
}

}  // namespace
}  // namespace su::cluster
