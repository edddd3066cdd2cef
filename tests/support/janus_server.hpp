// Starts the Debian `janus` on loopback for a test: the config set under data/janus filled in
// with free ports and the admin keys below, in a private folder; Janus in the foreground.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "support/service_process.hpp"

namespace su::test {

class JanusServer {
 public:
  struct Options {
    int sessionTimeoutSeconds = 60;
    int debugLevel = 4;
    std::optional<std::string> apiSecret;  // requests then need it (janus --apisecret)
    int rtpPorts = 100;  // the size of its RTP port range: a media takes one, or two with RTCP
    std::string host = "127.0.0.1";  // where its WebSocket API listens (url())
  };

  // Null (with a test failure recorded) if Janus did not come up.
  static std::unique_ptr<JanusServer> start(Options options);
  static std::unique_ptr<JanusServer> start() { return start(Options{}); }

  std::string url() const;
  std::uint16_t port() const noexcept { return wsPort_; }
  // Its configs_folder: where the plugins save permanent mountpoints and rooms.
  const std::string& configDir() const noexcept { return process_.dir(); }
  const std::string& streamingAdminKey() const noexcept { return streamingAdminKey_; }
  const std::string& videoRoomAdminKey() const noexcept { return videoRoomAdminKey_; }

  // SIGKILL, as a crash would; restart() brings it back on the same ports.
  void kill() { process_.kill(); }
  bool restart();
  bool running() const { return process_.running(); }
  std::string logTail(std::size_t bytes = 4000) const { return process_.logTail(bytes); }

 private:
  JanusServer() : process_("janus") {}
  bool launch();

  ServiceProcess process_;
  std::uint16_t wsPort_ = 0;
  std::string host_;
  std::optional<std::string> apiSecret_;
  std::string streamingAdminKey_ = "su-test-streaming-admin-key";
  std::string videoRoomAdminKey_ = "su-test-videoroom-admin-key";
};

// A loopback port nothing listens on right now (TCP or UDP).
std::uint16_t freeTcpPort();
std::uint16_t freeUdpPort();

}  // namespace su::test
