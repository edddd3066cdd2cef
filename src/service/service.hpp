// su::service::Service — what an application embeds: broadcasts started from requests (JSON or
// model values), stopped by id or all, listed, and health as JSON without secrets, over one
// Janus connection on the caller's GMainContext. Part of the installed API (docs/api.md); it
// hides the Janus clients, relays and orchestrator behind it.
//
//   su::init();
//   su::service::Service service(context, {.janusUrl = "ws://janus.local:8188"});
//   service.connect([&](su::Result<void> connected) { ... });
//   service.start(R"({"source_kind":"test_pattern", ...})",
//                 [](su::Result<su::model::BroadcastResult> result) { ... });
//
// Every callback is called on `context`, never inside the call that started it; nothing is
// called once the Service is gone. Destroying it stops every broadcast first (running the
// context until they are), so destroy it on the context's thread.
#pragma once

#include <glib.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/callbacks.hpp"
#include "json/value.hpp"
#include "model/broadcast_result.hpp"
#include "orchestrator/observer.hpp"

namespace su::service {

class BroadcastService;

struct Config {
  std::string janusUrl = "ws://127.0.0.1:8188";
  std::optional<std::string> caFile;                // wss:// with a private CA
  std::optional<std::string> apiSecret;             // Janus `apisecret`, when it requires one
  std::optional<std::string> token;                 // Janus stored-token authentication
  std::optional<std::string> streamingAdminKey;     // for requests without an admin_key
  std::chrono::milliseconds requestTimeout{10000};  // per Janus request
  bool reconnect = true;  // reconnect to Janus, and restore what it forgot, after a loss
  std::chrono::milliseconds mediaTimeout{20000};      // for a relay to run and Janus to see media
  std::chrono::milliseconds publisherTimeout{30000};  // for a room's publisher to appear
  std::chrono::milliseconds obsTimeout{20000};        // for OBS to connect, start and stop
};

class Service {
 public:
  Service(GMainContext* context, Config config, orchestrator::Observer observer = {});
  ~Service();

  // Connects to Janus; broadcasts start once it has.
  void connect(Callback<void> done);
  // A request as JSON or as a value. An invalid one starts nothing: the error lists every
  // problem in its fields. A broadcast that failed to start is a result, with its error.
  void start(std::string_view json, Callback<model::BroadcastResult> done);
  void start(model::BroadcastRequest request, Callback<model::BroadcastResult> done);
  void stop(const std::string& id, Callback<model::BroadcastResult> done);
  void stopAll(std::function<void()> done);
  std::optional<model::BroadcastResult> result(const std::string& id) const;
  std::vector<model::BroadcastResult> list() const;
  // Every broadcast's state, Janus age_ms per media, relay statistics: JSON, secrets masked.
  void health(std::function<void(json::Value)> done);

  // The service behind this facade, for the layers above it built with this library (the
  // GObject API runs a worker on its orchestrator); not for applications.
  BroadcastService& impl() noexcept { return *impl_; }

  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

 private:
  std::unique_ptr<BroadcastService> impl_;
};

}  // namespace su::service
