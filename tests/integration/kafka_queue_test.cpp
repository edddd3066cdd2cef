// The Kafka queue on librdkafka's mock cluster (real Kafka protocol on loopback): offsets
// committed only after ack, lag against what was produced and consumed, the dead-letter topic,
// and two consumers through a rebalance without a job running twice at once.
#include "queue/kafka_queue.hpp"

#include <gtest/gtest.h>

#include <set>

#include "queue/queue_url.hpp"
#include "support/kafka_mock.hpp"
#include "support/main_context_test.hpp"
#include "support/test_data.hpp"

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

// librdkafka's security settings pass through from the URL (or serve's [kafka] group) to every
// client. The mock cluster speaks neither TLS nor SASL, which is as far as this can be tried: a
// client that asks for either is refused by it, and the enqueue fails with the brokers' own words
// within the delivery timeout, without the password.
TEST_F(KafkaQueueTest, SecuritySettingsReachLibrdkafkaAndARefusedLoginIsClearWithinSeconds) {
  auto url = parseQueueUrl(kafka->url("jobs") +
                           "&security.protocol=SASL_PLAINTEXT&sasl.mechanisms=PLAIN"
                           "&sasl.username=ingest&sasl.password=wrong-pw");
  ASSERT_TRUE(url) << url.error().message;
  ASSERT_EQ(url->kafka.settings.size(), 4u);
  EXPECT_NE(std::find(url->kafka.settings.begin(), url->kafka.settings.end(),
                      std::pair<std::string, std::string>{"security.protocol", "SASL_PLAINTEXT"}),
            url->kafka.settings.end());
  EXPECT_FALSE(parseQueueUrl(kafka->url("jobs") + "&enable.auto.commit=true"))
      << "only security settings pass through";

  auto invalid = KafkaQueue::open(
      context(),
      {.brokers = kafka->brokers(), .topic = "jobs", .settings = {{"security.protocol", "NOPE"}}},
      {});
  ASSERT_FALSE(invalid);
  EXPECT_NE(invalid.error().message.find("Kafka setting security.protocol"), std::string::npos)
      << invalid.error().message;

  auto refused = [&](const std::vector<std::pair<std::string, std::string>>& settings) {
    auto queue = KafkaQueue::open(
        context(), {.brokers = kafka->brokers(), .topic = "jobs", .settings = settings}, {});
    EXPECT_TRUE(queue) << queue.error().message;
    if (!queue) return std::string();
    const auto started = std::chrono::steady_clock::now();
    auto id = finish((*queue)->enqueue(model::JobEnvelope::stop("b")), 30s);
    EXPECT_LT(std::chrono::steady_clock::now() - started, kKafkaDeliveryTimeout + 3s);
    EXPECT_FALSE(id) << "the mock cluster took a job from a client it cannot understand";
    return id ? std::string() : id.error().message;
  };
  const std::string login = refused(url->kafka.settings);
  EXPECT_NE(login.find("SASL"), std::string::npos) << login;
  EXPECT_EQ(login.find("wrong-pw"), std::string::npos) << login;

  const std::string tls = refused(
      {{"security.protocol", "SSL"}, {"ssl.ca.location", test::testDataPath("tls/ca.pem")}});
  EXPECT_NE(tls.find("SSL"), std::string::npos) << tls;
}

// An enqueue while every broker is down answers within the delivery timeout, not after
// librdkafka's default of 300 s; once they are back, enqueues work again.
TEST_F(KafkaQueueTest, AnEnqueueWhileEveryBrokerIsDownFailsWithinSeconds) {
  auto queue = consumer("only");
  ASSERT_TRUE(queue);
  ASSERT_TRUE(finish(queue->enqueue(model::JobEnvelope::stop("before"))));
  kafka->brokersDown();
  const auto started = std::chrono::steady_clock::now();
  auto down = finish(queue->enqueue(model::JobEnvelope::stop("during")), 30s);
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(down);
  std::printf(
      "an enqueue with every broker down failed after %lld ms\n",
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  EXPECT_LT(took, kKafkaDeliveryTimeout + 3s);
  EXPECT_NE(down.error().message.find("Kafka did not take the job within 10000 ms"),
            std::string::npos)
      << down.error().message;
  kafka->brokersUp();
  EXPECT_TRUE(runUntil(
      [&] { return finish(queue->enqueue(model::JobEnvelope::stop("after")), 15s).ok(); }, 30s));
}

}  // namespace
}  // namespace su::queue
