// The other Janus servers broadcasts' outputs feed: one connection per server (URL and API
// secret), shared by every broadcast with an output there and kept while one holds it. Each
// reconnects on its own; when one is back after its session was lost, `onRestored` names it, so
// that the outputs there restore their mountpoints (or run the cleanup it missed).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "janus/connection.hpp"

namespace su::orchestrator {

class JanusServers;

class JanusServer {
 public:
  ~JanusServer();
  const std::string& url() const noexcept { return url_; }
  // Handed out connected; its handle is attached again after every reconnect.
  janus::StreamingBackend& streaming() noexcept { return connection_->streaming(); }

  JanusServer(const JanusServer&) = delete;
  JanusServer& operator=(const JanusServer&) = delete;

 private:
  friend class JanusServers;
  class Watch final : public janus::SessionListener {
   public:
    explicit Watch(JanusServer& server) : server_(server) {}
    void onSessionRestored() override;

   private:
    JanusServer& server_;
  };
  JanusServer(std::unique_ptr<janus::Connection> connection, std::string url,
              std::function<void(const std::string&)> onRestored);

  std::unique_ptr<janus::Connection> connection_;
  std::string url_;
  std::function<void(const std::string&)> onRestored_;
  Watch watch_{*this};
  // While the first connect is in flight: everyone waiting for it.
  std::vector<Callback<std::shared_ptr<JanusServer>>> waiting_;
  std::optional<Result<void>> firstConnect_;
};

class JanusServers {
 public:
  // `base`: the node's session settings (timeouts, reconnect backoff); each server gets its own
  // URL and API secret instead of the node's.
  JanusServers(GMainContext* context, janus::SessionOptions base);
  ~JanusServers();

  // The server at `url`, connected; an error if it cannot be reached now. Never answers inside
  // the call.
  void connect(const std::string& url, const std::optional<std::string>& apiSecret,
               Callback<std::shared_ptr<JanusServer>> done);
  // Called with a server's URL when it is back after its session was lost.
  std::function<void(const std::string& url)> onRestored;

  JanusServers(const JanusServers&) = delete;
  JanusServers& operator=(const JanusServers&) = delete;

 private:
  void finishConnect(const std::string& key, Result<void> outcome);

  GRef<GMainContext> context_;
  janus::SessionOptions base_;
  std::map<std::string, std::weak_ptr<JanusServer>> servers_;       // by URL and secret
  std::map<std::string, std::shared_ptr<JanusServer>> connecting_;  // first connect in flight
  Deferred deferred_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace su::orchestrator
