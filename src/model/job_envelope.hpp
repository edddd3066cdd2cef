// A job on a queue (Redis Streams, Kafka, in-memory): start a broadcast, or stop one. The wire
// format is the original's: action `start_broadcast` / `stop_broadcast` (`start` / `stop` read
// too), the request as its BroadcastRequest.to_payload() writes it, `queue_kind`. README shows
// a producer in Python and one with kcat.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "model/broadcast_request.hpp"

namespace su::model {

struct JobEnvelope {
  static constexpr std::int64_t kVersion = 1;

  std::int64_t version = kVersion;
  // Unique per job. A producer may leave it out: the queue then names the job after its
  // message (the Redis entry id, the Kafka partition and offset).
  std::string jobId;
  JobAction action = JobAction::Start;
  std::optional<BroadcastRequest> request;   // start
  std::optional<std::string> broadcastId;    // stop
  std::optional<QueueKind> queueKind;        // the queue it was meant for (informative)
  std::int64_t attempt = 0;                  // deliveries that failed before this one
  std::optional<std::int64_t> enqueuedAtMs;  // Unix time in milliseconds
  // Why the last delivery failed, and in which phase: set when a failed job is queued again.
  std::optional<std::string> lastError;
  std::optional<std::string> lastPhase;

  // The broadcast the job is about: the stop's id, or the start request's (may be empty when
  // the request leaves its id to the orchestrator).
  std::string targetId() const;

  static JobEnvelope start(BroadcastRequest request);
  static JobEnvelope stop(std::string broadcastId);

  static Result<JobEnvelope> fromPayload(JsonNode* payload,
                                         std::vector<FieldError>* warnings = nullptr);
  static Result<JobEnvelope> fromPayload(std::string_view text,
                                         std::vector<FieldError>* warnings = nullptr);
  GRef<JsonNode> toPayload() const;

  static JobEnvelope read(json::ObjectReader& reader);
  void normalize();
  void validate(const std::string& path, json::Diagnostics& diagnostics) const;

  friend bool operator==(const JobEnvelope&, const JobEnvelope&) = default;
};

}  // namespace su::model
