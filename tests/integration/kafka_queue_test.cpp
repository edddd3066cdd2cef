// The Kafka queue on librdkafka's mock cluster (real Kafka protocol on loopback): offsets
// committed only after ack, lag against what was produced and consumed, the dead-letter topic,
// and two consumers through a rebalance without a job running twice at once.
#include "queue/kafka_queue.hpp"

#include <gtest/gtest.h>

#include <set>

#include "support/kafka_mock.hpp"
#include "support/main_context_test.hpp"

namespace su::queue {
namespace {

using namespace std::chrono_literals;

class KafkaQueueTest : public test::MainContextTest {
 protected:
  void SetUp() override {
    MainContextTest::SetUp();
    kafka = test::KafkaMock::start({"jobs:2", "jobs.dead:1"});
    ASSERT_TRUE(kafka);
  }

  std::unique_ptr<KafkaQueue> consumer(const std::string& name, int maxAttempts = 3) {
    // The shortest session Kafka takes: the mock cluster waits for members that long in a
    // rebalance.
    auto queue =
        KafkaQueue::open(context(), {.brokers = kafka->brokers(), .topic = "jobs"},
                         {.consumer = name, .maxAttempts = maxAttempts, .visibilityTimeout = 6s});
    EXPECT_TRUE(queue) << queue.error().describe();
    return queue ? std::move(*queue) : nullptr;
  }

  // Claims until `count` jobs came or `timeout` passed (the first join of a group takes seconds).
  std::vector<Delivery> claimSome(KafkaQueue& queue, std::size_t count,
                                  std::chrono::milliseconds timeout = 20s) {
    std::vector<Delivery> claimed;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (claimed.size() < count && std::chrono::steady_clock::now() < deadline) {
      auto one = finish(queue.claim(500ms));
      EXPECT_TRUE(one) << one.error().describe();
      if (one && *one) claimed.push_back(std::move(**one));
    }
    return claimed;
  }

  QueueStats statsOf(KafkaQueue& queue) {
    auto stats = finish(queue.stats());
    EXPECT_TRUE(stats) << stats.error().describe();
    return stats ? *stats : QueueStats{};
  }

