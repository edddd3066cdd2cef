#include "model/job_envelope.hpp"

#include "json/writer.hpp"
#include "model/decode.hpp"
#include "model/rules.hpp"

namespace su::model {

namespace {
constexpr std::string_view kWhat = "job envelope";
}  // namespace

JobEnvelope JobEnvelope::start(BroadcastRequest request) {
  JobEnvelope job;
  job.action = JobAction::Start;
  job.request = std::move(request);
  return job;
}

JobEnvelope JobEnvelope::stop(std::string broadcastId) {
  JobEnvelope job;
  job.action = JobAction::Stop;
  job.broadcastId = std::move(broadcastId);
  return job;
}

Result<JobEnvelope> JobEnvelope::fromPayload(JsonNode* payload, std::vector<FieldError>* warnings) {
  return decode<JobEnvelope>(payload, kWhat, warnings);
}

Result<JobEnvelope> JobEnvelope::fromPayload(std::string_view text,
                                             std::vector<FieldError>* warnings) {
  return decodeText<JobEnvelope>(text, kWhat, warnings);
}

JobEnvelope JobEnvelope::read(json::ObjectReader& reader) {
  JobEnvelope job;
  job.version = reader.integer("version").value_or(kVersion);
  job.jobId = reader.string("job_id").value_or("");
  job.action = required(reader, "action", readEnum<JobAction>(reader, "action"), JobAction::Start);
  if (auto request = reader.object("request")) job.request = BroadcastRequest::read(*request);
  job.broadcastId = reader.string("broadcast_id");
  job.queueKind = readEnum<QueueKind>(reader, "queue_kind");
  job.attempt = reader.integer("attempt").value_or(0);
  job.enqueuedAtMs = reader.integer("enqueued_at_ms");
  job.lastError = reader.string("last_error");
  job.lastPhase = reader.string("last_phase");
  reader.rejectUnknownFields();
  return job;
}

void JobEnvelope::normalize() {
  if (request) request->normalize();
}

void JobEnvelope::validate(const std::string& path, json::Diagnostics& diagnostics) const {
  auto at = [&](std::string_view key) { return json::childPath(path, key); };
  if (version != kVersion) {
    diagnostics.error(at("version"), "unsupported version " + std::to_string(version) +
                                         " (this build reads " + std::to_string(kVersion) + ")");
  }
  if (jobId.size() > 128) diagnostics.error(at("job_id"), "must be at most 128 characters");
  checkRange(diagnostics, at("attempt"), attempt, 0, kMaxId);
  checkRange(diagnostics, at("enqueued_at_ms"), enqueuedAtMs, 0, kMaxId);
  if (action == JobAction::Start) {
    if (request) {
      request->validate(at("request"), diagnostics);
    } else {
      diagnostics.error(at("request"), "required for action start");
    }
    if (broadcastId) {
      diagnostics.error(at("broadcast_id"), "only for action stop (use request.broadcast_id)");
    }
  } else {
    if (!broadcastId || broadcastId->empty()) {
      diagnostics.error(at("broadcast_id"), "required for action stop");
    }
    checkAbsent(diagnostics, at("request"), request, "action start");
  }
}

GRef<JsonNode> JobEnvelope::toPayload() const {
  json::ObjectWriter out;
  out.set("version", version);
  if (!jobId.empty()) out.set("job_id", jobId);
  out.set("action", nameOf(action));
  if (request) out.set("request", request->toPayload());
  out.set("broadcast_id", broadcastId);
  if (queueKind) out.set("queue_kind", nameOf(*queueKind));
  out.set("attempt", attempt)
      .set("enqueued_at_ms", enqueuedAtMs)
      .set("last_error", lastError)
      .set("last_phase", lastPhase);
  return out.node();
}

std::string JobEnvelope::targetId() const {
  if (broadcastId) return *broadcastId;
  if (request && request->broadcastId) return *request->broadcastId;
  return {};
}

}  // namespace su::model
