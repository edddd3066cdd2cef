// Jobs on a Kafka topic, read by a consumer group (README, "Queues", has the key and value).
//
// - Produced with the broadcast id as key: one broadcast's jobs stay in order on one partition.
// - Offsets are committed only after ack or nack, and per partition only as far as every job
//   before is done: with jobs running side by side, a commit never skips one still running.
// - A nack produces the job again with attempt + 1 (or to the dead-letter topic, `TOPIC.dead`
//   unless set) and commits once Kafka has it: at least once, never lost.
// - A rebalance that takes a partition away waits for the jobs of that partition in flight to
//   finish before giving it up, so that its new owner never runs a job this one still runs;
//   jobs fetched for it and not claimed yet are dropped (the new owner reads them again).
// - librdkafka's threads reach the control context through one hand-over: a pipe that wakes a
//   GLib source, which serves librdkafka's queues (delivery reports, messages, rebalances) on
//   the control context. Blocking queries (stats, dead letters) run on a thread of their own
//   with a client of their own, and hand their result back.
#pragma once

#include <deque>
#include <map>
#include <set>

#include "queue/queue.hpp"

struct rd_kafka_topic_partition_list_s;

namespace su::queue {

struct KafkaQueueConfig {
  std::string brokers;  // host:port[,host:port...]
  std::string topic = "streaming-utils.jobs";
  std::string group = "streaming-utils";
  std::string deadLetterTopic;  // empty: `topic` + ".dead"
  // librdkafka's security settings for every client of the queue (isKafkaSecuritySetting): SSL,
  // SASL PLAIN/SCRAM/OAUTHBEARER, as URL options or serve's [kafka] group.
  std::vector<std::pair<std::string, std::string>> settings;
};

// The librdkafka properties a configuration may pass through: security.protocol, ssl.*, sasl.*.
// The rest the queue sets itself (offsets, sessions, timeouts).
bool isKafkaSecuritySetting(std::string_view key);

// How long an enqueue waits for Kafka to take a job (librdkafka's message.timeout.ms defaults to
// 300 s, and would hold a client that long while every broker is down).
inline constexpr Milliseconds kKafkaDeliveryTimeout{10'000};

class KafkaQueue final : public JobQueue {
 public:
  static Result<std::unique_ptr<KafkaQueue>> open(GMainContext* context, KafkaQueueConfig config,
                                                  QueueOptions options);
  // Leaves the group (its partitions go to the other consumers at once) and waits, bounded,
  // for what was produced to be delivered.
  ~KafkaQueue() override;

  model::QueueKind kind() const noexcept override { return model::QueueKind::Kafka; }
  std::string name() const override;
  Task<std::string> push(std::string key, std::string payload) override;
  Task<std::optional<Delivery>> claim(Milliseconds wait) override;
  Task<void> ack(Delivery delivery) override;
  // Kafka has no per-message lease: a consumer holds its partitions while it polls.
  Task<void> touch(Delivery delivery) override;
  Task<QueueStats> stats() override;
  Task<std::vector<DeadLetter>> deadLetters(std::size_t count) override;

  // Partitions this consumer holds now (for tests and stats).
  std::vector<int> assignedPartitions() const;

 protected:
  Task<void> requeue(Delivery delivery, std::string key, std::string payload) override;
  Task<void> bury(Delivery delivery, DeadLetter letter) override;

 private:
  struct Client;  // an rd_kafka_t with its wake-up pipe and GLib source
  struct Message {
    int partition = 0;
    std::int64_t offset = 0;
    std::string payload;
  };
  struct Partition {
    std::set<std::int64_t> inFlight;  // claimed, not acked
    std::int64_t next = -1;           // after the last offset handed out
    std::int64_t committed = -1;
  };

  KafkaQueue(GMainContext* context, KafkaQueueConfig config, QueueOptions options);
  Result<void> startConsumer();
  // Produces a job: its partition/offset once Kafka has it, or why not within
  // kKafkaDeliveryTimeout.
  Task<std::string> produce(std::string topic, std::string key, std::string payload);
  Task<std::string> delivery(std::string topic, std::string key, std::string payload);
  Error notTaken() const;
  void serveProducer();
  void serveConsumer();
  void onDelivered(std::uintptr_t token, Result<std::string> result);
  void onRebalance(int error, rd_kafka_topic_partition_list_s* partitions);
  void finishRevokeIfIdle();
  Result<void> settle(const std::string& messageId);  // ack's bookkeeping and commit
  Task<void> arrived();

  friend struct KafkaTrampolines;  // librdkafka's C callbacks (kafka_queue.cpp)

  GRef<GMainContext> context_;
  KafkaQueueConfig config_;
  std::unique_ptr<Client> producer_;
  std::unique_ptr<Client> consumer_;  // joins the group at the first claim
  std::map<std::uintptr_t, Callback<std::string>> deliveries_;
  std::uintptr_t nextToken_ = 1;
  std::deque<Message> fetched_;
  Condition arrivedChanged_;
  std::map<int, Partition> partitions_;  // assigned
  std::set<int> revoking_;               // given up once their jobs finished
  bool closing_ = false;
  // The consumer lost its brokers (every one, a connection, or its group's coordinator for the
  // session timeout, as behind a network partition): a claim fails with it until they answer.
  std::optional<Error> brokersLost_;
  // What the brokers last said to the producer (a refused login, a failed TLS handshake): told
  // with an enqueue that timed out.
  std::optional<std::string> producerTrouble_;
};

}  // namespace su::queue