  std::unique_ptr<test::KafkaMock> kafka;
};

TEST_F(KafkaQueueTest, OffsetsAreCommittedOnlyAfterAckAndLagFollows) {
  auto queue = consumer("only");
  ASSERT_TRUE(queue);
  for (int i = 0; i < 4; ++i)
    ASSERT_TRUE(finish(queue->enqueue(model::JobEnvelope::stop("b" + std::to_string(i)))));
  EXPECT_EQ(statsOf(*queue).lag(), 4) << "produced, not consumed";

  std::vector<Delivery> claimed = claimSome(*queue, 4);
  ASSERT_EQ(claimed.size(), 4u);
  QueueStats inFlight = statsOf(*queue);
  EXPECT_EQ(inFlight.lag(), 4) << "claimed is not done: nothing committed yet";
  EXPECT_EQ(inFlight.pending, 4);
  EXPECT_EQ(inFlight.length, 4);

  // Acked out of order: a commit never skips a job still in flight.
  std::sort(claimed.begin(), claimed.end(),
            [](const auto& a, const auto& b) { return a.messageId < b.messageId; });
  ASSERT_TRUE(finish(queue->ack(claimed[1])));
  ASSERT_TRUE(finish(queue->ack(claimed[3])));
  runFor(300ms);
  EXPECT_GE(statsOf(*queue).lag(), 2);
  ASSERT_TRUE(finish(queue->ack(claimed[0])));
  ASSERT_TRUE(finish(queue->ack(claimed[2])));
  ASSERT_TRUE(runUntil([&] { return statsOf(*queue).lag() == 0; }, 10s));
  EXPECT_FALSE(finish(queue->ack(claimed[0]))) << "a second ack";

  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(finish(queue->enqueue(model::JobEnvelope::stop("c" + std::to_string(i)))));
  QueueStats more = statsOf(*queue);
  EXPECT_EQ(more.waiting, 3);
  EXPECT_EQ(more.length, 7);
  ASSERT_FALSE(more.consumers.empty());
  EXPECT_EQ(more.consumers[0].name, "only");
}

TEST_F(KafkaQueueTest, FailedJobsAreProducedAgainThenDeadLettered) {
  auto queue = consumer("only", 2);
  ASSERT_TRUE(queue);
  ASSERT_TRUE(finish(queue->enqueue(model::JobEnvelope::stop("poison"))));
  ASSERT_TRUE(finish(queue->push("garbage", "{oops")));
  int dead = 0;
  for (int round = 0; round < 3; ++round) {
    std::vector<Delivery> claimed = claimSome(*queue, 1);
    ASSERT_EQ(claimed.size(), 1u) << "round " << round;
    const Delivery& delivery = claimed[0];
    const Error error =
        delivery.decodeError.value_or(Error{G_IO_ERROR, G_IO_ERROR_FAILED, "boom", {}});
    auto outcome = finish(queue->nack(delivery, error, delivery.job ? "worker_job" : "decode"));
    ASSERT_TRUE(outcome) << outcome.error().describe();
    if (*outcome == NackOutcome::DeadLettered) ++dead;
  }
  EXPECT_EQ(dead, 2) << "the poison job after 2 attempts, the garbage at once";
  ASSERT_TRUE(runUntil([&] { return statsOf(*queue).lag() == 0; }, 10s));
  EXPECT_EQ(statsOf(*queue).deadLetters, 2);
  auto letters = finish(queue->deadLetters(10));
  ASSERT_TRUE(letters) << letters.error().describe();
  ASSERT_EQ(letters->size(), 2u);
  std::set<std::string> phases;
  for (const DeadLetter& letter : *letters)
    phases.insert(letter.phase + ":" + std::to_string(letter.attempts));
  EXPECT_EQ(phases, (std::set<std::string>{"worker_job:2", "decode:1"}));
}

TEST_F(KafkaQueueTest, RebalanceWaitsForTheJobInFlightAndNoJobRunsTwice) {
  auto first = consumer("first");
  ASSERT_TRUE(first);
  for (int i = 0; i < 6; ++i)
    ASSERT_TRUE(finish(first->enqueue(model::JobEnvelope::stop("r" + std::to_string(i)))));
  std::vector<Delivery> held = claimSome(*first, 1);
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(first->assignedPartitions().size(), 2u);

  // A second consumer joins while the first holds a job: it gets nothing the first holds.
  auto second = consumer("second");
  ASSERT_TRUE(second);
  std::vector<Delivery> secondGot = claimSome(*second, 6, 8s);
  for (const Delivery& delivery : secondGot)
    EXPECT_NE(delivery.messageId, held[0].messageId) << "a job in flight was handed out again";

  // Done with it: the first gives its partitions up, the group settles, and between them the
  // two consumers run every job. (The mock cluster refuses commits while a rebalance is under
  // way, where Kafka takes them: the held job may come once more, after it was done.)
  ASSERT_TRUE(finish(first->ack(held[0])));
  std::multiset<std::string> ids{held[0].job->broadcastId.value_or("")};
  for (const Delivery& delivery : secondGot) {
    ids.insert(delivery.job->broadcastId.value_or(""));
    ASSERT_TRUE(finish(second->ack(delivery)));
  }
  const std::set<std::string> all{"r0", "r1", "r2", "r3", "r4", "r5"};
  const auto deadline = std::chrono::steady_clock::now() + 40s;
  while (std::set<std::string>(ids.begin(), ids.end()) != all &&
         std::chrono::steady_clock::now() < deadline) {
    for (KafkaQueue* queue : {first.get(), second.get()}) {
      auto one = finish(queue->claim(200ms));
      ASSERT_TRUE(one) << one.error().describe();
      if (!*one) continue;
      ids.insert((*one)->job->broadcastId.value_or(""));
      ASSERT_TRUE(finish(queue->ack(**one)));
    }
  }
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), all);

  // The first leaves: the second holds every partition and runs whatever is not committed yet
  // (on the mock cluster, a job acked while the group was joining), until nothing is left.
  first.reset();
  ASSERT_TRUE(runUntil(
      [&] {
        auto one = finish(second->claim(200ms));
        if (one && *one) {
          EXPECT_TRUE(all.contains((*one)->job->broadcastId.value_or("")));
          EXPECT_TRUE(finish(second->ack(**one)));
          return false;
        }
        return second->assignedPartitions().size() == 2u && statsOf(*second).lag() == 0;
      },
      30s));
}

}  // namespace
}  // namespace su::queue
