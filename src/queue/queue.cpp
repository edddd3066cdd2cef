#include "queue/queue.hpp"

#include <unistd.h>

#include "core/log.hpp"
#include "json/parse.hpp"
#include "json/reader.hpp"
#include "json/writer.hpp"
#include "model/redaction.hpp"

#define GST_CAT_DEFAULT su::log::queue

namespace su::queue {

GQuark errorDomainOf(QueueError) {
  return g_quark_from_static_string("su-queue-error");
}

std::int64_t nowMs() {
  return g_get_real_time() / 1000;
}

std::string defaultConsumerName() {
  return std::string(g_get_host_name()) + "-" + std::to_string(getpid());
}

std::string keyOf(const model::JobEnvelope& job) {
  std::string key = job.targetId();
  return key.empty() ? job.jobId : key;
}

Delivery decodeDelivery(std::string messageId, std::string payload) {
  Delivery delivery{.messageId = std::move(messageId), .payload = std::move(payload)};
  auto job = model::JobEnvelope::fromPayload(delivery.payload);
  if (job) {
    if (job->jobId.empty()) job->jobId = delivery.messageId;
    delivery.job = std::move(*job);
  } else {
    delivery.decodeError = job.error();
  }
  return delivery;
}

json::Value QueueStats::toJson() const {
  std::vector<GRef<JsonNode>> consumerNodes;
  for (const ConsumerStats& consumer : consumers) {
    json::ObjectWriter entry;
    entry.set("name", consumer.name)
        .set("pending", consumer.pending)
        .set("idle_ms", consumer.idleMs);
    consumerNodes.push_back(entry.node());
  }
  json::ObjectWriter out;
  out.set("kind", model::nameOf(kind))
      .set("queue", name)
      .set("length", length)
      .set("waiting", waiting)
      .set("pending", pending)
      .set("lag", lag())
      .set("dead_letters", deadLetters)
      .set("consumers", json::arrayOf(consumerNodes));
  return json::Value::of(out.node());
}

GRef<JsonNode> DeadLetter::toJson() const {
  json::ObjectWriter out;
  if (!messageId.empty()) out.set("message_id", messageId);
  out.set("job", payload)
      .set("error", error)
      .set("phase", phase)
      .set("attempts", attempts)
      .set("source_id", sourceId)
      .set("failed_at_ms", failedAtMs);
  return out.node();
}

DeadLetter DeadLetter::fromValue(std::string messageId, std::string_view value) {
  DeadLetter letter{.messageId = std::move(messageId)};
  auto node = json::parse(value);
  json::Diagnostics ignored;  // a field of the wrong type is shown empty
  auto reader = node ? json::ObjectReader::fromNode(node->get(), "", ignored) : std::nullopt;
  if (!reader) return letter;
  letter.payload = reader->string("job").value_or("");
  letter.error = reader->string("error").value_or("");
  letter.phase = reader->string("phase").value_or("");
  letter.sourceId = reader->string("source_id").value_or("");
  letter.attempts = reader->integer("attempts").value_or(0);
  letter.failedAtMs = reader->integer("failed_at_ms").value_or(0);
  return letter;
}

DeadLetter JobQueue::abandoned(const Delivery& delivery, std::int64_t deliveries) {
  GST_WARNING("job %s was handed out %" G_GINT64_FORMAT
              " times and no worker finished it: dead letter",
              delivery.messageId.c_str(), deliveries);
  return DeadLetter{.sourceId = delivery.messageId,
                    .payload = delivery.payload,
                    .error = "handed out " + std::to_string(deliveries) +
                             " times; each worker stopped before it finished",
                    .phase = "reclaim",
                    .attempts = deliveries - 1,
                    .failedAtMs = nowMs()};
}

JobQueue::JobQueue(QueueOptions options) : options_(std::move(options)) {
  if (options_.consumer.empty()) options_.consumer = defaultConsumerName();
  if (options_.maxAttempts < 1) options_.maxAttempts = 1;
}

Task<std::string> JobQueue::enqueue(model::JobEnvelope job) {
  if (!job.enqueuedAtMs) job.enqueuedAtMs = nowMs();
  if (!job.queueKind) job.queueKind = kind();
  const std::string key = keyOf(job);
  co_return co_await push(key, json::Value::of(job.toPayload()).toString());
}

Task<void> JobQueue::release(Delivery delivery) {
  if (!delivery.job) co_return co_await requeue(delivery, delivery.messageId, delivery.payload);
  // As it was, with the job id it has had since its first delivery.
  co_return co_await requeue(delivery, keyOf(*delivery.job),
                             json::Value::of(delivery.job->toPayload()).toString());
}

Task<NackOutcome> JobQueue::nack(Delivery delivery, Error error, std::string phase) {
  const std::int64_t attempts = delivery.job ? delivery.job->attempt + 1 : 1;
  // What the queue keeps and the log shows of the failure: masked, whatever raised it.
  const std::string reason = model::redactText(error.describe());
  if (delivery.job && attempts < options_.maxAttempts) {
    model::JobEnvelope again = *delivery.job;
    again.attempt = attempts;
    again.lastError = reason;
    again.lastPhase = phase;
    GST_INFO("job %s failed in %s (attempt %" G_GINT64_FORMAT " of %d): queued again",
             again.jobId.c_str(), phase.c_str(), attempts, options_.maxAttempts);
    auto requeued =
        co_await requeue(delivery, keyOf(again), json::Value::of(again.toPayload()).toString());
    if (!requeued) co_return requeued.error();
    co_return NackOutcome::Requeued;
  }
  GST_WARNING("message %s goes to the dead letter after %" G_GINT64_FORMAT " attempt(s), in %s: %s",
              delivery.messageId.c_str(), attempts, phase.c_str(), reason.c_str());
  DeadLetter letter{.sourceId = delivery.messageId,
                    .payload = delivery.payload,
                    .error = reason,
                    .phase = std::move(phase),
                    .attempts = attempts,
                    .failedAtMs = nowMs()};
  auto buried = co_await bury(delivery, std::move(letter));
  if (!buried) co_return buried.error();
  co_return NackOutcome::DeadLettered;
}

}  // namespace su::queue
