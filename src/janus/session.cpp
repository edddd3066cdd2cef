#include "janus/session.hpp"

#include <algorithm>
#include <random>

#include "core/log.hpp"
#include "json/parse.hpp"
#include "model/redaction.hpp"

#define GST_CAT_DEFAULT su::log::janus

namespace su::janus {

GQuark errorDomainOf(JanusError) {
  return g_quark_from_static_string("su-janus-error");
}
GQuark janusCoreErrorDomain() {
  return g_quark_from_static_string("su-janus-core-error");
}
GQuark janusPluginErrorDomain() {
  return g_quark_from_static_string("su-janus-plugin-error");
}

namespace {

const char* stringMember(JsonObject* object, const char* key) {
  JsonNode* node = object ? json_object_get_member(object, key) : nullptr;
  if (!node || !JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING) {
    return nullptr;
  }
  return json_node_get_string(node);
}

std::optional<std::int64_t> integerMember(JsonObject* object, const char* key) {
  JsonNode* node = object ? json_object_get_member(object, key) : nullptr;
  if (!node || !JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64) {
    return std::nullopt;
  }
  return json_node_get_int(node);
}

JsonObject* objectMember(JsonObject* object, const char* key) {
  JsonNode* node = object ? json_object_get_member(object, key) : nullptr;
  return node && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : nullptr;
}

json::Value memberValue(JsonObject* object, const char* key) {
  JsonNode* node = object ? json_object_get_member(object, key) : nullptr;
  if (!node || JSON_NODE_HOLDS_NULL(node)) return {};
  return json::Value::of(GRef<JsonNode>::ref(node));
}

// "janus.plugin.streaming" -> "streaming"
std::string shortPluginName(const std::string& plugin) {
  const std::size_t dot = plugin.rfind('.');
  return dot == std::string::npos ? plugin : plugin.substr(dot + 1);
}

std::string redactedText(JsonNode* node) {
  return json::toString(model::redacted(node).get());
}

// Whether su-janus logs at `level`: redacting a message costs more than sending it.
bool logs(GstDebugLevel level) {
  return log::janus && gst_debug_category_get_threshold(log::janus) >= level;
}

}  // namespace

Result<Incoming> readIncoming(std::string_view text, std::size_t maxBytes) {
  auto parsed = json::parse(text, {.maxBytes = maxBytes, .maxDepth = 64});
  if (!parsed) return makeError(JanusError::Protocol, parsed.error().message);
  if (!JSON_NODE_HOLDS_OBJECT(parsed->get())) {
    return makeError(JanusError::Protocol, "not a JSON object");
  }
  JsonObject* message = json_node_get_object(parsed->get());
  const char* kind = stringMember(message, "janus");
  if (!kind) return makeError(JanusError::Protocol, "a message without \"janus\"");
  const char* transaction = stringMember(message, "transaction");
  return Incoming{
      .kind = kind,
      .transaction = transaction ? std::optional<std::string>(transaction) : std::nullopt,
      .sender = integerMember(message, "sender"),
      .sessionId = integerMember(message, "session_id"),
      .node = std::move(*parsed)};
}

Error coreError(const Incoming& message, std::string_view what) {
  JsonObject* error = objectMember(json_node_get_object(message.node.get()), "error");
  const int code = static_cast<int>(integerMember(error, "code").value_or(0));
  const char* reason = stringMember(error, "reason");
  return Error{janusCoreErrorDomain(),
               code,
               "Janus refused " + std::string(what) + ": " + (reason ? reason : "no reason given") +
                   " (error " + std::to_string(code) + ")",
               {}};
}

Result<PluginReply> readPluginReply(const Incoming& message, std::string_view what) {
  JsonObject* object = JSON_NODE_HOLDS_OBJECT(message.node.get())
                           ? json_node_get_object(message.node.get())
                           : nullptr;
  JsonObject* data = objectMember(objectMember(object, "plugindata"), "data");
  if (!data) {
    return makeError(JanusError::Protocol,
                     "malformed Janus reply to " + std::string(what) + ": no plugindata.data");
  }
  if (auto code = integerMember(data, "error_code")) {
    const char* text = stringMember(data, "error");
    return Error{janusPluginErrorDomain(),
                 static_cast<int>(*code),
                 "Janus " + std::string(what) + " failed: " + (text ? text : "no reason given") +
                     " (error " + std::to_string(*code) + ")",
                 {}};
  }
  return PluginReply{memberValue(objectMember(object, "plugindata"), "data"),
                     memberValue(object, "jsep")};
}

Result<std::unique_ptr<Session>> Session::create(GMainContext* context, SessionOptions options) {
  std::unique_ptr<Session> session(new Session(context, std::move(options)));
  const SessionOptions& o = session->options_;
  auto socket = ws::Client::create(
      context,
      {.url = o.url,
       .protocols = {"janus-protocol"},
       .connectTimeout = o.connectTimeout,
       .caFile = o.caFile,
       .maxMessageSize = o.maxMessageSize,
       .reconnect = o.reconnect,
       .reconnectBackoff = o.reconnectBackoff},
      {.onOpen = [raw = session.get()] { raw->onSocketOpen(); },
       .onMessage = [raw = session.get()](std::string_view text) { raw->onSocketMessage(text); },
       .onClosed = [raw = session.get()](const Error& error) { raw->onSocketClosed(error); }});
  if (!socket) return socket.error();
  session->socket_ = std::move(socket).value();
  return session;
}

Session::Session(GMainContext* context, SessionOptions options)
    : context_(GRef<GMainContext>::ref(context)),
      options_(std::move(options)),
      requests_(context, "Janus",
                [](std::string message) { return makeError(JanusError::Timeout, message); }),
      deferred_(context) {
  std::random_device random;
  char prefix[17];
  g_snprintf(prefix, sizeof prefix, "%08x%08x", random(), random());
  transactionPrefix_ = prefix;
}

Session::~Session() {
  *alive_ = false;
  destroying_ = true;
  keepalive_.cancel();
  if (sessionId_ != 0 && socket_ && socket_->isOpen()) {
    // Best effort: tell Janus now rather than letting the session time out.
    json::ObjectWriter destroy;
    destroy.set("janus", "destroy")
        .set("transaction", nextTransaction())
        .set("session_id", sessionId_);
    if (options_.apiSecret) destroy.set("apisecret", *options_.apiSecret);
    if (options_.token) destroy.set("token", *options_.token);
    static_cast<void>(socket_->send(json::toString(destroy.node().get())));
  }
  for (const auto& weak : handles_) {
    if (auto handle = weak.lock()) handle->session_ = nullptr;
  }
  requests_.failAll(cancelledError());
  if (connectDone_) {
    take(connectDone_)(cancelledError());
  }
  socket_.reset();
}

void Session::addListener(SessionListener* listener) {
  listeners_.add(listener);
}

void Session::removeListener(SessionListener* listener) {
  listeners_.remove(listener);
}

void Session::connect(Callback<void> done) {
  if (ready()) {
    deferred_.post([done] { done(Result<void>()); }, [done] { done(cancelledError()); });
    return;
  }
  if (connectDone_) {
    const Error busy = makeError(JanusError::NotConnected, "connect() is already in progress");
    deferred_.post([done, busy] { done(busy); }, [done] { done(cancelledError()); });
    return;
  }
  connectDone_ = std::move(done);
  socket_->open();
}

void Session::destroy(Callback<void> done) {
  keepalive_.cancel();
  if (!ready()) {
    socket_->close();
    deferred_.post([done] { done(Result<void>()); }, [done] { done(cancelledError()); });
    return;
  }
  destroying_ = true;
  request("destroy", json::ObjectWriter(), 0, Expect::Success, "destroy", std::nullopt,
          [this, done](Result<GRef<JsonNode>> reply) {
            if (reply.ok() || !reply.error().isCancelled()) {
              sessionId_ = 0;
              socket_->close();
            }
            if (reply) {
              done(Result<void>());
            } else {
              done(reply.error());
            }
          });
}

std::string Session::nextTransaction() {
  return transactionPrefix_ + "-" + std::to_string(++transactionCounter_);
}

void Session::request(std::string_view type, json::ObjectWriter fields, std::uint64_t handleId,
                      Expect expect, std::string what, std::optional<Milliseconds> timeout,
                      Callback<GRef<JsonNode>> done) {
  const bool needsSession = type != "create";
  std::optional<Error> refusal;
  if (destroying_ && type != "destroy") {
    refusal = cancelledError();
  } else if (!socket_->isOpen()) {
    refusal = makeError(JanusError::NotConnected, "not connected to Janus at " + options_.url);
  } else if (needsSession && !ready()) {
    refusal = makeError(JanusError::NotConnected, "no Janus session (lost, not restored yet)");
  }
  if (refusal) {
    requests_.refuse(std::move(done), *refusal);
    return;
  }

  const std::string transaction = nextTransaction();
  fields.set("janus", type).set("transaction", transaction);
  if (needsSession) fields.set("session_id", sessionId_);
  if (handleId != 0) fields.set("handle_id", handleId);
  if (options_.apiSecret) fields.set("apisecret", *options_.apiSecret);
  if (options_.token) fields.set("token", *options_.token);
  GRef<JsonNode> message = fields.node();
  if (logs(GST_LEVEL_DEBUG)) GST_DEBUG("-> %s", redactedText(message.get()).c_str());
  if (auto sent = socket_->send(json::toString(message.get())); !sent) {
    requests_.refuse(std::move(done), sent.error());
    return;
  }
  requests_.add(transaction, std::move(what), expect, timeout.value_or(options_.requestTimeout),
                std::move(done));
}

void Session::onSocketOpen() {
  createSession();
}

void Session::createSession() {
  request("create", json::ObjectWriter(), 0, Expect::Success, "create", std::nullopt,
          [this](Result<GRef<JsonNode>> reply) {
            if (!reply) {
              if (reply.error().isCancelled()) return;
              GST_WARNING("creating a Janus session failed: %s", reply.error().message.c_str());
              // The connection is up but Janus will not give us a session: start over.
              socket_->abort(reply.error());
              return;
            }
            JsonObject* data = objectMember(json_node_get_object(reply->get()), "data");
            const auto id = integerMember(data, "id");
            if (!id || *id <= 0) {
              socket_->abort(makeError(JanusError::Protocol,
                                       "malformed Janus reply to create: data.id missing"));
              return;
            }
            sessionReady(static_cast<std::uint64_t>(*id));
          });
}

void Session::sessionReady(std::uint64_t id) {
  sessionId_ = id;
  requests_.clearMalformed();
  GST_INFO("Janus session %" G_GUINT64_FORMAT " on %s", id, options_.url.c_str());
  if (options_.keepaliveInterval.count() > 0) {
    keepalive_ = Source::timeout(
        context_.get(), options_.keepaliveInterval,
        [this] {
          sendKeepalive();
          return true;
        },
        "su-janus-keepalive");
  }
  if (connectDone_) {  // the session connect() asked for
    take(connectDone_)(Result<void>());
    return;
  }
  reattachHandles();  // a session replacing a lost one
}

void Session::reattachHandles() {
  std::erase_if(handles_, [](const std::weak_ptr<Handle>& handle) { return handle.expired(); });
  std::vector<std::shared_ptr<Handle>> live;
  for (const auto& weak : handles_)
    live.push_back(weak.lock());
  if (live.empty()) {
    listeners_.notify(alive_, [](SessionListener& l) { l.onSessionRestored(); });
    return;
  }
  auto remaining = std::make_shared<std::size_t>(live.size());
  for (const auto& handle : live) {
    json::ObjectWriter fields;
    fields.set("plugin", handle->plugin_);
    std::weak_ptr<Handle> weak = handle;
    request("attach", std::move(fields), 0, Expect::Success, "attach " + handle->plugin_,
            std::nullopt, [this, weak, remaining](Result<GRef<JsonNode>> reply) {
              if (!reply && reply.error().isCancelled()) return;
              if (auto h = weak.lock()) {
                const auto id =
                    reply ? integerMember(objectMember(json_node_get_object(reply->get()), "data"),
                                          "id")
                          : std::nullopt;
                h->id_ = id ? static_cast<std::uint64_t>(*id) : 0;
                if (h->id_ == 0) {
                  GST_WARNING("re-attaching a %s handle failed", h->plugin_.c_str());
                }
              }
              if (--*remaining == 0) {
                listeners_.notify(alive_, [](SessionListener& l) { l.onSessionRestored(); });
              }
            });
  }
}

void Session::sendKeepalive() {
  if (!ready()) return;
  request("keepalive", json::ObjectWriter(), 0, Expect::Ack, "keepalive", std::nullopt,
          [this](Result<GRef<JsonNode>> reply) {
            if (reply || reply.error().isCancelled()) return;
            if (reply.error().is(errorDomainOf(JanusError::Timeout),
                                 static_cast<int>(JanusError::Timeout))) {
              // The socket looks open but nobody answers: treat it as lost.
              socket_->abort(makeError(JanusError::ConnectionLost, reply.error().message));
            }
          });
}

void Session::onSocketClosed(const Error& error) {
  keepalive_.cancel();
  const bool wasReady = ready();
  sessionId_ = 0;
  const Error lost =
      makeError(JanusError::ConnectionLost, "connection to Janus lost: " + error.message);
  std::weak_ptr<bool> alive = alive_;
  requests_.failAll(lost);
  if (alive.expired()) return;
  if (connectDone_) {
    take(connectDone_)(
        makeError(JanusError::NotConnected, "cannot connect to Janus: " + error.message));
    return;
  }
  if (wasReady) listeners_.notify(alive_, [&](SessionListener& l) { l.onSessionLost(lost); });
}

void Session::sessionGone(const Error& reason) {
  if (!ready()) return;
  GST_WARNING("Janus session %" G_GUINT64_FORMAT " is gone: %s", sessionId_,
              reason.message.c_str());
  keepalive_.cancel();
  sessionId_ = 0;
  std::weak_ptr<bool> alive = alive_;
  requests_.failAll(reason);
  if (alive.expired()) return;
  listeners_.notify(alive_, [&](SessionListener& l) { l.onSessionLost(reason); });
  if (alive.expired()) return;
  if (options_.reconnect && socket_->isOpen() && !destroying_) createSession();
}

void Session::onSocketMessage(std::string_view text) {
  auto incoming = readIncoming(text, options_.maxMessageSize);
  if (!incoming) {
    requests_.noteMalformed(incoming.error().message);
    GST_WARNING("ignoring a malformed message from Janus: %s", requests_.lastMalformed()->c_str());
    return;
  }
  if (logs(GST_LEVEL_LOG)) GST_LOG("<- %s", redactedText(incoming->node.get()).c_str());
  const std::string& kind = incoming->kind;
  const std::optional<std::string>& transaction = incoming->transaction;
  const Expect* expect = transaction ? requests_.tagOf(*transaction) : nullptr;

  if (expect) {
    if (kind == "error") {
      const Error failure = coreError(*incoming, *requests_.whatOf(*transaction));
      std::weak_ptr<bool> alive = alive_;
      requests_.complete(*transaction, failure);
      if (!alive.expired() && failure.code == kCoreSessionNotFound) sessionGone(failure);
      return;
    }
    const bool done = kind == "success" || (kind == "ack" && *expect == Expect::Ack) ||
                      (kind == "event" && *expect == Expect::PluginReply);
    if (done) requests_.complete(*transaction, incoming->node);
    return;  // an "ack" before an asynchronous plugin event: keep waiting
  }

  if (incoming->sender) {
    deliverEvent(static_cast<std::uint64_t>(*incoming->sender), kind, incoming->node.get());
    return;
  }
  if (kind == "timeout" && incoming->sessionId == static_cast<std::int64_t>(sessionId_)) {
    sessionGone(makeError(JanusError::SessionLost, "Janus timed out the session"));
    return;
  }
  if (transaction) {
    GST_WARNING("ignoring a Janus %s for an unknown transaction %s", kind.c_str(),
                transaction->c_str());
    return;
  }
  GST_DEBUG("ignoring an unsolicited Janus %s", kind.c_str());
}

void Session::deliverEvent(std::uint64_t handleId, const std::string& type, JsonNode* node) {
  std::shared_ptr<Handle> handle;
  for (const auto& weak : handles_) {
    auto candidate = weak.lock();
    if (candidate && candidate->id_ == handleId) handle = candidate;
  }
  if (!handle) {
    GST_DEBUG("ignoring a Janus %s for unknown handle %" G_GUINT64_FORMAT, type.c_str(), handleId);
    return;
  }
  JsonObject* message = json_node_get_object(node);
  HandleEvent event{type, memberValue(objectMember(message, "plugindata"), "data"),
                    memberValue(message, "jsep"), json::Value::of(GRef<JsonNode>::ref(node))};
  if (type == "detached") handle->id_ = 0;
  if (handle->eventHandler_) handle->eventHandler_(event);
}

void Session::attach(const std::string& plugin, Callback<std::shared_ptr<Handle>> done) {
  json::ObjectWriter fields;
  fields.set("plugin", plugin);
  request(
      "attach", std::move(fields), 0, Expect::Success, "attach " + plugin, std::nullopt,
      [this, plugin, done](Result<GRef<JsonNode>> reply) {
        if (!reply) return done(reply.error());
        const auto id =
            integerMember(objectMember(json_node_get_object(reply->get()), "data"), "id");
        if (!id || *id <= 0) {
          return done(
              makeError(JanusError::Protocol, "malformed Janus reply to attach: data.id missing"));
        }
        std::shared_ptr<Handle> handle(new Handle(this, plugin, static_cast<std::uint64_t>(*id)));
        handles_.push_back(handle);
        done(handle);
      });
}

void Session::forgetHandle(Handle* handle) {
  std::erase_if(handles_, [handle](const std::weak_ptr<Handle>& weak) {
    auto live = weak.lock();
    return !live || live.get() == handle;
  });
}

Handle::Handle(Session* session, std::string plugin, std::uint64_t id)
    : session_(session), plugin_(std::move(plugin)), id_(id), deferred_(session->context()) {}

Handle::~Handle() {
  if (!session_) return;
  session_->forgetHandle(this);
  if (id_ != 0 && session_->ready()) {
    session_->request("detach", json::ObjectWriter(), id_, Session::Expect::Success, "detach",
                      std::nullopt, [](const Result<GRef<JsonNode>>&) {});
  }
}

template <typename T>
bool Handle::failIfDetached(Callback<T>& done) {
  if (session_ && session_->ready() && id_ != 0) return false;
  const Error error =
      makeError(JanusError::NotConnected, session_ ? "the " + shortPluginName(plugin_) +
                                                         " handle is not attached (session lost?)"
                                                   : "the Janus session is gone");
  deferred_.post([done, error] { done(error); }, [done] { done(cancelledError()); });
  return true;
}

void Handle::message(GRef<JsonNode> body, Callback<PluginReply> done, GRef<JsonNode> jsep,
                     std::optional<Milliseconds> timeout) {
  if (failIfDetached(done)) return;
  const char* name = JSON_NODE_HOLDS_OBJECT(body.get())
                         ? stringMember(json_node_get_object(body.get()), "request")
                         : nullptr;
  const std::string what = shortPluginName(plugin_) + " " + (name ? name : "message");
  json::ObjectWriter fields;
  fields.set("body", body);
  if (jsep) fields.set("jsep", jsep);
  session_->request("message", std::move(fields), id_, Session::Expect::PluginReply, what, timeout,
                    [done, what](Result<GRef<JsonNode>> reply) {
                      if (!reply) return done(reply.error());
                      done(readPluginReply(Incoming{.node = std::move(*reply)}, what));
                    });
}

void Handle::trickle(GRef<JsonNode> candidate, Callback<void> done) {
  if (failIfDetached(done)) return;
  json::ObjectWriter fields;
  if (candidate) {
    fields.set("candidate", candidate);
  } else {
    fields.set("candidate", json::ObjectWriter().set("completed", true));
  }
  session_->request("trickle", std::move(fields), id_, Session::Expect::Ack, "trickle",
                    std::nullopt, [done](Result<GRef<JsonNode>> reply) {
                      if (!reply) return done(reply.error());
                      done(Result<void>());
                    });
}

void Handle::detach(Callback<void> done) {
  if (failIfDetached(done)) return;
  session_->request("detach", json::ObjectWriter(), id_, Session::Expect::Success, "detach",
                    std::nullopt, [weak = weak_from_this(), done](Result<GRef<JsonNode>> reply) {
                      if (!reply) return done(reply.error());
                      if (auto handle = weak.lock()) handle->id_ = 0;
                      done(Result<void>());
                    });
}

}  // namespace su::janus
