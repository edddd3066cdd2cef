// A job on a queue (Redis Streams, Kafka, in-memory): start a broadcast, or stop one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "model/broadcast_request.hpp"

namespace su::model {

struct JobEnvelope {
  static constexpr std::int64_t kVersion = 1;

  std::int64_t version = kVersion;
  std::string jobId;  // unique per job: the consumer's deduplication key
  JobAction action = JobAction::Start;
  std::optional<BroadcastRequest> request;   // start
  std::optional<std::string> broadcastId;    // stop
  std::int64_t attempt = 0;                  // deliveries before this one
  std::optional<std::int64_t> enqueuedAtMs;  // Unix time in milliseconds

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
