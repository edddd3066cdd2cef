#include "support/janus_server.hpp"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <iterator>
#include <random>
#include <thread>

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

std::string janusDataDir() {
  const char* dir = g_getenv("SU_JANUS_CONFIG_DIR");
  return dir ? dir : "data/janus";
}

std::string readFile(const std::string& path) {
  std::ifstream file(path);
  return std::string(std::istreambuf_iterator<char>(file), {});
}

void replaceAll(std::string& text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

bool acceptsConnections(std::uint16_t port) {
  auto client = GRef<GObject>::adopt(G_OBJECT(g_socket_client_new()));
  g_socket_client_set_timeout(G_SOCKET_CLIENT(client.get()), 1);
  auto connection = GRef<GObject>::adopt(G_OBJECT(g_socket_client_connect_to_host(
      G_SOCKET_CLIENT(client.get()), "127.0.0.1", port, nullptr, nullptr)));
  return static_cast<bool>(connection);
}

}  // namespace

std::uint16_t freeTcpPort() {
  return freePort(G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP);
}
std::uint16_t freeUdpPort() {
  return freePort(G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP);
}

std::unique_ptr<JanusServer> JanusServer::start(Options options) {
  std::unique_ptr<JanusServer> server(new JanusServer(options));
  GUnique<GError> error;
  auto dir = GUnique<char>::adopt(g_dir_make_tmp("su-janus-XXXXXX", error.outPtr()));
  if (!dir) {
    ADD_FAILURE() << "no temporary folder: " << (error ? error->message : "");
    return nullptr;
  }
  server->dir_ = dir.get();
  server->wsPort_ = freeTcpPort();
  server->adminWsPort_ = freeTcpPort();
  // A random window, so that tests running side by side rarely pick the same RTP ports.
  std::random_device random;
  const int base = 20000 + static_cast<int>(random() % 400) * 100;
  server->rtpPortRange_ = std::to_string(base) + "-" + std::to_string(base + 99);
  if (!server->writeConfig() || !server->launch()) return nullptr;
  return server;
}

bool JanusServer::writeConfig() {
  const std::pair<std::string, std::string> values[] = {
      {"@CONFIG_DIR@", dir_},
      {"@DEBUG_LEVEL@", std::to_string(options_.debugLevel)},
      {"@ADMIN_SECRET@", "su-test-admin-secret"},
      {"@SESSION_TIMEOUT@", std::to_string(options_.sessionTimeoutSeconds)},
      {"@RTP_PORT_RANGE@", rtpPortRange_},
      {"@WS_PORT@", std::to_string(wsPort_)},
      {"@ADMIN_WS_PORT@", std::to_string(adminWsPort_)},
      {"@STREAMING_ADMIN_KEY@", streamingAdminKey_},
      {"@VIDEOROOM_ADMIN_KEY@", videoRoomAdminKey_},
  };
  for (const char* name : {"janus.jcfg", "janus.transport.websockets.jcfg",
                           "janus.plugin.streaming.jcfg", "janus.plugin.videoroom.jcfg"}) {
    std::string text = readFile(janusDataDir() + "/" + name + ".in");
    if (text.empty()) {
      ADD_FAILURE() << "missing config template " << janusDataDir() << "/" << name << ".in";
      return false;
    }
    for (const auto& [placeholder, value] : values)
      replaceAll(text, placeholder, value);
    std::ofstream(dir_ + "/" + name) << text;
  }
  return true;
}

bool JanusServer::launch() {
  GUnique<GError> error;
  auto launcher = GRef<GObject>::adopt(
      G_OBJECT(g_subprocess_launcher_new(GSubprocessFlags(G_SUBPROCESS_FLAGS_STDERR_MERGE))));
  g_subprocess_launcher_set_stdout_file_path(G_SUBPROCESS_LAUNCHER(launcher.get()),
                                             (dir_ + "/janus.log").c_str());
  const std::string config = dir_ + "/janus.jcfg";
  process_ = GRef<GSubprocess>::adopt(
      g_subprocess_launcher_spawn(G_SUBPROCESS_LAUNCHER(launcher.get()), error.outPtr(), "janus",
                                  "-C", config.c_str(), "-F", dir_.c_str(), "-o", nullptr));
  if (!process_) {
    ADD_FAILURE() << "cannot start janus: " << (error ? error->message : "");
    return false;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) {
      ADD_FAILURE() << "janus exited at start:\n" << logTail();
      return false;
    }
    if (acceptsConnections(wsPort_)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << "janus did not listen on " << wsPort_ << " within 10 s:\n" << logTail();
  return false;
}

JanusServer::~JanusServer() {
  kill();
  if (!dir_.empty()) {
    for (const char* name :
         {"janus.jcfg", "janus.transport.websockets.jcfg", "janus.plugin.streaming.jcfg",
          "janus.plugin.videoroom.jcfg", "janus.log"}) {
      g_unlink((dir_ + "/" + name).c_str());
    }
    g_rmdir(dir_.c_str());
  }
}

std::string JanusServer::url() const {
  return "ws://127.0.0.1:" + std::to_string(wsPort_);
}

void JanusServer::kill() {
  if (!process_) return;
  g_subprocess_send_signal(process_.get(), SIGKILL);
  g_subprocess_wait(process_.get(), nullptr, nullptr);
  process_.reset();
}

bool JanusServer::restart() {
  kill();
  return launch();
}

bool JanusServer::running() const {
  if (!process_) return false;
  // GLib reaps the child on its worker thread; the identifier is gone once it has exited.
  return g_subprocess_get_identifier(process_.get()) != nullptr;
}

std::string JanusServer::logTail(std::size_t bytes) const {
  const std::string log = readFile(dir_ + "/janus.log");
  return log.size() > bytes ? log.substr(log.size() - bytes) : log;
}

}  // namespace su::test
