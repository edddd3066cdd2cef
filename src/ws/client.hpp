// One libsoup-3 WebSocket client, shared by the Janus and OBS clients: connect (with a
// subprotocol, a timeout, ws:// or wss://), send and receive text frames, close cleanly, and
// optionally reconnect with the shared jittered backoff.
//
// Everything runs on the GMainContext given to create(), which must be the thread-default
// context of the thread that iterates it (libsoup attaches its sources to the thread-default
// context). Handlers are called on that context, never from inside open(), send() or close(),
// and may destroy the Client.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/backoff.hpp"
#include "core/gref.hpp"
#include "core/main_context.hpp"
#include "core/result.hpp"

namespace su::ws {

enum class WsError {
  InvalidUrl = 1,   // not a ws:// or wss:// URL with a host
  ConnectFailed,    // refused, unreachable, handshake rejected, subprotocol not accepted
  Timeout,          // the connection was not open within connectTimeout
  Tls,              // certificate not trusted, or the CA file unreadable
  Closed,           // the open connection ended; the message says how (code, reason)
  MessageTooLarge,  // the peer sent a message over maxMessageSize (the connection is closed)
  NotOpen,          // send() while not connected
};
GQuark errorDomainOf(WsError);

struct ClientOptions {
  std::string url;                     // ws://host:port/path or wss://...
  std::vector<std::string> protocols;  // offered subprotocols; the server must accept one
  Milliseconds connectTimeout{5000};
  std::optional<std::string> caFile;  // wss: trust this PEM CA bundle instead of the system's
  std::size_t maxMessageSize = 8 << 20;
  bool reconnect = false;  // reopen after a loss or a failed attempt, with backoff
  BackoffPolicy reconnectBackoff{};
};

enum class State { Idle, Connecting, Open, WaitingToReconnect, Closed };

class Client {
 public:
  struct Handlers {
    std::function<void()> onOpen;  // after every successful (re)connect
    std::function<void(std::string_view text)> onMessage;
    // A connect attempt failed or the open connection ended. With reconnect on, another
    // attempt follows after a backoff delay, unless close() is called.
    std::function<void(const Error& error)> onClosed;
  };

  static Result<std::unique_ptr<Client>> create(GMainContext* context, ClientOptions options,
                                                Handlers handlers);
  ~Client();  // closes without calling any handler

  // Starts connecting; onOpen or onClosed follows.
  void open();
  Result<void> send(std::string_view text);
  // Closes with `code` and stops reconnecting; no handler is called for it.
  void close(int code = 1000, std::string_view reason = {});
  // Drops the open connection as lost (a dead peer the socket has not noticed): onClosed with
  // `reason`, then a reconnect if enabled.
  void abort(Error reason);

  State state() const noexcept { return state_; }
  bool isOpen() const noexcept { return state_ == State::Open; }
  // The WebSocket close code of the last connection that ended (0 if none yet or none sent).
  int lastCloseCode() const noexcept { return lastCloseCode_; }
  // Connect attempts since the last successful open.
  unsigned failedAttempts() const noexcept { return failedAttempts_; }
  const std::string& url() const noexcept { return options_.url; }

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

 private:
  Client(GMainContext* context, ClientOptions options, Handlers handlers, Backoff backoff);
  void startAttempt();
  void onConnected(GAsyncResult* result);
  void onConnectionClosed();
  void failAttempt(Error error);
  void ended(Error error);
  // Lets the connection finish its close handshake on its own, then releases it.
  void releaseConnection(int code, const char* reason);
  Error connectionEndError() const;

  static void connectDone(GObject* source, GAsyncResult* result, gpointer data) noexcept;
  static void messageReceived(GObject* connection, gint type, GBytes* message,
                              gpointer data) noexcept;
  static void connectionClosed(GObject* connection, gpointer data) noexcept;
  static void connectionError(GObject* connection, GError* error, gpointer data) noexcept;

  GRef<GMainContext> context_;
  ClientOptions options_;
  Handlers handlers_;
  Backoff backoff_;
  GRef<GObject> session_;     // SoupSession
  GRef<GObject> connection_;  // SoupWebsocketConnection while open
  std::vector<SignalConnection> signals_;
  Cancellable connecting_;
  Source connectTimer_;
  Source reconnectTimer_;
  State state_ = State::Idle;
  bool timedOut_ = false;
  bool closing_ = false;  // close() was called: no reconnect, ignore late completions
  std::optional<Error> connectionError_;  // reported by the connection before it closed
  int lastCloseCode_ = 0;
  unsigned failedAttempts_ = 0;
  // Expires when the Client is destroyed: handlers may destroy it.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace su::ws
