#include "ws/client.hpp"

#include <libsoup/soup.h>

#include "core/log.hpp"

#define GST_CAT_DEFAULT su::log::core

namespace su::ws {

GQuark errorDomainOf(WsError) {
  return g_quark_from_static_string("su-ws-error");
}

namespace {

// What a pending connect needs to find its Client again, if the Client still exists.
struct PendingConnect {
  std::weak_ptr<bool> alive;
  Client* client;
};

std::string describeClose(int code, const char* reason) {
  std::string text = "code " + std::to_string(code);
  switch (code) {
    case SOUP_WEBSOCKET_CLOSE_NORMAL:
      text += ", normal";
      break;
    case SOUP_WEBSOCKET_CLOSE_GOING_AWAY:
      text += ", going away";
      break;
    case SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR:
      text += ", protocol error";
      break;
    case SOUP_WEBSOCKET_CLOSE_TOO_BIG:
      text += ", message too big";
      break;
    case SOUP_WEBSOCKET_CLOSE_NO_STATUS:
      text += ", no status";
      break;
    case SOUP_WEBSOCKET_CLOSE_ABNORMAL:
      text += ", abnormal";
      break;
    case SOUP_WEBSOCKET_CLOSE_SERVER_ERROR:
      text += ", server error";
      break;
    default:
      break;
  }
  if (reason && *reason) text += std::string(": ") + reason;
  return text;
}

}  // namespace

Result<std::unique_ptr<Client>> Client::create(GMainContext* context, ClientOptions options,
                                               Handlers handlers) {
  auto uri = GRef<GUri>::adopt(g_uri_parse(options.url.c_str(), G_URI_FLAGS_ENCODED, nullptr));
  const char* scheme = uri ? g_uri_get_scheme(uri.get()) : nullptr;
  const char* host = uri ? g_uri_get_host(uri.get()) : nullptr;
  if (!scheme || (g_strcmp0(scheme, "ws") != 0 && g_strcmp0(scheme, "wss") != 0) || !host ||
      !*host) {
    return makeError(WsError::InvalidUrl,
                     "not a WebSocket URL (expected ws://host:port/ or wss://...): " + options.url);
  }
  auto backoff = Backoff::create(options.reconnectBackoff);
  if (!backoff) return backoff.error();
  std::unique_ptr<Client> client(
      new Client(context, std::move(options), std::move(handlers), std::move(backoff).value()));
  if (const auto& caFile = client->options_.caFile) {
    // GTlsFileDatabase silently trusts nothing when given a relative path.
    auto absolute = GUnique<char>::adopt(g_canonicalize_filename(caFile->c_str(), nullptr));
    GUnique<GError> error;
    GTlsDatabase* database = g_tls_file_database_new(absolute.get(), error.outPtr());
    if (!database) {
      return makeError(WsError::Tls, "cannot load the CA file " + *caFile + ": " +
                                         (error ? error->message : "unknown error"));
    }
    g_object_set(client->session_.get(), "tls-database", database, nullptr);
    g_object_unref(database);
  }
  return client;
}

Client::Client(GMainContext* context, ClientOptions options, Handlers handlers, Backoff backoff)
    : context_(GRef<GMainContext>::ref(context)),
      options_(std::move(options)),
      handlers_(std::move(handlers)),
      backoff_(std::move(backoff)) {
  ThreadDefaultScope scope(context_.get());
  session_ = GRef<GObject>::adopt(G_OBJECT(soup_session_new()));
}

Client::~Client() {
  *alive_ = false;
  connecting_.cancel();
  releaseConnection(SOUP_WEBSOCKET_CLOSE_GOING_AWAY, nullptr);
}

void Client::open() {
  if (state_ == State::Connecting || state_ == State::Open) return;
  closing_ = false;
  reconnectTimer_.cancel();
  startAttempt();
}

void Client::startAttempt() {
  state_ = State::Connecting;
  timedOut_ = false;
  connectionError_.reset();
  connecting_.renew();
  GST_DEBUG("ws: connecting to %s", options_.url.c_str());

  auto message = GRef<GObject>::adopt(G_OBJECT(soup_message_new("GET", options_.url.c_str())));
  std::vector<char*> protocols;
  for (std::string& protocol : options_.protocols)
    protocols.push_back(protocol.data());
  protocols.push_back(nullptr);
  {
    ThreadDefaultScope scope(context_.get());
    soup_session_websocket_connect_async(
        SOUP_SESSION(session_.get()), SOUP_MESSAGE(message.get()), nullptr,
        options_.protocols.empty() ? nullptr : protocols.data(), G_PRIORITY_DEFAULT,
        connecting_.get(), &Client::connectDone, new PendingConnect{alive_, this});
  }
  connectTimer_ = Source::timeout(
      context_.get(), options_.connectTimeout,
      [this] {
        timedOut_ = true;
        connecting_.cancel();
        return false;
      },
      "su-ws-connect-timeout");
}

void Client::connectDone(GObject* source, GAsyncResult* result, gpointer data) noexcept {
  std::unique_ptr<PendingConnect> pending(static_cast<PendingConnect*>(data));
  if (pending->alive.expired()) {
    // The Client is gone: finish the operation and drop whatever it produced.
    GRef<GObject> orphan = GRef<GObject>::adopt(
        G_OBJECT(soup_session_websocket_connect_finish(SOUP_SESSION(source), result, nullptr)));
    if (orphan) soup_websocket_connection_close(SOUP_WEBSOCKET_CONNECTION(orphan.get()), 1001, "");
    return;
  }
  pending->client->onConnected(result);
}

void Client::onConnected(GAsyncResult* result) {
  connectTimer_.cancel();
  GUnique<GError> error;
  auto connection = GRef<GObject>::adopt(G_OBJECT(
      soup_session_websocket_connect_finish(SOUP_SESSION(session_.get()), result, error.outPtr())));
  if (closing_) {  // close() while this attempt was completing
    if (connection) {
      soup_websocket_connection_close(SOUP_WEBSOCKET_CONNECTION(connection.get()),
                                      SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
    }
    return;
  }
  if (!connection) {
    if (timedOut_) {
      failAttempt(
          makeError(WsError::Timeout, "no WebSocket connection to " + options_.url + " within " +
                                          std::to_string(options_.connectTimeout.count()) + " ms"));
    } else if (error && error->domain == G_IO_ERROR && error->code == G_IO_ERROR_CANCELLED) {
      state_ = State::Closed;  // close() during the attempt: nobody is waiting for news
    } else if (error && error->domain == G_TLS_ERROR) {
      failAttempt(
          makeError(WsError::Tls, "TLS with " + options_.url + " failed: " + error->message));
    } else {
      failAttempt(makeError(
          WsError::ConnectFailed,
          "cannot connect to " + options_.url + ": " + (error ? error->message : "unknown error")));
    }
    return;
  }
  auto* websocket = SOUP_WEBSOCKET_CONNECTION(connection.get());
  const char* chosen = soup_websocket_connection_get_protocol(websocket);
  if (!options_.protocols.empty() && !chosen) {
    soup_websocket_connection_close(websocket, SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR, nullptr);
    failAttempt(makeError(WsError::ConnectFailed,
                          "the server at " + options_.url + " accepted none of the subprotocols " +
                              "offered (" + options_.protocols.front() + ")"));
    return;
  }
  soup_websocket_connection_set_max_incoming_payload_size(websocket, options_.maxMessageSize);
  connection_ = std::move(connection);
  signals_.push_back(SignalConnection::connect(connection_.get(), "message",
                                               G_CALLBACK(&Client::messageReceived), this));
  signals_.push_back(SignalConnection::connect(connection_.get(), "closed",
                                               G_CALLBACK(&Client::connectionClosed), this));
  signals_.push_back(SignalConnection::connect(connection_.get(), "error",
                                               G_CALLBACK(&Client::connectionError), this));
  state_ = State::Open;
  failedAttempts_ = 0;
  backoff_.reset();
  GST_INFO("ws: connected to %s", options_.url.c_str());
  if (handlers_.onOpen) handlers_.onOpen();
}

void Client::messageReceived(GObject*, gint type, GBytes* message, gpointer data) noexcept {
  auto* self = static_cast<Client*>(data);
  if (type != SOUP_WEBSOCKET_DATA_TEXT || !self->handlers_.onMessage) return;
  gsize size = 0;
  const auto* bytes = static_cast<const char*>(g_bytes_get_data(message, &size));
  self->handlers_.onMessage(std::string_view(bytes, size));
}

void Client::connectionError(GObject*, GError* error, gpointer data) noexcept {
  auto* self = static_cast<Client*>(data);
  GST_WARNING("ws: %s: %s", self->options_.url.c_str(), error->message);
  if (self->connectionError_) return;
  if (error->domain == SOUP_WEBSOCKET_ERROR && error->code == SOUP_WEBSOCKET_CLOSE_TOO_BIG) {
    self->connectionError_ =
        makeError(WsError::MessageTooLarge,
                  "the connection to " + self->options_.url + " was closed: a message exceeded " +
                      std::to_string(self->options_.maxMessageSize) + " bytes");
    return;
  }
  self->connectionError_ = makeError(
      WsError::Closed, "the connection to " + self->options_.url + " failed: " + error->message);
}

void Client::connectionClosed(GObject*, gpointer data) noexcept {
  static_cast<Client*>(data)->onConnectionClosed();
}

Error Client::connectionEndError() const {
  if (connectionError_) return *connectionError_;
  const char* reason =
      soup_websocket_connection_get_close_data(SOUP_WEBSOCKET_CONNECTION(connection_.get()));
  if (lastCloseCode_ == 0) {
    return makeError(WsError::Closed, "the connection to " + options_.url + " was lost");
  }
  return makeError(WsError::Closed, "the connection to " + options_.url + " was closed (" +
                                        describeClose(lastCloseCode_, reason) + ")");
}

void Client::onConnectionClosed() {
  lastCloseCode_ =
      soup_websocket_connection_get_close_code(SOUP_WEBSOCKET_CONNECTION(connection_.get()));
  Error error = connectionEndError();
  GST_INFO("ws: %s", error.message.c_str());
  signals_.clear();
  connection_.reset();
  ended(std::move(error));
}

void Client::failAttempt(Error error) {
  ++failedAttempts_;
  GST_INFO("ws: %s", error.message.c_str());
  ended(std::move(error));
}

// The connection or attempt is over: tell the owner, then reconnect unless it said close().
void Client::ended(Error error) {
  state_ = State::Closed;
  std::weak_ptr<bool> alive = alive_;
  if (handlers_.onClosed) handlers_.onClosed(error);
  // The handler may have destroyed us, called close(), or opened again by itself.
  if (alive.expired() || closing_ || state_ != State::Closed || !options_.reconnect) return;
  const Milliseconds delay = backoff_.next();
  GST_INFO("ws: reconnecting to %s in %lld ms", options_.url.c_str(),
           static_cast<long long>(delay.count()));
  state_ = State::WaitingToReconnect;
  reconnectTimer_ = Source::timeout(
      context_.get(), delay,
      [this] {
        startAttempt();
        return false;
      },
      "su-ws-reconnect");
}

void Client::releaseConnection(int code, const char* reason) {
  signals_.clear();
  if (!connection_) return;
  auto* websocket = SOUP_WEBSOCKET_CONNECTION(connection_.get());
  if (soup_websocket_connection_get_state(websocket) != SOUP_WEBSOCKET_STATE_OPEN) {
    connection_.reset();
    return;
  }
  // Our reference goes to a handler that drops it once libsoup has closed the connection (it
  // gives up on a silent peer by itself), so the close frame is really sent.
  g_signal_connect(websocket, "closed",
                   G_CALLBACK(+[](GObject* closed, gpointer) noexcept { g_object_unref(closed); }),
                   nullptr);
  soup_websocket_connection_close(websocket, static_cast<gushort>(code), reason);
  static_cast<void>(connection_.release());
}

Result<void> Client::send(std::string_view text) {
  if (state_ != State::Open) {
    return makeError(WsError::NotOpen, "not connected to " + options_.url);
  }
  const std::string frame(text);
  soup_websocket_connection_send_text(SOUP_WEBSOCKET_CONNECTION(connection_.get()), frame.c_str());
  return {};
}

void Client::abort(Error reason) {
  if (state_ != State::Open) return;
  releaseConnection(SOUP_WEBSOCKET_CLOSE_GOING_AWAY, nullptr);
  ended(std::move(reason));
}

void Client::close(int code, std::string_view reason) {
  closing_ = true;
  reconnectTimer_.cancel();
  connectTimer_.cancel();
  connecting_.cancel();
  releaseConnection(code, std::string(reason).c_str());
  state_ = State::Closed;
}

}  // namespace su::ws
