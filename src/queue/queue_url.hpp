// Queue URLs, as the command line and the service take them (README, "Queues"):
//   memory:
//   redis://[user:password@]host[:port][/db]?stream=S&group=G
//   kafka://broker[:port][,broker...]/topic?group=G
// and, on any of them, the consumer's options: consumer=NAME, max_attempts=N,
// visibility_ms=N, max_length=N, dead_letter=STREAM-OR-TOPIC.
#pragma once

#include <memory>
#include <string_view>

#include "queue/kafka_queue.hpp"
#include "queue/queue.hpp"
#include "queue/redis_queue.hpp"

namespace su::queue {

struct QueueUrl {
  model::QueueKind kind = model::QueueKind::Memory;
  RedisQueueConfig redis;
  KafkaQueueConfig kafka;
  QueueOptions options;
};

Result<QueueUrl> parseQueueUrl(std::string_view url);
// A Redis server alone: redis://[user:password@]host[:port][/db] (the cluster's store).
Result<RedisAddress> parseRedisAddress(std::string_view url);
// The queue a parsed URL names, on `context`.
Result<std::unique_ptr<JobQueue>> openQueue(GMainContext* context, const QueueUrl& url);

}  // namespace su::queue
