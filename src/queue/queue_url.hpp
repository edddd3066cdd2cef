// Queue URLs, as the command line and the service take them (README, "Queues"):
//   memory:
//   redis://[user:password@]host[:port][/db]?stream=S&group=G
//   rediss://...: the same over TLS, with tls_ca=FILE, tls_cert=FILE&tls_key=FILE (a client
//   certificate), tls_server_name=NAME
//   kafka://broker[:port][,broker...]/topic?group=G, with librdkafka's security settings as
//   options too: security.protocol=SASL_SSL&sasl.mechanisms=SCRAM-SHA-256&sasl.username=...
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
// A Redis server alone: redis[s]://[user:password@]host[:port][/db][?tls options] (the cluster's
// store).
Result<RedisAddress> parseRedisAddress(std::string_view url);
// The queue a parsed URL names, on `context` (its TLS files loaded and checked first).
Result<std::unique_ptr<JobQueue>> openQueue(GMainContext* context, const QueueUrl& url);

}  // namespace su::queue
