#include "obs/client.hpp"

#include <algorithm>
#include <array>

#include "core/log.hpp"
#include "json/parse.hpp"

#define GST_CAT_DEFAULT su::log::obs

namespace su::obs {

GQuark errorDomainOf(ObsError) {
  return g_quark_from_static_string("su-obs-error");
}
GQuark obsRequestErrorDomain() {
  return g_quark_from_static_string("su-obs-request-error");
}

namespace {

// obs-websocket opcodes.
enum Op {
  kHello = 0,
  kIdentify = 1,
  kIdentified = 2,
  kEvent = 5,
  kRequest = 6,
  kRequestResponse = 7,
  kRequestBatch = 8,
  kRequestBatchResponse = 9,
};

constexpr int kRpcVersion = 1;
constexpr int kCloseAuthenticationFailed = 4009;

std::string sha256Base64(std::string_view text) {
  GChecksum* checksum = g_checksum_new(G_CHECKSUM_SHA256);
  g_checksum_update(checksum, reinterpret_cast<const guchar*>(text.data()),
                    static_cast<gssize>(text.size()));
  std::array<guint8, 32> digest{};
  gsize length = digest.size();
  g_checksum_get_digest(checksum, digest.data(), &length);
  g_checksum_free(checksum);
  auto encoded = GUnique<char>::adopt(g_base64_encode(digest.data(), length));
  return encoded.get();
}

}  // namespace

Result<Incoming> readIncoming(std::string_view text, std::size_t maxBytes) {
  auto parsed = json::parse(text, {.maxBytes = maxBytes, .maxDepth = 64});
  if (!parsed) return makeError(ObsError::Protocol, parsed.error().message);
  json::Diagnostics problems;
  auto message = json::ObjectReader::fromNode(parsed->get(), "", problems);
  const gint64 op = message ? message->integer("op").value_or(-1) : -1;
  JsonNode* d = message && JSON_NODE_HOLDS_OBJECT(parsed->get())
                    ? json_object_get_member(json_node_get_object(parsed->get()), "d")
                    : nullptr;
  if (op < 0 || !d || !JSON_NODE_HOLDS_OBJECT(d)) {
    return makeError(ObsError::Protocol, "a message without op and d");
  }
  return Incoming{.op = op, .d = GRef<JsonNode>::ref(d)};
}

Result<Hello> readHello(JsonNode* d) {
  json::Diagnostics problems;
  auto hello = json::ObjectReader::fromNode(d, "d", problems);
  if (!hello) return makeError(ObsError::Protocol, "malformed Hello from OBS: not an object");
  Hello read{.obsWebSocketVersion = hello->string("obsWebSocketVersion").value_or("")};
  if (auto authentication = hello->object("authentication")) {
    read.challenge = authentication->string("challenge");
    read.salt = authentication->string("salt");
    if (!read.challenge || !read.salt) {
      return makeError(ObsError::Protocol,
                       "malformed Hello from OBS: authentication without challenge/salt");
    }
  }
  return read;
}

Result<Event> readEvent(JsonNode* d) {
  json::Diagnostics problems;
  auto event = json::ObjectReader::fromNode(d, "d", problems);
  const auto type = event ? event->string("eventType") : std::nullopt;
  if (!type) return makeError(ObsError::Protocol, "an event without eventType");
  return Event{*type, event->any("eventData")};
}

Result<json::Value> requestOutcome(JsonNode* response, const std::string& what) {
  json::Diagnostics problems;
  auto reader = json::ObjectReader::fromNode(response, "d", problems);
  std::optional<bool> ok;
  std::optional<gint64> code;
  std::optional<std::string> comment;
  json::Value data;
  if (reader) {
    if (auto status = reader->object("requestStatus")) {
      ok = status->boolean("result");
      code = status->integer("code");
      comment = status->string("comment");
    }
    data = reader->any("responseData");
  }
  if (!ok || !code) {
    return makeError(ObsError::Protocol, "malformed obs-websocket response to " + what +
                                             ": requestStatus.result and .code are required");
  }
  if (!*ok) {
    return Error{obsRequestErrorDomain(),
                 static_cast<int>(*code),
                 "OBS refused " + what + ": " + comment.value_or("no comment") + " (status " +
                     std::to_string(*code) + ")",
                 {}};
  }
  return data;
}

Result<std::vector<Result<json::Value>>> batchOutcomes(JsonNode* response,
                                                       const std::vector<std::string>& types,
                                                       const std::string& what) {
  JsonObject* object = JSON_NODE_HOLDS_OBJECT(response) ? json_node_get_object(response) : nullptr;
  JsonNode* results = object ? json_object_get_member(object, "results") : nullptr;
  if (!results || !JSON_NODE_HOLDS_ARRAY(results)) {
    return makeError(ObsError::Protocol,
                     "malformed obs-websocket response to " + what + ": results missing");
  }
  JsonArray* array = json_node_get_array(results);
  std::vector<Result<json::Value>> outcomes;
  for (std::size_t i = 0; i < types.size(); ++i) {
    if (i < json_array_get_length(array)) {
      outcomes.push_back(
          requestOutcome(json_array_get_element(array, static_cast<guint>(i)), types[i]));
    } else {
      outcomes.push_back(Error{
          obsRequestErrorDomain(), 0, types[i] + " was not run (an earlier request failed)", {}});
    }
  }
  return outcomes;
}

std::string closeCodeName(int code) {
  switch (code) {
    case 1000:
      return "NormalClosure";
    case 4000:
      return "UnknownReason";
    case 4002:
      return "MessageDecodeError";
    case 4003:
      return "MissingDataField";
    case 4004:
      return "InvalidDataFieldType";
    case 4005:
      return "InvalidDataFieldValue";
    case 4006:
      return "UnknownOpCode";
    case 4007:
      return "NotIdentified";
    case 4008:
      return "AlreadyIdentified";
    case 4009:
      return "AuthenticationFailed";
    case 4010:
      return "UnsupportedRpcVersion";
    case 4011:
      return "SessionInvalidated";
    case 4012:
      return "UnsupportedFeature";
    default:
      return "close code " + std::to_string(code);
  }
}

std::string authenticationString(std::string_view password, std::string_view salt,
                                 std::string_view challenge) {
  const std::string secret = sha256Base64(std::string(password) + std::string(salt));
  return sha256Base64(secret + std::string(challenge));
}

Result<std::unique_ptr<Client>> Client::create(GMainContext* context, ClientOptions options) {
  std::unique_ptr<Client> client(new Client(context, std::move(options)));
  const ClientOptions& o = client->options_;
  auto socket = ws::Client::create(
      context,
      {.url = o.url,
       .protocols = {"obswebsocket.json"},
       .connectTimeout = o.connectTimeout,
       .caFile = o.caFile,
       .maxMessageSize = o.maxMessageSize,
       .reconnect = o.reconnect,
       .reconnectBackoff = o.reconnectBackoff},
      {.onOpen = [raw = client.get()] { raw->onSocketOpen(); },
       .onMessage = [raw = client.get()](std::string_view text) { raw->onSocketMessage(text); },
       .onClosed = [raw = client.get()](const Error& error) { raw->onSocketClosed(error); }});
  if (!socket) return socket.error();
  client->socket_ = std::move(socket).value();
  return client;
}

Client::Client(GMainContext* context, ClientOptions options)
    : context_(GRef<GMainContext>::ref(context)),
      options_(std::move(options)),
      requests_(context, "OBS",
                [](std::string message) { return makeError(ObsError::Timeout, message); }),
      deferred_(context) {}

Client::~Client() {
  *alive_ = false;
  closed_ = true;
  requests_.failAll(cancelledError());
  if (connectDone_) {
    take(connectDone_)(cancelledError());
  }
  socket_.reset();
}

void Client::addListener(Listener* listener) {
  listeners_.add(listener);
}

void Client::removeListener(Listener* listener) {
  listeners_.remove(listener);
}

void Client::connect(Callback<void> done) {
  if (identified_) {
    deferred_.post([done] { done(Result<void>()); }, [done] { done(cancelledError()); });
    return;
  }
  if (connectDone_) {
    const Error busy = makeError(ObsError::NotConnected, "connect() is already in progress");
    deferred_.post([done, busy] { done(busy); }, [done] { done(cancelledError()); });
    return;
  }
  closed_ = false;
  connectDone_ = std::move(done);
  socket_->open();
}

void Client::close() {
  closed_ = true;
  identified_ = false;
  handshakeTimer_.cancel();
  socket_->close();
  requests_.failAll(makeError(ObsError::NotConnected, "the connection to OBS was closed"));
  if (connectDone_) {
    auto done = take(connectDone_);
    deferred_.post(
        [done] { done(makeError(ObsError::NotConnected, "the connection to OBS was closed")); },
        [done] { done(cancelledError()); });
  }
}

void Client::request(std::string type, json::Value data, Callback<json::Value> done) {
  json::ObjectWriter d;
  d.set("requestType", type).set("requestData", data);
  send(kRequest, std::move(d), type, options_.requestTimeout,
       [type, done](Result<GRef<JsonNode>> response) {
         if (!response) {
           done(response.error());
           return;
         }
         done(requestOutcome(response->get(), type));
       });
}

void Client::batch(std::vector<BatchRequest> requests, bool haltOnFailure,
                   Callback<std::vector<Result<json::Value>>> done) {
  std::vector<GRef<JsonNode>> entries;
  std::vector<std::string> types;
  for (const BatchRequest& request : requests) {
    types.push_back(request.type);
    json::ObjectWriter entry;
    entry.set("requestType", request.type).set("requestData", request.data);
    entries.push_back(entry.node());
  }
  json::ObjectWriter d;
  d.set("haltOnFailure", haltOnFailure).set("requests", json::arrayOf(entries));
  const std::string what = "a batch of " + std::to_string(requests.size()) + " requests";
  send(kRequestBatch, std::move(d), what, options_.requestTimeout,
       [types, what, done](Result<GRef<JsonNode>> response) {
         if (!response) {
           done(response.error());
           return;
         }
         auto outcomes = batchOutcomes(response->get(), types, what);
         if (!outcomes) return done(outcomes.error());
         done(std::move(*outcomes));
       });
}

void Client::send(int op, json::ObjectWriter data, std::string what, Milliseconds timeout,
                  std::function<void(Result<GRef<JsonNode>>)> done) {
  std::optional<Error> refusal;
  if (closed_) {
    refusal = makeError(ObsError::NotConnected, "not connected to OBS (closed)");
  } else if (!identified_) {
    refusal = makeError(ObsError::NotConnected, "not connected to OBS at " + options_.url);
  }
  const std::string id = std::to_string(++nextId_);
  if (!refusal) {
    data.set("requestId", id);
    json::ObjectWriter message;
    message.set("op", op).set("d", std::move(data));
    GST_DEBUG("-> %s %s", what.c_str(), id.c_str());
    if (auto sent = socket_->send(json::toString(message.node().get())); !sent) {
      refusal = sent.error();
    }
  }
  if (refusal) {
    requests_.refuse(std::move(done), *refusal);
    return;
  }
  requests_.add(id, std::move(what), {}, timeout, std::move(done));
}

void Client::onSocketOpen() {
  requests_.clearMalformed();
  // The server speaks first (Hello); it must also finish identifying in time.
  handshakeTimer_ = Source::timeout(
      context_.get(), options_.connectTimeout,
      [this] {
        handshakeFailed(
            makeError(ObsError::Timeout,
                      "OBS at " + options_.url + " did not complete the handshake within " +
                          std::to_string(options_.connectTimeout.count()) + " ms"),
            false);
        return false;
      },
      "su-obs-handshake-timeout");
}

// The connection is up but identification failed. Fatal failures (a password problem) stop
// reconnecting; the rest let the socket reconnect if it is set to.
void Client::handshakeFailed(Error error, bool fatal) {
  handshakeTimer_.cancel();
  GST_WARNING("%s", error.message.c_str());
  if (fatal) {
    closed_ = true;
    socket_->close();
    if (connectDone_) {
      take(connectDone_)(error);
    } else {
      listeners_.notify(alive_, [&](Listener& l) { l.onConnectionLost(error); });
    }
    return;
  }
  socket_->abort(std::move(error));
}

void Client::onSocketMessage(std::string_view text) {
  auto message = readIncoming(text, options_.maxMessageSize);
  if (!message) {
    requests_.noteMalformed(message.error().message);
    GST_WARNING("ignoring a malformed message from OBS: %s", requests_.lastMalformed()->c_str());
    return;
  }
  GST_LOG("<- op %" G_GINT64_FORMAT, message->op);
  JsonNode* d = message->d.get();
  switch (message->op) {
    case kHello:
      onHello(d);
      return;
    case kIdentified:
      onIdentified(d);
      return;
    case kEvent: {
      auto event = readEvent(d);
      if (!event) {
        requests_.noteMalformed(event.error().message);
        GST_WARNING("ignoring %s", event.error().message.c_str());
        return;
      }
      GST_DEBUG("event %s", event->type.c_str());
      listeners_.notify(alive_, [&](Listener& l) { l.onEvent(*event); });
      return;
    }
    case kRequestResponse:
    case kRequestBatchResponse: {
      json::Diagnostics problems;
      auto response = json::ObjectReader::fromNode(d, "d", problems);
      const auto id = response ? response->string("requestId") : std::nullopt;
      if (!id || !requests_.contains(*id)) {
        GST_WARNING("ignoring a response to an unknown request %s", id ? id->c_str() : "(none)");
        return;
      }
      requests_.complete(*id, message->d);
      return;
    }
    default:
      requests_.noteMalformed("unknown opcode " + std::to_string(message->op));
      GST_WARNING("ignoring a message with unknown opcode %" G_GINT64_FORMAT, message->op);
  }
}

void Client::onHello(JsonNode* d) {
  auto hello = readHello(d);
  if (!hello) {
    handshakeFailed(hello.error(), false);
    return;
  }
  obsWebSocketVersion_ = hello->obsWebSocketVersion;
  json::ObjectWriter identify;
  identify.set("rpcVersion", kRpcVersion)
      .set("eventSubscriptions", static_cast<gint64>(options_.eventSubscriptions));
  if (hello->wantsPassword()) {
    if (!options_.password) {
      handshakeFailed(
          makeError(ObsError::PasswordRequired,
                    "OBS at " + options_.url + " requires a password and none was given"),
          true);
      return;
    }
    identify.set("authentication",
                 authenticationString(*options_.password, *hello->salt, *hello->challenge));
  }
  json::ObjectWriter message;
  message.set("op", static_cast<int>(kIdentify)).set("d", std::move(identify));
  if (auto sent = socket_->send(json::toString(message.node().get())); !sent) {
    handshakeFailed(sent.error(), false);
  }
}

void Client::onIdentified(JsonNode* d) {
  json::Diagnostics problems;
  auto identified = json::ObjectReader::fromNode(d, "d", problems);
  handshakeTimer_.cancel();
  identified_ = true;
  GST_INFO("identified to OBS at %s (obs-websocket %s, rpc %" G_GINT64_FORMAT ")",
           options_.url.c_str(), obsWebSocketVersion_.c_str(),
           identified ? identified->integer("negotiatedRpcVersion").value_or(0) : 0);
  const bool reconnected = everIdentified_;
  everIdentified_ = true;
  if (connectDone_) {
    take(connectDone_)(Result<void>());
    return;
  }
  if (reconnected) listeners_.notify(alive_, [](Listener& l) { l.onReconnected(); });
}

void Client::onSocketClosed(const Error& error) {
  handshakeTimer_.cancel();
  const bool wasIdentified = identified_;
  identified_ = false;
  const int code = socket_->lastCloseCode();
  Error reason = error;
  bool fatal = false;
  if (code == kCloseAuthenticationFailed) {
    reason = makeError(ObsError::AuthenticationFailed,
                       "OBS at " + options_.url + " refused the password (AuthenticationFailed)");
    fatal = true;
  } else if (code >= 4000) {
    reason = makeError(ObsError::Closed, "OBS at " + options_.url + " closed the connection (" +
                                             closeCodeName(code) + ")");
  }
  std::weak_ptr<bool> alive = alive_;
  requests_.failAll(
      makeError(ObsError::ConnectionLost, "connection to OBS lost: " + reason.message));
  if (alive.expired()) return;
  if (fatal) {
    closed_ = true;
    socket_->close();
  }
  if (connectDone_) {
    take(connectDone_)(
        fatal ? reason
              : makeError(ObsError::NotConnected, "cannot connect to OBS: " + reason.message));
    return;
  }
  if (wasIdentified || fatal)
    listeners_.notify(alive_, [&](Listener& l) { l.onConnectionLost(reason); });
}

}  // namespace su::obs
