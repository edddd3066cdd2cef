// The service facade (the original's `Broadcast`): a Janus connection, the relays and the
// orchestrator behind one object that starts broadcasts from JSON, stops them by id or all, and
// reports health as JSON. What embedding applications and the `run` command use.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "janus/connection.hpp"
#include "orchestrator/orchestrator.hpp"

namespace su::service {

struct ServiceOptions {
  janus::SessionOptions janus;
  supervisor::RelayOptions relay;
  orchestrator::BroadcastOptions broadcast;
};

enum class ServiceError { NotConnected = 1 };
GQuark errorDomainOf(ServiceError);

class BroadcastService {
 public:
  BroadcastService(GMainContext* context, ServiceOptions options,
                   orchestrator::Observer observer = {});
  // Stops every broadcast (running the context until they are), then closes the connection.
  ~BroadcastService();

  // Connects to Janus; broadcasts start once it has.
  void connect(Callback<void> done);
  // The Streaming admin_key for requests without one (BroadcastOptions); before connect().
  void setStreamingAdminKey(std::optional<std::string> key) {
    options_.broadcast.streamingAdminKey = std::move(key);
  }

  // A request as JSON (text or node). An invalid one starts nothing: the error lists every
  // problem in its fields. A broadcast that failed to start is a result, with its error.
  void start(std::string_view json, Callback<model::BroadcastResult> done);
  void start(JsonNode* payload, Callback<model::BroadcastResult> done);
  void start(model::BroadcastRequest request, Callback<model::BroadcastResult> done);
  void stop(const std::string& id, Callback<model::BroadcastResult> done);
  void stopAll(std::function<void()> done);
  // Every broadcast's health and relay statistics, as JSON without secrets.
  void health(std::function<void(json::Value)> done);
  // The same, as values; nothing when not connected.
  void healthReport(std::function<void(orchestrator::AggregateHealth)> done);

  // After connect() succeeded.
  orchestrator::BroadcastOrchestrator* orchestrator() noexcept { return orchestrator_.get(); }
  const orchestrator::BroadcastOrchestrator* orchestrator() const noexcept {
    return orchestrator_.get();
  }
  janus::Connection* janus() noexcept { return connection_.get(); }

  BroadcastService(const BroadcastService&) = delete;
  BroadcastService& operator=(const BroadcastService&) = delete;

 private:
  // Tells the orchestrator when Janus is back after the session was lost.
  Task<void> connecting();
  Task<void> reportHealth(std::function<void(json::Value)> done);

  class JanusWatch final : public janus::SessionListener {
   public:
    explicit JanusWatch(BroadcastService& service) : service_(service) {}
    void onSessionLost(const Error& reason) override;
    void onSessionRestored() override;

   private:
    BroadcastService& service_;
  };

  GRef<GMainContext> context_;
  ServiceOptions options_;
  orchestrator::Observer observer_;
  std::unique_ptr<janus::Connection> connection_;
  JanusWatch janusWatch_{*this};
  std::unique_ptr<orchestrator::DefaultRelayFactory> relays_;
  std::unique_ptr<orchestrator::JanusServers> outputServers_;
  std::unique_ptr<orchestrator::BroadcastOrchestrator> orchestrator_;
  Deferred deferred_;
  Task<void> connect_;
  TaskGroup tasks_;  // health reports
};

// The aggregate health as JSON: per broadcast its state, source kind, Janus age_ms per media,
// OBS and forward status, and the relay's state, restarts and per-track statistics.
json::Value healthToJson(const orchestrator::AggregateHealth& health,
                         const orchestrator::BroadcastOrchestrator& orchestrator);

}  // namespace su::service
