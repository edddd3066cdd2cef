#include "service/service.hpp"

#include "service/broadcast_service.hpp"

namespace su::service {

Service::Service(GMainContext* context, Config config, orchestrator::Observer observer)
    : impl_(std::make_unique<BroadcastService>(
          context,
          ServiceOptions{.janus = {.url = std::move(config.janusUrl),
                                   .caFile = std::move(config.caFile),
                                   .apiSecret = std::move(config.apiSecret),
                                   .token = std::move(config.token),
                                   .requestTimeout = config.requestTimeout,
                                   .reconnect = config.reconnect},
                         .broadcast = {.mediaTimeout = config.mediaTimeout,
                                       .obsTimeout = config.obsTimeout,
                                       .publisherTimeout = config.publisherTimeout,
                                       .streamingAdminKey = std::move(config.streamingAdminKey)}},
          std::move(observer))) {}

Service::~Service() = default;

void Service::connect(Callback<void> done) {
  impl_->connect(std::move(done));
}

void Service::start(std::string_view json, Callback<model::BroadcastResult> done) {
  impl_->start(json, std::move(done));
}

void Service::start(model::BroadcastRequest request, Callback<model::BroadcastResult> done) {
  impl_->start(std::move(request), std::move(done));
}

void Service::stop(const std::string& id, Callback<model::BroadcastResult> done) {
  impl_->stop(id, std::move(done));
}

void Service::stopAll(std::function<void()> done) {
  impl_->stopAll(std::move(done));
}

std::optional<model::BroadcastResult> Service::result(const std::string& id) const {
  const orchestrator::BroadcastOrchestrator* orchestrator = impl_->orchestrator();
  return orchestrator ? orchestrator->result(id) : std::nullopt;
}

std::vector<model::BroadcastResult> Service::list() const {
  const orchestrator::BroadcastOrchestrator* orchestrator = impl_->orchestrator();
  return orchestrator ? orchestrator->list() : std::vector<model::BroadcastResult>{};
}

void Service::health(std::function<void(json::Value)> done) {
  impl_->health(std::move(done));
}

}  // namespace su::service
