#include "service/broadcast_service.hpp"

#include "core/log.hpp"
#include "json/writer.hpp"
#include "model/decode.hpp"
#include "model/redaction.hpp"

#define GST_CAT_DEFAULT su::log::orchestrator

namespace su::service {

GQuark errorDomainOf(ServiceError) {
  return g_quark_from_static_string("su-service-error");
}

BroadcastService::BroadcastService(GMainContext* context, ServiceOptions options,
                                   orchestrator::Observer observer)
    : context_(GRef<GMainContext>::ref(context)),
      options_(std::move(options)),
      observer_(std::move(observer)),
      deferred_(context),
      tasks_(context) {}

BroadcastService::~BroadcastService() {
  connect_.reset();
  tasks_.cancelAll();
  orchestrator_.reset();  // stops every broadcast while Janus is still there
  outputServers_.reset();
  relays_.reset();
  if (connection_) connection_->session().removeListener(&janusWatch_);
  connection_.reset();
}

void BroadcastService::JanusWatch::onSessionLost(const Error& reason) {
  GST_WARNING("lost the Janus session: %s", model::redactText(reason.message).c_str());
}

void BroadcastService::JanusWatch::onSessionRestored() {
  if (service_.orchestrator_) service_.orchestrator_->janusRestored();
}

void BroadcastService::connect(Callback<void> done) {
  connect_ = connecting();
  connect_.start(context_.get(), std::move(done));
}

Task<void> BroadcastService::connecting() {
  auto connection = janus::Connection::create(context_.get(), options_.janus);
  if (!connection) co_return connection.error();
  connection_ = std::move(connection).value();
  connection_->session().addListener(&janusWatch_);
  const Result<void> connected =
      co_await call<void>([this](Callback<void> done) { connection_->connect(std::move(done)); });
  if (!connected) co_return connected;
  relays_ = std::make_unique<orchestrator::DefaultRelayFactory>(context_.get(), options_.relay);
  outputServers_ = std::make_unique<orchestrator::JanusServers>(context_.get(), options_.janus);
  orchestrator_ = std::make_unique<orchestrator::BroadcastOrchestrator>(
      context_.get(),
      orchestrator::Backends{.streaming = connection_->streaming(),
                             .videoroom = &connection_->videoroom(),
                             .relays = *relays_,
                             .outputServers = outputServers_.get()},
      options_.broadcast, observer_);
  outputServers_->onRestored = [this](const std::string& url) {
    if (orchestrator_) orchestrator_->outputJanusRestored(url);
  };
  co_return {};
}

void BroadcastService::start(std::string_view json, Callback<model::BroadcastResult> done) {
  auto request = model::decodeText<model::BroadcastRequest>(json, "broadcast request");
  if (!request) {
    deferred_.post([done, error = request.error()] { done(error); });
    return;
  }
  start(std::move(request).value(), std::move(done));
}

void BroadcastService::start(JsonNode* payload, Callback<model::BroadcastResult> done) {
  auto request = model::decode<model::BroadcastRequest>(payload, "broadcast request");
  if (!request) {
    deferred_.post([done, error = request.error()] { done(error); });
    return;
  }
  start(std::move(request).value(), std::move(done));
}

void BroadcastService::start(model::BroadcastRequest request,
                             Callback<model::BroadcastResult> done) {
  if (!orchestrator_) {
    deferred_.post([done] {
      done(makeError(ServiceError::NotConnected, "not connected to Janus: connect() first"));
    });
    return;
  }
  orchestrator_->start(std::move(request), std::move(done));
}

void BroadcastService::stop(const std::string& id, Callback<model::BroadcastResult> done) {
  if (!orchestrator_) {
    deferred_.post([done, id] {
      done(makeError(ServiceError::NotConnected, "no broadcast " + id + ": not connected"));
    });
    return;
  }
  orchestrator_->stop(id, std::move(done));
}

void BroadcastService::stopAll(std::function<void()> done) {
  if (!orchestrator_) {
    deferred_.post(done, done);
    return;
  }
  orchestrator_->stopAll(std::move(done));
}

void BroadcastService::healthReport(std::function<void(orchestrator::AggregateHealth)> done) {
  if (!orchestrator_) {
    orchestrator::AggregateHealth none{.healthy = false};
    deferred_.post([done, none] { done(none); });
    return;
  }
  orchestrator_->health(std::move(done));
}

void BroadcastService::health(std::function<void(json::Value)> done) {
  tasks_.spawn(reportHealth(std::move(done)));
}

Task<void> BroadcastService::reportHealth(std::function<void(json::Value)> done) {
  auto health = co_await call<orchestrator::AggregateHealth>(
      [this](Callback<orchestrator::AggregateHealth> answer) {
        healthReport([answer](orchestrator::AggregateHealth report) { answer(std::move(report)); });
      });
  if (!health || !orchestrator_) {
    done(json::Value::of(
        json::ObjectWriter().set("healthy", false).set("error", "not connected to Janus").node()));
    co_return {};
  }
  done(healthToJson(*health, *orchestrator_));
  co_return {};
}

namespace {

json::ObjectWriter relayJson(const supervisor::RelayStats& stats) {
  std::vector<GRef<JsonNode>> tracks;
  for (const supervisor::TrackStats& track : stats.tracks) {
    json::ObjectWriter entry;
    entry.set("mid", track.mid);
    if (track.output > 0) entry.set("output", static_cast<std::int64_t>(track.output));
    tracks.push_back(entry.set("type", model::nameOf(track.type))
                         .set("packets", static_cast<std::int64_t>(track.packets))
                         .set("bytes", static_cast<std::int64_t>(track.bytes))
                         .set("bitrate_kbps", track.bitrateKbps)
                         .set("last_packet_age_ms", track.lastPacketAgeMs)
                         .set("rtcp_received", track.rtcpReceived)
                         .set("keyframe_requests", track.keyframeRequests)
                         .set("first_packet_ms", track.firstPacketMs)
                         .node());
  }
  json::ObjectWriter out;
  out.set("state", model::nameOf(stats.state))
      .set("source", stats.source)
      .set("restarts", static_cast<std::int64_t>(stats.restarts))
      .set("uptime_ms", stats.uptimeMs)
      .set("last_error", stats.lastError)
      .set("tracks", json::arrayOf(tracks));
  return out;
}

}  // namespace

json::Value healthToJson(const orchestrator::AggregateHealth& health,
                         const orchestrator::BroadcastOrchestrator& orchestrator) {
  std::vector<GRef<JsonNode>> broadcasts;
  for (const auto& [id, report] : health.broadcasts) {
    json::ObjectWriter entry;
    entry.set("broadcast_id", id);
    if (auto result = orchestrator.result(id)) {
      entry.set("state", model::nameOf(result->state))
          .set("source_kind", model::nameOf(result->request.sourceKind));
      if (result->error) entry.set("error", result->error->message);
    }
    entry.set("health", report.health.toJson());
    if (report.relay) entry.set("relay", relayJson(*report.relay));
    broadcasts.push_back(entry.node());
  }
  json::ObjectWriter out;
  out.set("healthy", health.healthy)
      .set("active", static_cast<std::int64_t>(health.active))
      .set("failed", static_cast<std::int64_t>(health.failed))
      .set("cleanup_pending", static_cast<std::int64_t>(health.cleanupPending))
      .set("broadcasts", json::arrayOf(broadcasts));
  // Sources and errors are masked already; this masks anything that slipped through.
  return json::Value::of(model::redacted(out.node().get()));
}

}  // namespace su::service
