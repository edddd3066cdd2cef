#include "support/ws_test_server.hpp"

#include <gtest/gtest.h>
#include <libsoup/soup.h>

namespace su::test {

std::unique_ptr<WsTestServer> WsTestServer::start(Options options) {
  std::unique_ptr<WsTestServer> server(new WsTestServer(std::move(options)));
  if (!server->listen()) return nullptr;
  return server;
}

bool WsTestServer::listen() {
  GUnique<GError> error;
  GTlsCertificate* certificate = nullptr;
  if (options_.tls) {
    certificate =
        g_tls_certificate_new_from_files(testDataPath("tls/server.pem").c_str(),
                                         testDataPath("tls/server.key").c_str(), error.outPtr());
    EXPECT_NE(certificate, nullptr) << (error ? error->message : "");
    if (!certificate) return false;
  }
  server_ =
      GRef<GObject>::adopt(G_OBJECT(soup_server_new("tls-certificate", certificate, nullptr)));
  if (certificate) g_object_unref(certificate);

  std::vector<char*> protocols;
  for (std::string& protocol : options_.protocols)
    protocols.push_back(protocol.data());
  protocols.push_back(nullptr);
  soup_server_add_websocket_handler(
      SOUP_SERVER(server_.get()), nullptr, nullptr,
      options_.protocols.empty() ? nullptr : protocols.data(),
      reinterpret_cast<SoupServerWebsocketCallback>(&WsTestServer::accept), this, nullptr);
  const auto flags = SoupServerListenOptions(SOUP_SERVER_LISTEN_IPV4_ONLY |
                                             (options_.tls ? SOUP_SERVER_LISTEN_HTTPS : 0));
  const bool listening =
      soup_server_listen_local(SOUP_SERVER(server_.get()), options_.port, flags, error.outPtr());
  EXPECT_TRUE(listening) << (error ? error->message : "");
  if (!listening) return false;
  GSList* uris = soup_server_get_uris(SOUP_SERVER(server_.get()));
  port_ = static_cast<std::uint16_t>(g_uri_get_port(static_cast<GUri*>(uris->data)));
  g_slist_free_full(uris, reinterpret_cast<GDestroyNotify>(g_uri_unref));
  options_.port = port_;  // a restart listens on the same port
  return true;
}

WsTestServer::~WsTestServer() {
  stop();
}

std::string WsTestServer::url() const {
  return std::string(options_.tls ? "wss" : "ws") + "://127.0.0.1:" + std::to_string(port_) + "/";
}

void WsTestServer::accept(GObject*, GObject*, const char*, GObject* connection,
                          gpointer data) noexcept {
  auto* self = static_cast<WsTestServer*>(data);
  self->connections_.push_back(GRef<GObject>::ref(connection));
  self->signals_.push_back(
      SignalConnection::connect(connection, "message", G_CALLBACK(&WsTestServer::message), self));
  if (self->acceptHandler_) self->acceptHandler_(self->connections_.size() - 1);
}

void WsTestServer::message(GObject* connection, gint, GBytes* bytes, gpointer data) noexcept {
  auto* self = static_cast<WsTestServer*>(data);
  gsize size = 0;
  const auto* text = static_cast<const char*>(g_bytes_get_data(bytes, &size));
  self->received_.emplace_back(text, size);
  for (std::size_t i = 0; i < self->connections_.size(); ++i) {
    if (self->connections_[i].get() == connection && self->messageHandler_) {
      self->messageHandler_(i, std::string_view(text, size));
      return;
    }
  }
}

std::size_t WsTestServer::open() const {
  std::size_t count = 0;
  for (const auto& connection : connections_) {
    if (soup_websocket_connection_get_state(SOUP_WEBSOCKET_CONNECTION(connection.get())) ==
        SOUP_WEBSOCKET_STATE_OPEN) {
      ++count;
    }
  }
  return count;
}

void WsTestServer::send(std::size_t connection, std::string_view text) {
  auto* websocket = SOUP_WEBSOCKET_CONNECTION(connections_.at(connection).get());
  if (soup_websocket_connection_get_state(websocket) == SOUP_WEBSOCKET_STATE_OPEN) {
    soup_websocket_connection_send_text(websocket, std::string(text).c_str());
  }
}

void WsTestServer::sendToAll(std::string_view text) {
  for (std::size_t i = 0; i < connections_.size(); ++i)
    send(i, text);
}

void WsTestServer::closeAll(int code, std::string_view reason) {
  for (const auto& connection : connections_) {
    auto* websocket = SOUP_WEBSOCKET_CONNECTION(connection.get());
    if (soup_websocket_connection_get_state(websocket) == SOUP_WEBSOCKET_STATE_OPEN) {
      soup_websocket_connection_close(websocket, static_cast<gushort>(code),
                                      std::string(reason).c_str());
    }
  }
}

void WsTestServer::cutAll() {
  for (const auto& connection : connections_) {
    GIOStream* stream =
        soup_websocket_connection_get_io_stream(SOUP_WEBSOCKET_CONNECTION(connection.get()));
    g_io_stream_close(stream, nullptr, nullptr);
  }
}

void WsTestServer::stop() {
  cutAll();
  signals_.clear();
  if (server_) {
    soup_server_disconnect(SOUP_SERVER(server_.get()));
    server_.reset();
  }
}

SilentTcpServer::SilentTcpServer() {
  service_ = GRef<GObject>::adopt(G_OBJECT(g_socket_service_new()));
  GUnique<GError> error;
  port_ = g_socket_listener_add_any_inet_port(G_SOCKET_LISTENER(service_.get()), nullptr,
                                              error.outPtr());
  EXPECT_NE(port_, 0) << (error ? error->message : "");
  // Accept and hold every connection: the peer waits for a handshake answer forever.
  g_signal_connect(service_.get(), "incoming",
                   G_CALLBACK(+[](GSocketService*, GSocketConnection* connection, GObject*,
                                  gpointer data) noexcept -> gboolean {
                     static_cast<SilentTcpServer*>(data)->held_.push_back(
                         GRef<GObject>::ref(G_OBJECT(connection)));
                     return TRUE;
                   }),
                   this);
  g_socket_service_start(G_SOCKET_SERVICE(service_.get()));
}

SilentTcpServer::~SilentTcpServer() {
  g_socket_service_stop(G_SOCKET_SERVICE(service_.get()));
  g_socket_listener_close(G_SOCKET_LISTENER(service_.get()));
}

}  // namespace su::test
