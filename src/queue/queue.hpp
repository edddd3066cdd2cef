// JobQueue: where broadcast jobs wait for a worker. One interface over three backends — in
// memory, Redis Streams, Kafka — with the same semantics: a claimed job is the consumer's until
// it is acknowledged; a failed one is queued again with its attempt counted and its error, and
// after max_attempts (or at once, when it cannot be decoded) it goes to the dead letter with its
// reason. Backends carry jobs; they never run them (that is the worker's).
//
// Every operation is a task on the queue's control context; none blocks it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/backoff.hpp"
#include "core/task.hpp"
#include "json/value.hpp"
#include "model/job_envelope.hpp"

namespace su::queue {

enum class QueueError {
  InvalidUrl = 1,  // a queue URL this build cannot use
  Unreachable,     // the server cannot be reached, or the connection was lost
  Timeout,         // the server did not answer in time
  Refused,         // the server answered with an error (wrong password, wrong type...)
  Closed,          // the queue was closed
  UnknownMessage,  // ack or nack of a message this queue did not hand out
};
GQuark errorDomainOf(QueueError);

struct QueueOptions {
  // This consumer's name in its group; the default is `hostname-pid`.
  std::string consumer;
  // Deliveries before a failing job goes to the dead letter.
  int maxAttempts = 3;
  // A claimed job not acknowledged (nor touched) for this long is handed to another consumer:
  // its worker is taken for dead.
  Milliseconds visibilityTimeout{60'000};
  // Entries kept in a stream (approximately: Redis trims whole nodes).
  std::int64_t maxLength = 100'000;
  Milliseconds connectTimeout{5'000};
  Milliseconds commandTimeout{5'000};
};

// A job handed to this consumer.
struct Delivery {
  std::string messageId;  // the backend's: Redis entry id, Kafka "partition/offset", memory n
  std::string payload;    // the job as enqueued
  // Decoded, with the job id defaulting to the message id; absent when the payload cannot be.
  std::optional<model::JobEnvelope> job;
  std::optional<Error> decodeError;
  bool reclaimed = false;  // taken over from a consumer that did not finish it
};

// A job that will not run: why, after how many attempts.
struct DeadLetter {
  std::string messageId;  // in the dead letter
  std::string sourceId;   // the message it was
  std::string payload;    // as delivered (may be anything, for a payload that did not decode)
  std::string error;
  std::string phase;
  std::int64_t attempts = 0;
  std::int64_t failedAtMs = 0;

  // {"job", "error", "phase", "attempts", "source_id", "failed_at_ms"} (and "message_id" when
  // known): a Kafka dead letter's value, and what `queue stats --dead` prints.
  GRef<JsonNode> toJson() const;
  // A Kafka dead letter's value read back (what is missing or mistyped left empty: a dead letter
  // is shown whatever it holds).
  static DeadLetter fromValue(std::string messageId, std::string_view value);
};

struct ConsumerStats {
  std::string name;
  std::int64_t pending = 0;            // claimed, not acknowledged
  std::optional<std::int64_t> idleMs;  // since it last read or claimed
};

struct QueueStats {
  model::QueueKind kind = model::QueueKind::Memory;
  std::string name;          // the URL, without secrets
  std::int64_t length = 0;   // entries held (acknowledged ones included, until trimmed)
  std::int64_t waiting = 0;  // not yet handed to any consumer of the group
  std::int64_t pending = 0;  // handed out, not acknowledged
  std::int64_t deadLetters = 0;
  std::vector<ConsumerStats> consumers;

  // The backlog that autoscaling reads: jobs not finished.
  std::int64_t lag() const noexcept { return waiting + pending; }
  json::Value toJson() const;
};

enum class NackOutcome { Requeued, DeadLettered };

class JobQueue {
 public:
  explicit JobQueue(QueueOptions options);
  virtual ~JobQueue() = default;

  virtual model::QueueKind kind() const noexcept = 0;
  // The queue's URL without its password.
  virtual std::string name() const = 0;
  const QueueOptions& options() const noexcept { return options_; }

  // Adds a start or stop job (its enqueued_at_ms and queue_kind filled in); its message id.
  Task<std::string> enqueue(model::JobEnvelope job);
  // Adds a payload as it is (what a producer without this library writes), under `key` (the
  // broadcast id: Kafka keeps one key's jobs in order).
  virtual Task<std::string> push(std::string key, std::string payload) = 0;

  // The next job for this consumer, waiting up to `wait` for one; nothing if none came. Jobs of
  // consumers idle past the visibility timeout are reclaimed first.
  virtual Task<std::optional<Delivery>> claim(Milliseconds wait) = 0;
  virtual Task<void> ack(Delivery delivery) = 0;
  // A job that failed in `phase`: queued again with attempt + 1 and its error, or moved to the
  // dead letter after max_attempts or when it could not be decoded; the delivery acknowledged
  // in the same step.
  Task<NackOutcome> nack(Delivery delivery, Error error, std::string phase);
  // Not for this consumer after all (its node is full): queued again as it was, for another,
  // its attempt not counted; acknowledged in the same step.
  Task<void> release(Delivery delivery);
  // Still working on it: the job stays this consumer's for another visibility timeout.
  virtual Task<void> touch(Delivery delivery) = 0;

  virtual Task<QueueStats> stats() = 0;
  // The newest dead letters, newest first.
  virtual Task<std::vector<DeadLetter>> deadLetters(std::size_t count) = 0;

  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

 protected:
  // Atomically: add `payload` again under `key`, acknowledge `delivery`.
  virtual Task<void> requeue(Delivery delivery, std::string key, std::string payload) = 0;
  // Atomically: add `letter` to the dead letter, acknowledge `delivery`.
  virtual Task<void> bury(Delivery delivery, DeadLetter letter) = 0;

  // A job reclaimed for the `deliveries`-th time: every worker that had it went quiet. Past
  // max_attempts it is taken for a job that kills its workers: the dead letter (phase
  // "reclaim"), instead of the next worker.
  bool killsItsWorkers(std::int64_t deliveries) const noexcept {
    return deliveries > options_.maxAttempts;
  }
  static DeadLetter abandoned(const Delivery& delivery, std::int64_t deliveries);

  QueueOptions options_;
};

// A payload decoded into a delivery: the job, or why it is not one.
Delivery decodeDelivery(std::string messageId, std::string payload);
// The key a job is queued under: the broadcast it is about, or its job id.
std::string keyOf(const model::JobEnvelope& job);
// `hostname-pid`: a consumer name unique on the machine.
std::string defaultConsumerName();
std::int64_t nowMs();

}  // namespace su::queue
