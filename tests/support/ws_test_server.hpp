// An in-process WebSocket server (libsoup SoupServer) on 127.0.0.1, for what real servers
// cannot be made to do on demand: never answer, answer garbage, cut a connection, refuse a
// subprotocol. It runs on the thread-default context (the test fixture's).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/gref.hpp"
#include "core/main_context.hpp"
#include "service/http_listener.hpp"
#include "support/test_data.hpp"

namespace su::test {

class WsTestServer {
 public:
  struct Options {
    std::vector<std::string> protocols;  // accepted subprotocols (empty: any)
    bool tls = false;                    // wss:// with tests/data/tls/server.pem
    std::uint16_t port = 0;              // 0: any free port
  };
  // Called with the index of the connection a message came from.
  using MessageHandler = std::function<void(std::size_t connection, std::string_view text)>;

  static std::unique_ptr<WsTestServer> start(Options options);
  ~WsTestServer();

  std::uint16_t port() const noexcept { return port_; }
  std::string url() const;

  void onMessage(MessageHandler handler) { messageHandler_ = std::move(handler); }
  // Called with the index of each connection as it is accepted (a server that speaks first).
  void onAccept(std::function<void(std::size_t connection)> handler) {
    acceptHandler_ = std::move(handler);
  }
  // Connections accepted so far (closed ones included).
  std::size_t accepted() const noexcept { return connections_.size(); }
  std::size_t open() const;
  void send(std::size_t connection, std::string_view text);
  void sendToAll(std::string_view text);
  // A clean close with `code`, or an abrupt cut of the TCP stream.
  void closeAll(int code, std::string_view reason = {});
  void cutAll();
  // Stops listening and cuts every connection; start() again reuses the port.
  void stop();

  const std::vector<std::string>& received() const noexcept { return received_; }

 private:
  explicit WsTestServer(Options options) : options_(std::move(options)) {}
  bool listen();
  static void accept(GObject* server, GObject* message, const char* path, GObject* connection,
                     gpointer data) noexcept;
  static void message(GObject* connection, gint type, GBytes* bytes, gpointer data) noexcept;

  Options options_;
  GRef<GObject> server_;
  std::unique_ptr<service::HttpListener> listener_;
  std::uint16_t port_ = 0;
  std::vector<GRef<GObject>> connections_;
  std::vector<SignalConnection> signals_;
  std::vector<std::string> received_;
  MessageHandler messageHandler_;
  std::function<void(std::size_t)> acceptHandler_;
};

// A TCP listener that accepts connections and never says a word: for connect timeouts.
class SilentTcpServer {
 public:
  SilentTcpServer();
  ~SilentTcpServer();
  std::uint16_t port() const noexcept { return port_; }

 private:
  GRef<GObject> service_;
  std::vector<GRef<GObject>> held_;
  std::uint16_t port_ = 0;
};

}  // namespace su::test
