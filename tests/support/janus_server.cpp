#include "support/janus_server.hpp"

#include <gtest/gtest.h>

#include <random>

#include "core/loopback.hpp"
#include "service/local_janus.hpp"

namespace su::test {

std::uint16_t freeTcpPort() {
  const std::uint16_t port = freeLoopbackPort(false);
  if (port == 0) ADD_FAILURE() << "no free TCP port";
  return port;
}
std::uint16_t freeUdpPort() {
  const std::uint16_t port = freeLoopbackPort(true);
  if (port == 0) ADD_FAILURE() << "no free UDP port";
  return port;
}

std::unique_ptr<JanusServer> JanusServer::start(Options options) {
  std::unique_ptr<JanusServer> server(new JanusServer);
  server->wsPort_ = freeTcpPort();
  server->apiSecret_ = options.apiSecret;
  server->host_ = options.host;
  server->process_.setReadyHost(options.host);
  // A random window, so that tests running side by side rarely pick the same RTP ports.
  std::random_device random;
  const int windows = 40000 / options.rtpPorts;
  const int base = 20000 + static_cast<int>(random() % windows) * options.rtpPorts;
  service::JanusConfig config{
      .wsPort = server->wsPort_,
      .wsIp = options.host,
      .adminSecret = "su-test-admin-secret",
      .streamingAdminKey = server->streamingAdminKey_,
      .videoRoomAdminKey = server->videoRoomAdminKey_,
      .rtpPortRange = std::to_string(base) + "-" + std::to_string(base + options.rtpPorts - 1),
      .sessionTimeoutSeconds = options.sessionTimeoutSeconds,
      .debugLevel = options.debugLevel};
  if (auto written = service::writeJanusConfig(dataPath("janus"), server->process_.dir(), config);
      !written) {
    ADD_FAILURE() << written.error().message;
    return nullptr;
  }
  if (!server->launch()) return nullptr;
  return server;
}

bool JanusServer::launch() {
  const std::string& dir = process_.dir();
  std::vector<std::string> argv{"janus", "-C", dir + "/janus.jcfg", "-F", dir, "-o"};
  if (apiSecret_) argv.push_back("--apisecret=" + *apiSecret_);
  return process_.start(argv, wsPort_);
}

std::string JanusServer::url() const {
  return "ws://" + host_ + ":" + std::to_string(wsPort_);
}

bool JanusServer::restart() {
  process_.kill();
  return launch();
}

}  // namespace su::test
