// An obs-websocket v5 client: Hello -> Identify (password authentication, event subscriptions)
// -> Identified, requests correlated by requestId with a timeout each, request batches, events
// to listeners, and reconnection (with the shared backoff) that identifies again.
//
// A wrong password (close code 4009) is fatal: reported once, never retried. Other close codes
// are reported by name. Every callback is called exactly once, on the client's context, never
// inside the call that started it; what is pending when the Client is destroyed completes with
// G_IO_ERROR_CANCELLED. The password never appears in a log line or an error.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/backoff.hpp"
#include "core/callbacks.hpp"
#include "core/main_context.hpp"
#include "core/request_table.hpp"
#include "json/reader.hpp"
#include "json/value.hpp"
#include "json/writer.hpp"
#include "ws/client.hpp"

namespace su::obs {

enum class ObsError {
  NotConnected = 1,      // not identified yet, or the connection was lost
  Timeout,               // no answer within the request's (or the handshake's) timeout
  ConnectionLost,        // the connection ended while the request was pending
  Protocol,              // a message obs-websocket should never send
  AuthenticationFailed,  // wrong password (close code 4009): fatal
  PasswordRequired,      // OBS asks for a password and none was given: fatal
  Closed,                // OBS closed the connection with another code (named in the message)
};
GQuark errorDomainOf(ObsError);
// A request OBS answered with a failure status: code = obs-websocket's RequestStatus code.
GQuark obsRequestErrorDomain();

inline constexpr int kStatusOutputRunning = 500;     // StartStream while streaming
inline constexpr int kStatusOutputNotRunning = 501;  // StopStream while stopped

// obs-websocket EventSubscription bits.
inline constexpr std::uint32_t kEventsGeneral = 1u << 0;
inline constexpr std::uint32_t kEventsOutputs = 1u << 6;

// The name of an obs-websocket close code ("AuthenticationFailed" for 4009...).
std::string closeCodeName(int code);

// obs-websocket's authentication string for `password` and the Hello's salt and challenge:
// base64(sha256(base64(sha256(password + salt)) + challenge)).
std::string authenticationString(std::string_view password, std::string_view salt,
                                 std::string_view challenge);

struct ClientOptions {
  std::string url = "ws://127.0.0.1:4455";
  std::optional<std::string> password;
  std::uint32_t eventSubscriptions = kEventsGeneral | kEventsOutputs;
  Milliseconds connectTimeout{5000};  // to Identified
  Milliseconds requestTimeout{10000};
  std::optional<std::string> caFile;  // wss:// with a private CA
  bool reconnect = true;
  BackoffPolicy reconnectBackoff{.initial = Milliseconds(500), .max = Milliseconds(10000)};
  std::size_t maxMessageSize = 8 << 20;
};

struct Event {
  std::string type;  // "StreamStateChanged"...
  json::Value data;  // eventData (may be absent)
};

class Listener {
 public:
  virtual ~Listener() = default;
  virtual void onEvent(const Event& /*event*/) {}
  // The identified connection is gone; requests fail until it is restored.
  virtual void onConnectionLost(const Error& /*reason*/) {}
  // Connected and identified again after a loss.
  virtual void onReconnected() {}
};

struct BatchRequest {
  std::string type;
  json::Value data;  // requestData, may be absent
};

// One message from OBS as the client reads it: its opcode and its "d" object (obs-websocket 5's
// envelope), or a Protocol error saying why it is not one.
struct Incoming {
  gint64 op = -1;
  GRef<JsonNode> d;
};
Result<Incoming> readIncoming(std::string_view text, std::size_t maxBytes);

// What a Hello says: the server's version, and the challenge and salt when it wants a password.
struct Hello {
  std::string obsWebSocketVersion;
  std::optional<std::string> challenge;
  std::optional<std::string> salt;
  bool wantsPassword() const noexcept { return challenge.has_value(); }
};
// A Hello's "d"; a Protocol error when it asks for a password without challenge and salt.
Result<Hello> readHello(JsonNode* d);
// An Event's "d": its type and data; a Protocol error without eventType.
Result<Event> readEvent(JsonNode* d);
// A RequestResponse's "d" (or one entry of a batch's results): the responseData, or OBS's
// refusal as an error of the request domain (its status code and comment) naming `what`.
Result<json::Value> requestOutcome(JsonNode* response, const std::string& what);
// A RequestBatchResponse's "d": one outcome per request of `types` (those OBS skipped after a
// failure are errors too).
Result<std::vector<Result<json::Value>>> batchOutcomes(JsonNode* response,
                                                       const std::vector<std::string>& types,
                                                       const std::string& what);

class Client {
 public:
  static Result<std::unique_ptr<Client>> create(GMainContext* context, ClientOptions options);
  ~Client();

  // Connects and identifies. With reconnect on, a failed first attempt is reported here and
  // retried in the background (listeners hear onReconnected when it succeeds), except a wrong
  // or missing password, which stops everything.
  void connect(Callback<void> done);
  // Closes the connection; no reconnection follows. Pending requests fail with NotConnected.
  void close();

  // One request; `done` gets its responseData (absent when OBS sends none).
  void request(std::string type, json::Value data, Callback<json::Value> done);
  // Requests executed in order by OBS; one result each. With haltOnFailure, OBS skips what
  // follows a failure (those results are errors too).
  void batch(std::vector<BatchRequest> requests, bool haltOnFailure,
             Callback<std::vector<Result<json::Value>>> done);

  bool identified() const noexcept { return identified_; }
  const std::string& obsWebSocketVersion() const noexcept { return obsWebSocketVersion_; }
  const ClientOptions& options() const noexcept { return options_; }
  GMainContext* context() const noexcept { return context_.get(); }

  void addListener(Listener* listener);
  void removeListener(Listener* listener);

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

 private:
  Client(GMainContext* context, ClientOptions options);
  void send(int op, json::ObjectWriter data, std::string what, Milliseconds timeout,
            std::function<void(Result<GRef<JsonNode>>)> done);
  void handshakeFailed(Error error, bool fatal);

  void onSocketOpen();
  void onSocketMessage(std::string_view text);
  void onSocketClosed(const Error& error);
  void onHello(JsonNode* d);
  void onIdentified(JsonNode* d);

  GRef<GMainContext> context_;
  ClientOptions options_;
  std::unique_ptr<ws::Client> socket_;
  RequestTable<GRef<JsonNode>> requests_;  // by requestId; a response's whole "d"
  ListenerList<Listener> listeners_;
  std::optional<Callback<void>> connectDone_;
  Source handshakeTimer_;
  Deferred deferred_;
  bool identified_ = false;
  bool everIdentified_ = false;
  bool closed_ = false;
  std::string obsWebSocketVersion_;
  std::uint64_t nextId_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace su::obs
