// Jobs on a Redis stream, read by a consumer group (README, "Queues", has the entry format).
//
// - The group is created on demand (MKSTREAM), reading the stream from its start, so that jobs
//   added before the first worker are not skipped.
// - Blocking reads (XREADGROUP BLOCK) have a connection of their own: replies come in order, so
//   a blocking read on the command connection would hold every ack behind it.
// - A job whose consumer stayed idle past the visibility timeout is reclaimed with XAUTOCLAIM; a
//   consumer restarted under the same name first reads back its own pending jobs.
// - A failed job is added again with attempt + 1 and acknowledged in one MULTI; after
//   max_attempts it goes to the dead-letter stream (`STREAM:dead` unless set) with its error.
// - The stream is capped with MAXLEN ~.
#pragma once

#include "queue/queue.hpp"
#include "queue/redis_connection.hpp"

namespace su::queue {

struct RedisQueueConfig {
  RedisAddress address;
  std::string stream = "streaming-utils:jobs";
  std::string group = "streaming-utils";
  std::string deadLetterStream;  // empty: `stream` + ":dead"
};

// Reading Redis's replies (what a Redis server, or anything posing as one, sends):
// An entry ([id, [field, value, ...]]) as a delivery: its `job` field decoded, or why it is not a
// job. Fields are nil for an entry trimmed away while pending.
Delivery deliveryOf(const RedisReply& entry);
// XREADGROUP's reply ([[stream, [entry...]]], nil when the block timed out): its first entry.
std::optional<Delivery> firstEntry(const RedisReply& reply);
// XREVRANGE of the dead-letter stream: its letters (entries without fields skipped).
std::vector<DeadLetter> readDeadLetters(const RedisReply& entries);

class RedisQueue final : public JobQueue {
 public:
  RedisQueue(GMainContext* context, RedisQueueConfig config, QueueOptions options);

  model::QueueKind kind() const noexcept override { return model::QueueKind::Redis; }
  std::string name() const override;
  Task<std::string> push(std::string key, std::string payload) override;
  Task<std::optional<Delivery>> claim(Milliseconds wait) override;
  Task<void> ack(Delivery delivery) override;
  Task<void> touch(Delivery delivery) override;
  Task<QueueStats> stats() override;
  Task<std::vector<DeadLetter>> deadLetters(std::size_t count) override;

 protected:
  Task<void> requeue(Delivery delivery, std::string key, std::string payload) override;
  Task<void> bury(Delivery delivery, DeadLetter letter) override;

 private:
  Task<void> ensureGroup();
  Task<std::optional<Delivery>> ownPending();
  Task<std::optional<Delivery>> reclaim();  // at most every reclaimEveryUs()
  std::int64_t reclaimEveryUs() const;
  Task<std::optional<Delivery>> readNew(Milliseconds wait);
  // A job handed out too often (XPENDING's count) goes to the dead letter: true then.
  Task<bool> buryIfDeadly(Delivery delivery);
  std::vector<std::string> addCommand(const std::string& stream,
                                      std::vector<std::string> fields) const;
  // A command's NOGROUP error: the group went (Redis restarted empty): create it again.
  void noteGroupLost(const Error& error);

  RedisQueueConfig config_;
  RedisConnection commands_;
  RedisConnection reads_;
  bool groupReady_ = false;
  std::optional<std::string> ownCursor_ = "0";  // reading back our own pending jobs until empty
  std::string reclaimCursor_ = "0-0";
  std::int64_t lastReclaimUs_ = 0;
};

}  // namespace su::queue
