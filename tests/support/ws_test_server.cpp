#include "support/ws_test_server.hpp"

#include <gtest/gtest.h>
#include <libsoup/soup.h>

#include "core/tls.hpp"

namespace su::test {

std::unique_ptr<WsTestServer> WsTestServer::start(Options options) {
  std::unique_ptr<WsTestServer> server(new WsTestServer(std::move(options)));
  if (!server->listen()) return nullptr;
  return server;
}

bool WsTestServer::listen() {
  server_ = GRef<GObject>::adopt(G_OBJECT(soup_server_new(nullptr, nullptr)));
  // Connections come through the service's own listener (TLS there too), as the HTTP API's do:
  // libsoup 3.2's listener leaks every socket it accepts.
  auto context = GRef<GMainContext>::adopt(g_main_context_ref_thread_default());
  listener_ = std::make_unique<service::HttpListener>(context.get(), SOUP_SERVER(server_.get()));
  if (options_.tls) {
    auto pair = tls::loadPair(testDataPath("tls/server.pem"), testDataPath("tls/server.key"));
    EXPECT_TRUE(pair) << pair.error().message;
    if (!pair) return false;
    listener_->setCertificate(std::move(*pair));
  }

  std::vector<char*> protocols;
  for (std::string& protocol : options_.protocols)
    protocols.push_back(protocol.data());
  protocols.push_back(nullptr);
  soup_server_add_websocket_handler(
      SOUP_SERVER(server_.get()), nullptr, nullptr,
      options_.protocols.empty() ? nullptr : protocols.data(),
      reinterpret_cast<SoupServerWebsocketCallback>(&WsTestServer::accept), this, nullptr);
  auto listening = listener_->listen("127.0.0.1", options_.port);
  EXPECT_TRUE(listening) << listening.error().message;
  if (!listening) return false;
  port_ = static_cast<std::uint16_t>(listener_->port());
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
  listener_.reset();
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
