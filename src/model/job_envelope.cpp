#include "model/job_envelope.hpp"

#include "json/writer.hpp"
#include "model/decode.hpp"
#include "model/rules.hpp"

namespace su::model {

namespace {
constexpr std::string_view kWhat = "job envelope";
}  // namespace

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
  job.jobId = required(reader, "job_id", reader.string("job_id"));
  job.action = required(reader, "action", readEnum<JobAction>(reader, "action"), JobAction::Start);
  if (auto request = reader.object("request")) job.request = BroadcastRequest::read(*request);
  job.broadcastId = reader.string("broadcast_id");
  job.attempt = reader.integer("attempt").value_or(0);
  job.enqueuedAtMs = reader.integer("enqueued_at_ms");
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
  if (jobId.empty() || jobId.size() > 128)
    diagnostics.error(at("job_id"), "must be 1-128 characters");
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
  out.set("version", version).set("job_id", jobId).set("action", nameOf(action));
  if (request) out.set("request", request->toPayload());
  out.set("broadcast_id", broadcastId).set("attempt", attempt).set("enqueued_at_ms", enqueuedAtMs);
  return out.node();
}

}  // namespace su::model
