#include "support/janus_server.hpp"

#include <gio/gio.h>
#include <gtest/gtest.h>

#include <random>

namespace su::test {

namespace {

std::uint16_t freePort(GSocketType type, GSocketProtocol protocol) {
  GUnique<GError> error;
  auto socket = GRef<GObject>::adopt(
      G_OBJECT(g_socket_new(G_SOCKET_FAMILY_IPV4, type, protocol, error.outPtr())));
  auto loopback = GRef<GObject>::adopt(G_OBJECT(g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4)));
  auto address =
      GRef<GObject>::adopt(G_OBJECT(g_inet_socket_address_new(G_INET_ADDRESS(loopback.get()), 0)));
  if (!socket || !g_socket_bind(G_SOCKET(socket.get()), G_SOCKET_ADDRESS(address.get()), FALSE,
                                error.outPtr())) {
    ADD_FAILURE() << "no free port: " << (error ? error->message : "");
    return 0;
  }
  auto bound =
      GRef<GObject>::adopt(G_OBJECT(g_socket_get_local_address(G_SOCKET(socket.get()), nullptr)));
  return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound.get()));
}

}  // namespace

std::uint16_t freeTcpPort() {
  return freePort(G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP);
}
std::uint16_t freeUdpPort() {
  return freePort(G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP);
}

std::unique_ptr<JanusServer> JanusServer::start(Options options) {
  std::unique_ptr<JanusServer> server(new JanusServer);
  server->wsPort_ = freeTcpPort();
  // A random window, so that tests running side by side rarely pick the same RTP ports.
  std::random_device random;
  const int base = 20000 + static_cast<int>(random() % 400) * 100;
  const std::vector<std::pair<std::string, std::string>> values = {
      {"@CONFIG_DIR@", server->process_.dir()},
      {"@DEBUG_LEVEL@", std::to_string(options.debugLevel)},
      {"@ADMIN_SECRET@", "su-test-admin-secret"},
      {"@SESSION_TIMEOUT@", std::to_string(options.sessionTimeoutSeconds)},
      {"@RTP_PORT_RANGE@", std::to_string(base) + "-" + std::to_string(base + 99)},
      {"@WS_PORT@", std::to_string(server->wsPort_)},
      {"@ADMIN_WS_PORT@", std::to_string(freeTcpPort())},
      {"@STREAMING_ADMIN_KEY@", server->streamingAdminKey_},
      {"@VIDEOROOM_ADMIN_KEY@", server->videoRoomAdminKey_},
  };
  for (const char* name : {"janus.jcfg", "janus.transport.websockets.jcfg",
                           "janus.plugin.streaming.jcfg", "janus.plugin.videoroom.jcfg"}) {
    if (!server->process_.writeConfig(dataPath(std::string("janus/") + name + ".in"), name,
                                      values)) {
      return nullptr;
    }
  }
  if (!server->launch()) return nullptr;
  return server;
}

bool JanusServer::launch() {
  const std::string& dir = process_.dir();
  return process_.start({"janus", "-C", dir + "/janus.jcfg", "-F", dir, "-o"}, wsPort_);
}

std::string JanusServer::url() const {
  return "ws://127.0.0.1:" + std::to_string(wsPort_);
}

bool JanusServer::restart() {
  process_.kill();
  return launch();
}

}  // namespace su::test
