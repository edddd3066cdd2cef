#include "orchestrator/janus_servers.hpp"

#include "core/log.hpp"
#include "model/redaction.hpp"

#define GST_CAT_DEFAULT su::log::orchestrator

namespace su::orchestrator {

JanusServer::JanusServer(std::unique_ptr<janus::Connection> connection, std::string url,
                         std::function<void(const std::string&)> onRestored)
    : connection_(std::move(connection)), url_(std::move(url)), onRestored_(std::move(onRestored)) {
  connection_->session().addListener(&watch_);
}

JanusServer::~JanusServer() {
  connection_->session().removeListener(&watch_);
  connection_.reset();
}

void JanusServer::Watch::onSessionRestored() {
  GST_INFO("Janus %s is back", model::redactText(server_.url_).c_str());
  if (server_.onRestored_) server_.onRestored_(server_.url_);
}

JanusServers::JanusServers(GMainContext* context, janus::SessionOptions base)
    : context_(GRef<GMainContext>::ref(context)), base_(std::move(base)), deferred_(context) {}

JanusServers::~JanusServers() {
  *alive_ = false;
  connecting_.clear();
}

void JanusServers::connect(const std::string& url, const std::optional<std::string>& apiSecret,
                           Callback<std::shared_ptr<JanusServer>> done) {
  // Servers no broadcast holds any more are forgotten here: the map would otherwise keep a key
  // for every URL ever asked for.
  std::erase_if(servers_, [](const auto& entry) { return entry.second.expired(); });
  const std::string key = url + '\n' + apiSecret.value_or("");
  if (auto known = servers_[key].lock()) {
    if (!known->firstConnect_) {
      known->waiting_.push_back(std::move(done));
      return;
    }
    if (*known->firstConnect_) {
      deferred_.post([done, known] { done(known); });
      return;
    }
    // Its first connect failed: a new try, below.
  }
  janus::SessionOptions options = base_;
  options.url = url;
  options.apiSecret = apiSecret;
  options.token.reset();  // the node's own Janus token means nothing there
  auto connection = janus::Connection::create(context_.get(), std::move(options));
  if (!connection) {
    deferred_.post([done, error = connection.error()] { done(error); });
    return;
  }
  std::weak_ptr<bool> alive = alive_;
  auto server = std::shared_ptr<JanusServer>(new JanusServer(
      std::move(connection).value(), url, [this, alive](const std::string& restored) {
        if (!alive.expired() && onRestored) onRestored(restored);
      }));
  servers_[key] = server;
  connecting_[key] = server;  // nobody else holds it yet
  server->waiting_.push_back(std::move(done));
  server->connection_->connect([this, alive, key](Result<void> outcome) {
    if (alive.expired()) return;
    // From the next iteration: a server nobody takes goes, and not inside its own callback.
    deferred_.post([this, key, outcome] { finishConnect(key, outcome); });
  });
}

void JanusServers::finishConnect(const std::string& key, Result<void> outcome) {
  const auto connecting = connecting_.find(key);
  if (connecting == connecting_.end()) return;
  const std::shared_ptr<JanusServer> server = std::move(connecting->second);
  connecting_.erase(connecting);
  server->firstConnect_ = outcome;
  if (!outcome) {
    GST_WARNING("cannot reach Janus %s: %s", model::redactText(server->url_).c_str(),
                model::redactText(outcome.error().message).c_str());
  }
  for (auto& waiting : std::exchange(server->waiting_, {})) {
    if (outcome) {
      waiting(server);
    } else {
      waiting(outcome.error());
    }
  }
  if (!outcome && servers_[key].lock() == server) servers_.erase(key);
}

}  // namespace su::orchestrator
